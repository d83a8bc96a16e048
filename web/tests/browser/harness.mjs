// Runs a real devnet for the browser tests: drawbridge-devnet (two anvils, a council, every
// contract) on free ports in a temporary state directory, a relayer, and a tiny static server for
// web/dist plus the devnet's deployment.json. Everything started here is stopped by stop().
import { spawn, spawnSync } from 'node:child_process';
import { createReadStream, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, extname, join, normalize, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mnemonicToAccount } from 'viem/accounts';

export const WEB = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const ROOT = resolve(WEB, '..');
export const OUTPUT = join(WEB, 'test-output');

/** The anvil dev mnemonic: its keys are public test keys (anvil and the devnet print them). */
const ANVIL_MNEMONIC = 'test test test test test test test test test test test junk';
export const devAccount = (index) => mnemonicToAccount(ANVIL_MNEMONIC, { addressIndex: index });

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function log(...args) {
  console.log(`[browser-test ${new Date().toISOString().slice(11, 19)}]`, ...args);
}

export async function freePort() {
  return new Promise((resolvePort, reject) => {
    const s = createNetServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolvePort(port));
    });
  });
}

export async function waitFor(what, fn, { timeout = 60_000, interval = 250 } = {}) {
  const end = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out after ${timeout / 1000} s waiting for ${what}${last ? `: ${last.message}` : ''}`);
    await sleep(interval);
  }
}

let rpcId = 0;
export async function rpc(url, method, params = []) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: ++rpcId, method, params }),
  });
  const body = await response.json();
  if (body.error) throw new Error(`${method}: ${body.error.message}`);
  return body.result;
}

/** The devnet and relayer binaries: $DRAWBRIDGE_DEVNET_BIN, else built by cargo (unless --no-build). */
function binaries({ build }) {
  const devnet = process.env.DRAWBRIDGE_DEVNET_BIN ?? join(ROOT, 'target/debug/drawbridge-devnet');
  const relayer = process.env.DRAWBRIDGE_RELAYER_BIN ?? join(dirname(devnet), 'drawbridge-relayer');
  if (build && !process.env.DRAWBRIDGE_DEVNET_BIN) {
    log('cargo build -p drawbridge-devnet -p drawbridge-relayer');
    const r = spawnSync('cargo', ['build', '-q', '--locked', '-p', 'drawbridge-devnet', '-p', 'drawbridge-relayer'], { cwd: ROOT, stdio: 'inherit' });
    if (r.status !== 0) throw new Error('cargo build of the devnet failed (see above)');
  }
  for (const b of [devnet, relayer]) if (!existsSync(b)) throw new Error(`${b} not found: build it with cargo build -p drawbridge-devnet -p drawbridge-relayer`);
  return { devnet, relayer };
}

const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.json': 'application/json', '.svg': 'image/svg+xml', '.png': 'image/png' };

/**
 * Serves `dist` and, at /deployment.json, the deployment file; at /unreachable-deployment.json the
 * same deployment with its RPC URLs on ports where nothing listens (`deadPort`, `deadPort2`).
 */
function staticServer(dist, deploymentFile, port, deadPort, deadPort2) {
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    if (path === '/unreachable-deployment.json') {
      const d = JSON.parse(readFileSync(deploymentFile, 'utf8'));
      d.l1.rpcUrl = `http://127.0.0.1:${deadPort}`;
      d.l2.rpcUrl = `http://127.0.0.1:${deadPort2}`;
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(JSON.stringify(d));
      return;
    }
    if (path === '/deployment.json') {
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(readFileSync(deploymentFile));
      return;
    }
    const file = normalize(join(dist, path === '/' ? 'index.html' : path));
    if (!file.startsWith(dist) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
    createReadStream(file).pipe(res);
  });
  return new Promise((ok) => server.listen(port, '127.0.0.1', () => ok(server)));
}

