import { StrictMode, useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { WagmiProvider } from 'wagmi';
import { App } from './App';
import { EnvContext } from './context';
import { loadDeployment } from './lib/deployment';
import { createEnv, type Env } from './lib/env';
import './styles.css';

const queryClient = new QueryClient({
  defaultOptions: { queries: { retry: 1, refetchOnWindowFocus: false, staleTime: 1_000 } },
});

/** `?deployment=URL` overrides the default: `deployment.json` next to the page. */
const deploymentUrl = new URLSearchParams(window.location.search).get('deployment') ?? './deployment.json';

function Boot() {
  const [env, setEnv] = useState<Env | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    loadDeployment(deploymentUrl)
      .then((d) => setEnv(createEnv(d)))
      .catch((e: Error) => setError(e.message));
  }, []);
  if (error)
    return (
      <main className="boot" role="alert">
        <h1>Drawbridge</h1>
        <p>The page cannot start: the deployment file could not be read ({error}).</p>
        <p>
          It reads the bridge's addresses, chain ids and RPC URLs from <code>{deploymentUrl}</code>. Start the devnet
          (<code>bash scripts/devnet.sh</code>) and run <code>npm run dev</code> in <code>web/</code>, or place the
          deployment file next to <code>index.html</code>.
        </p>
      </main>
    );
  if (!env)
    return (
      <main className="boot" aria-busy="true">
        <h1>Drawbridge</h1>
        <p role="status">Reading the deployment from {deploymentUrl}…</p>
      </main>
    );
  return (
    <EnvContext.Provider value={env}>
      <WagmiProvider config={env.wagmi}>
        <QueryClientProvider client={queryClient}>
          <App />
        </QueryClientProvider>
      </WagmiProvider>
    </EnvContext.Provider>
  );
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <Boot />
  </StrictMode>,
);
