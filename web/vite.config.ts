import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { defineConfig, type Plugin } from 'vite';
import react from '@vitejs/plugin-react';

/**
 * `npm run dev` serves the running devnet's deployment file as /deployment.json, as a host would
 * serve it next to the built page: $DRAWBRIDGE_DEPLOYMENT, else ../.devnet/deployment.json.
 */
function devDeployment(): Plugin {
  const file = resolve(process.env.DRAWBRIDGE_DEPLOYMENT ?? resolve(__dirname, '../.devnet/deployment.json'));
  return {
    name: 'drawbridge-dev-deployment',
    apply: 'serve',
    configureServer(server) {
      server.middlewares.use('/deployment.json', (_req, res) => {
        if (!existsSync(file)) {
          res.statusCode = 404;
          res.end(`no deployment file at ${file}: start the devnet (bash scripts/devnet.sh) or set DRAWBRIDGE_DEPLOYMENT`);
          return;
        }
        res.setHeader('content-type', 'application/json');
        res.setHeader('cache-control', 'no-store');
        res.end(readFileSync(file));
      });
    },
  };
}

export default defineConfig({
  // Relative asset URLs: the build works from any path of any static host.
  base: './',
  plugins: [react(), devDeployment()],
  build: { target: 'es2022', sourcemap: false, chunkSizeWarningLimit: 1000 },
});