/** Starts devnet, relayer and static server; returns handles and stop(). */
export async function startDevnet({ build = true } = {}) {
  const dist = join(WEB, 'dist');
  if (!existsSync(join(dist, 'index.html'))) throw new Error('web/dist is missing: run `npx vite build` first');
  const bins = binaries({ build });
  mkdirSync(OUTPUT, { recursive: true });
  const dir = mkdtempSync(join(tmpdir(), 'drawbridge-web-test-'));
  const [l1Port, l2Port, webPort, deadPort, deadPort2] = [await freePort(), await freePort(), await freePort(), await freePort(), await freePort()];
  const children = [];
  let server;
  const stop = async () => {
    if (server) await new Promise((r) => server.close(r));
    for (const child of children.reverse()) {
      if (child.exitCode !== null || child.signalCode !== null) continue;
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {}
      const exited = await Promise.race([new Promise((r) => child.once('exit', () => r(true))), sleep(10_000).then(() => false)]);
      if (!exited) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {}
      }
    }
    if (!process.env.KEEP_DEVNET_DIR) rmSync(dir, { recursive: true, force: true });
  };
  try {
    const devnetLog = join(OUTPUT, 'devnet.log');
    log(`starting ${bins.devnet} (L1 :${l1Port}, L2 :${l2Port}, state ${dir})`);
    // --no-relayer: the relayer below runs deliver and propose but not finalize, so a withdrawal is
    // finalized by the page itself (and never raced by a relayer).
    const devnet = spawn(bins.devnet, ['--state-dir', join(dir, 'devnet'), '--l1-port', String(l1Port), '--l2-port', String(l2Port), '--no-relayer'], {
      cwd: ROOT,
      detached: true,
      stdio: ['ignore', openSync(devnetLog, 'w'), openSync(devnetLog, 'a')],
    });
    children.push(devnet);
    const deploymentFile = join(dir, 'devnet', 'deployment.json');
    await waitFor('the devnet deployment file', () => {
      if (devnet.exitCode !== null) throw Object.assign(new Error(`the devnet exited (${devnet.exitCode}); see ${devnetLog}`), { fatal: true });
      return existsSync(deploymentFile);
    }, { timeout: 300_000, interval: 500 }).catch((e) => {
      throw new Error(`${e.message}\n${readFileSync(devnetLog, 'utf8').slice(-3000)}`);
    });
    const deployment = JSON.parse(readFileSync(deploymentFile, 'utf8'));

    const relayerKey = devAccount(2);
    if (relayerKey.address.toLowerCase() !== deployment.roles.proposer.toLowerCase())
      throw new Error(`anvil key 2 (${relayerKey.address}) is not the devnet's proposer ${deployment.roles.proposer}`);
    const relayerLog = join(OUTPUT, 'relayer.log');
    const relayer = spawn(
      bins.relayer,
      ['--deployment', deploymentFile, '--database-url', `sqlite://${join(dir, 'relayer.sqlite')}?mode=rwc`, '--roles', 'deliver,propose', '--poll-interval', '500ms'],
      {
        cwd: dir,
        detached: true,
        env: { ...process.env, DRAWBRIDGE_RELAYER_KEY: toHexKey(relayerKey) },
        stdio: ['ignore', openSync(relayerLog, 'w'), openSync(relayerLog, 'a')],
      },
    );
    children.push(relayer);
    server = await staticServer(dist, deploymentFile, webPort, deadPort, deadPort2);
    log(`devnet up: L1 ${deployment.l1.rpcUrl}, L2 ${deployment.l2.rpcUrl}, page http://127.0.0.1:${webPort}/`);
    return { deployment, url: `http://127.0.0.1:${webPort}/`, deadUrl: `http://127.0.0.1:${deadPort}`, deadUrl2: `http://127.0.0.1:${deadPort2}`, stop, relayer, dir };
  } catch (e) {
    await stop();
    throw e;
  }
}

function toHexKey(account) {
  const key = account.getHdKey().privateKey;
  return '0x' + Buffer.from(key).toString('hex');
}

/** Contract ABIs from the committed artifacts (the same the generated web/src/generated/abis.ts holds). */
export function abi(name) {
  return JSON.parse(readFileSync(join(ROOT, 'bindings/artifacts', `${name}.json`), 'utf8')).abi;
}
