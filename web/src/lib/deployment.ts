// The deployment file (deployment/src/file.rs): every address, the chain ids and RPC URLs. The
// page reads it from `deployment.json` next to itself (the devnet writes `.devnet/deployment.json`).
import { getAddress, isAddress, type Address } from 'viem';

export interface Deployment {
  l1: {
    chainId: number;
    rpcUrl: string;
    l1Bridge: Address;
    outputOracle: Address;
    testToken?: Address;
    deployBlock: bigint;
  };
  l2: {
    chainId: number;
    rpcUrl: string;
    l2Bridge: Address;
    rootOracle: Address;
    deployBlock: bigint;
  };
  roles: { governance: Address; council: Address; proposer: Address; rootPublisher: Address };
  /** The L1 and L2 SecurityCouncil proxies, when councils govern. */
  council?: { l1: Address; l2: Address };
  /** The preset the parameters came from (the live values are read from the contracts). */
  preset?: string;
}

export class DeploymentError extends Error {}

type Json = Record<string, unknown>;

function object(value: unknown, path: string): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new DeploymentError(`${path} must be an object`);
  return value as Json;
}

function address(o: Json, key: string, path: string): Address {
  const v = o[key];
  if (typeof v !== 'string' || !isAddress(v, { strict: false }))
    throw new DeploymentError(`${path}.${key} must be an address, got ${JSON.stringify(v)}`);
  return getAddress(v);
}

function integer(o: Json, key: string, path: string): number {
  const v = o[key];
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0)
    throw new DeploymentError(`${path}.${key} must be a non-negative integer, got ${JSON.stringify(v)}`);
  return v;
}

function url(o: Json, key: string, path: string): string {
  const v = o[key];
  if (typeof v !== 'string' || !/^https?:\/\//.test(v))
    throw new DeploymentError(`${path}.${key} must be an http(s) URL, got ${JSON.stringify(v)}`);
  return v;
}

/** Checks and normalizes a parsed deployment file; the error names the bad field. */
export function parseDeployment(json: unknown): Deployment {
  const root = object(json, 'deployment');
  const l1 = object(root.l1, 'l1');
  const l2 = object(root.l2, 'l2');
  const roles = object(root.roles, 'roles');
  const deployment: Deployment = {
    l1: {
      chainId: integer(l1, 'chainId', 'l1'),
      rpcUrl: url(l1, 'rpcUrl', 'l1'),
      l1Bridge: address(l1, 'l1Bridge', 'l1'),
      outputOracle: address(l1, 'outputOracle', 'l1'),
      testToken: l1.testToken === undefined || l1.testToken === null ? undefined : address(l1, 'testToken', 'l1'),
      deployBlock: BigInt(integer(l1, 'deployBlock', 'l1')),
    },
    l2: {
      chainId: integer(l2, 'chainId', 'l2'),
      rpcUrl: url(l2, 'rpcUrl', 'l2'),
      l2Bridge: address(l2, 'l2Bridge', 'l2'),
      rootOracle: address(l2, 'rootOracle', 'l2'),
      deployBlock: BigInt(integer(l2, 'deployBlock', 'l2')),
    },
    roles: {
      governance: address(roles, 'governance', 'roles'),
      council: address(roles, 'council', 'roles'),
      proposer: address(roles, 'proposer', 'roles'),
      rootPublisher: address(roles, 'rootPublisher', 'roles'),
    },
  };
  if (root.council !== undefined && root.council !== null) {
    const council = object(root.council, 'council');
    deployment.council = { l1: address(council, 'l1', 'council'), l2: address(council, 'l2', 'council') };
  }
  if (root.params && typeof (root.params as Json).preset === 'string') {
    deployment.preset = (root.params as Json).preset as string;
  }
  if (deployment.l1.chainId === deployment.l2.chainId)
    throw new DeploymentError(`L1 and L2 share chain id ${deployment.l1.chainId}`);
  return deployment;
}

/** Fetches and checks the deployment file; errors say what went wrong in words. */
export async function loadDeployment(href: string): Promise<Deployment> {
  let response: Response;
  try {
    response = await fetch(href, { cache: 'no-store' });
  } catch (e) {
    throw new DeploymentError(`could not fetch ${href}: ${(e as Error).message}`);
  }
  if (!response.ok) throw new DeploymentError(`${href} answered HTTP ${response.status}`);
  let json: unknown;
  try {
    json = await response.json();
  } catch {
    throw new DeploymentError(`${href} is not JSON`);
  }
  return parseDeployment(json);
}
