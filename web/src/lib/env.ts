// Chains, read clients and the wallet configuration, all from the deployment file.
import { createPublicClient, defineChain, http, type Chain, type PublicClient, type Transport } from 'viem';
import { createConfig, injected, type Config } from 'wagmi';
import type { Deployment } from './deployment';
import { nameNode } from './errors';

export type Client = PublicClient<Transport, Chain>;

export interface Env {
  deployment: Deployment;
  l1Chain: Chain;
  l2Chain: Chain;
  l1: Client;
  l2: Client;
  wagmi: Config;
}

function chain(id: number, name: string, rpcUrl: string): Chain {
  return defineChain({
    id,
    name,
    nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
    rpcUrls: { default: { http: [rpcUrl] } },
  });
}

/** Read calls are batched into one JSON-RPC request per tick. */
const transport = (url: string) => http(url, { batch: { wait: 8 }, retryCount: 1, timeout: 10_000 });

export function createEnv(deployment: Deployment): Env {
  const suffix = deployment.preset && deployment.preset !== 'mainnet' ? ` (${deployment.preset})` : '';
  const l1Chain = chain(deployment.l1.chainId, `Drawbridge L1${suffix}`, deployment.l1.rpcUrl);
  const l2Chain = chain(deployment.l2.chainId, `Drawbridge L2${suffix}`, deployment.l2.rpcUrl);
  nameNode(deployment.l1.rpcUrl, 'L1');
  nameNode(deployment.l2.rpcUrl, 'L2');
  const l1 = createPublicClient({ chain: l1Chain, transport: transport(deployment.l1.rpcUrl) }) as Client;
  const l2 = createPublicClient({ chain: l2Chain, transport: transport(deployment.l2.rpcUrl) }) as Client;
  const wagmi = createConfig({
    chains: [l1Chain, l2Chain],
    // EIP-6963 discovery adds one connector per announced wallet; `injected()` is the legacy
    // `window.ethereum` fallback.
    multiInjectedProviderDiscovery: true,
    connectors: [injected()],
    transports: {
      [l1Chain.id]: transport(deployment.l1.rpcUrl),
      [l2Chain.id]: transport(deployment.l2.rpcUrl),
    },
  });
  return { deployment, l1Chain, l2Chain, l1, l2, wagmi };
}
