// Everything the page reads from the chains. Protocol state comes from the contracts (never from
// the deployment file's parameter copy) and transfers from event scans from the deploy blocks.
import { type Address, type Hex, zeroAddress } from 'viem';
import {
  BridgedTokenAbi,
  L1BridgeAbi,
  L1RootOracleAbi,
  L2BridgeAbi,
  OutputOracleAbi,
  SecurityCouncilAbi,
  TestTokenAbi,
} from '../generated/abis';
import { l1MessageLeaf, merkleProof, merkleRoot, verifyProof, withdrawalLeaf, type Withdrawal } from '../protocol';
import { observeBlock } from './clock';
import type { Client, Env } from './env';

/** Blocks per eth_getLogs request (public nodes cap the range). */
export const LOG_RANGE = 10_000n;

/** Runs `fetch` over [from, latest] in windows of LOG_RANGE blocks. */
export async function scan<T>(
  client: Client,
  from: bigint,
  fetch: (fromBlock: bigint, toBlock: bigint) => Promise<T[]>,
  to?: bigint,
): Promise<T[]> {
  const last = to ?? (await client.getBlockNumber());
  const out: T[] = [];
  for (let start = from; start <= last; start += LOG_RANGE) {
    const end = start + LOG_RANGE - 1n < last ? start + LOG_RANGE - 1n : last;
    out.push(...(await fetch(start, end)));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Tokens

export interface TokenInfo {
  /** The L1 token (`address(0)` for ETH). */
  l1Token: Address;
  symbol: string;
  decimals: number;
  name: string;
}

export const ETH: TokenInfo = { l1Token: zeroAddress, symbol: 'ETH', decimals: 18, name: 'Ether' };

const tokenCache = new Map<string, Promise<TokenInfo>>();

/** An L1 token's symbol and decimals, read defensively (a token that does not answer gets its address). */
export function l1TokenInfo(env: Env, token: Address): Promise<TokenInfo> {
  if (token === zeroAddress) return Promise.resolve(ETH);
  const key = token.toLowerCase();
  let hit = tokenCache.get(key);
  if (!hit) {
    hit = (async () => {
      const [symbol, decimals, name] = await Promise.all([
        env.l1.readContract({ address: token, abi: TestTokenAbi, functionName: 'symbol' }).catch(() => undefined),
        env.l1.readContract({ address: token, abi: TestTokenAbi, functionName: 'decimals' }).catch(() => undefined),
        env.l1.readContract({ address: token, abi: TestTokenAbi, functionName: 'name' }).catch(() => undefined),
      ]);
      return {
        l1Token: token,
        symbol: symbol || `${token.slice(0, 8)}…`,
        decimals: decimals ?? 18,
        name: name || token,
      };
    })();
    hit.catch(() => tokenCache.delete(key));
    tokenCache.set(key, hit);
  }
  return hit;
}

export interface BridgedToken extends TokenInfo {
  l2Token: Address;
}

/** Tokens deployed on L2 (`BridgedTokenDeployed`), ETH included once it was deposited. */
export async function bridgedTokens(env: Env): Promise<BridgedToken[]> {
  const { l2Bridge, deployBlock } = env.deployment.l2;
  const logs = await scan(env.l2, deployBlock, (fromBlock, toBlock) =>
    env.l2.getContractEvents({ address: l2Bridge, abi: L2BridgeAbi, eventName: 'BridgedTokenDeployed', fromBlock, toBlock, strict: true }),
  );
  return logs.map((l) => ({
    l1Token: l.args.l1Token,
    l2Token: l.args.l2Token,
    symbol: l.args.symbol || `${l.args.l1Token.slice(0, 8)}…`,
    name: l.args.name,
    decimals: l.args.decimals,
  }));
}

// ---------------------------------------------------------------------------------------------
// Bridge state shared by the timelines and the security page

export interface OutputInfo {
  index: bigint;
  l2BlockNumber: bigint;
  proposedAt: number;
  withdrawalRoot: Hex;
  l1MessagesProcessed: bigint;
  /** 0 none, 1 proposed, 2 challenged, ... (IOutputOracle.OutputStatus) */
  status: number;
}

export async function getOutput(env: Env, index: bigint): Promise<OutputInfo> {
  const o = await env.l1.readContract({
    address: env.deployment.l1.outputOracle,
    abi: OutputOracleAbi,
    functionName: 'getOutput',
    args: [index],
  });
  return {
    index,
    l2BlockNumber: o.l2BlockNumber,
    proposedAt: Number(o.proposedAt),
    withdrawalRoot: o.withdrawalRoot,
    l1MessagesProcessed: o.l1MessagesProcessed,
    status: o.status,
  };
}

/** `latestFinalIndex()`, or null when no output is final (it reverts `NotFinal(0)` then). */
async function latestFinalIndex(env: Env): Promise<bigint | null> {
  try {
    return await env.l1.readContract({ address: env.deployment.l1.outputOracle, abi: OutputOracleAbi, functionName: 'latestFinalIndex' });
  } catch (e) {
    if (String((e as Error).message).includes('NotFinal')) return null;
    throw e;
  }
}

export interface BridgeState {
  /** Latest L1 block: its number and timestamp (the L1 clock). */
  l1Block: bigint;
  l1Time: number;
  /** Local wall-clock time (ms) when `l1Time` was read. */
  readAt: number;
  l2Block: bigint;
  pausedUntil: number;
  frozen: boolean;
  challengePeriod: number;
  councilResponseWindow: number;
  outputCount: bigint;
  latestFinal: bigint | null;
  firstOpenDispute: bigint | null;
  escape: { hasEscapeOutput: boolean; outputIndex: bigint } | null;
  committedCount: bigint;
  messageCount: bigint;
  publishedCount: bigint;
  processed: bigint;
}

export async function bridgeState(env: Env): Promise<BridgeState> {
  const { l1Bridge, outputOracle } = env.deployment.l1;
  const { l2Bridge, rootOracle } = env.deployment.l2;
  const l1 = env.l1;
  const bridge = { address: l1Bridge, abi: L1BridgeAbi } as const;
  const oracle = { address: outputOracle, abi: OutputOracleAbi } as const;
  const [block, l2Block, pausedUntil, frozen, challengePeriod, councilResponseWindow, outputCount, latestFinal, dispute, committed, messageCount, publishedCount, processed] =
    await Promise.all([
      l1.getBlock({ blockTag: 'latest' }),
      env.l2.getBlockNumber(),
      l1.readContract({ ...bridge, functionName: 'pausedUntil' }),
      l1.readContract({ ...bridge, functionName: 'frozen' }),
      l1.readContract({ ...oracle, functionName: 'challengePeriod' }),
      l1.readContract({ ...oracle, functionName: 'councilResponseWindow' }),
      l1.readContract({ ...oracle, functionName: 'outputCount' }),
      latestFinalIndex(env),
      l1.readContract({ ...oracle, functionName: 'firstOpenDispute' }),
      l1.readContract({ ...bridge, functionName: 'lastCommittedRoot' }),
      l1.readContract({ ...bridge, functionName: 'messageCount' }),
      env.l2.readContract({ address: rootOracle, abi: L1RootOracleAbi, functionName: 'latestCount' }),
      env.l2.readContract({ address: l2Bridge, abi: L2BridgeAbi, functionName: 'l1MessagesProcessed' }),
    ]);
  let escape: BridgeState['escape'] = null;
  if (frozen) {
    const e = await l1.readContract({ ...bridge, functionName: 'escapeOutput' });
    escape = { hasEscapeOutput: e[0], outputIndex: e[1] };
  }
  return {
    l1Block: block.number,
    ...observeBlock(env.l1Chain.id, block.number, block.timestamp),
    l2Block,
    pausedUntil: Number(pausedUntil),
    frozen,
    challengePeriod: Number(challengePeriod),
    councilResponseWindow: Number(councilResponseWindow),
    outputCount,
    latestFinal,
    firstOpenDispute: dispute[0] ? dispute[1] : null,
    escape,
    committedCount: committed[1],
    messageCount,
    publishedCount,
    processed,
  };
}

// ---------------------------------------------------------------------------------------------
// Transfers of one address

export interface DepositRecord {
  kind: 'deposit';
  nonce: bigint;
  sender: Address;
  recipient: Address;
  token: TokenInfo;
  amount: bigint;
  l1Block: bigint;
  txHash: Hex;
  /** The leaf recomputed in the browser equals the one the contract emitted. */
  leafChecked: boolean;
}

export async function depositsOf(env: Env, account: Address): Promise<DepositRecord[]> {
  const { l1Bridge, deployBlock, chainId } = env.deployment.l1;
  const logs = await scan(env.l1, deployBlock, (fromBlock, toBlock) =>
    env.l1.getContractEvents({
      address: l1Bridge,
      abi: L1BridgeAbi,
      eventName: 'MessageSent',
      args: { sender: account, kind: 1 },
      fromBlock,
      toBlock,
      strict: true,
    }),
  );
  return Promise.all(
    logs.map(async (l) => {
      const a = l.args;
      const leaf = l1MessageLeaf(BigInt(chainId), l1Bridge, {
        kind: a.kind,
        nonce: a.nonce,
        sender: a.sender,
        recipient: a.recipient,
        token: a.token,
        amount: a.amount,
        data: a.data,
      });
      return {
        kind: 'deposit' as const,
        nonce: a.nonce,
        sender: a.sender,
        recipient: a.recipient,
        token: await l1TokenInfo(env, a.token),
        amount: a.amount,
        l1Block: l.blockNumber,
        txHash: l.transactionHash,
        leafChecked: leaf.toLowerCase() === a.leaf.toLowerCase(),
      };
    }),
  );
}

export interface WithdrawalRecord {
  kind: 'withdrawal';
  withdrawal: Withdrawal;
  token: TokenInfo;
  l2Block: bigint;
  txHash: Hex;
  leafChecked: boolean;
  covering: OutputInfo | null;
  finalized: boolean;
}

/** The first output whose L2 block is at or after `l2Block` (binary search over `getOutput`). */
export async function firstCoveringOutput(
  env: Env,
  l2Block: bigint,
  outputCount: bigint,
  cache: Map<bigint, Promise<OutputInfo>>,
): Promise<OutputInfo | null> {
  const get = (i: bigint) => {
    let hit = cache.get(i);
    if (!hit) cache.set(i, (hit = getOutput(env, i)));
    return hit;
  };
  let lo = 0n;
  let hi = outputCount;
  while (lo < hi) {
    const mid = (lo + hi) / 2n;
    if ((await get(mid)).l2BlockNumber >= l2Block) hi = mid;
    else lo = mid + 1n;
  }
  return lo < outputCount ? get(lo) : null;
}

export async function withdrawalsOf(env: Env, account: Address, state: BridgeState): Promise<WithdrawalRecord[]> {
  const { l2Bridge, deployBlock, chainId } = env.deployment.l2;
  const logs = await scan(env.l2, deployBlock, (fromBlock, toBlock) =>
    env.l2.getContractEvents({
      address: l2Bridge,
      abi: L2BridgeAbi,
      eventName: 'WithdrawalInitiated',
      args: { sender: account },
      fromBlock,
      toBlock,
      strict: true,
    }),
  );
  const cache = new Map<bigint, Promise<OutputInfo>>();
  return Promise.all(
    logs.map(async (l) => {
      const a = l.args;
      const withdrawal: Withdrawal = { nonce: a.nonce, sender: a.sender, recipient: a.recipient, l1Token: a.l1Token, amount: a.amount };
      const [token, covering, finalized] = await Promise.all([
        l1TokenInfo(env, a.l1Token),
        firstCoveringOutput(env, l.blockNumber, state.outputCount, cache),
        env.l1.readContract({ address: env.deployment.l1.l1Bridge, abi: L1BridgeAbi, functionName: 'isWithdrawalFinalized', args: [a.nonce] }),
      ]);
      return {
        kind: 'withdrawal' as const,
        withdrawal,
        token,
        l2Block: l.blockNumber,
        txHash: l.transactionHash,
        leafChecked: withdrawalLeaf(BigInt(chainId), l2Bridge, withdrawal).toLowerCase() === a.leaf.toLowerCase(),
        covering,
        finalized,
      };
    }),
  );
}

// ---------------------------------------------------------------------------------------------
// Finalization: the proof, built from chain data in the browser

export interface Finalization {
  withdrawal: Withdrawal;
  outputIndex: bigint;
  proof: Hex[];
  /** Leaves under the output (the withdrawal tree's size at the output's L2 block). */
  count: number;
  root: Hex;
}

export class ProofError extends Error {}

/**
 * The proof of `w` against the newest output the bridge pays against (after a freeze, the escape
 * output): every `WithdrawalInitiated` up to the output's L2 block -> leaves recomputed from the
 * event fields -> the tree -> its root checked against the output's `withdrawalRoot` -> a short
 * proof checked locally before anything is sent.
 */
export async function buildFinalization(env: Env, w: Withdrawal, state: BridgeState): Promise<Finalization> {
  let outputIndex: bigint | null = state.latestFinal;
  if (state.frozen) {
    if (!state.escape?.hasEscapeOutput) throw new ProofError('the bridge froze before any output was final: nothing finalizes; escape instead');
    if (outputIndex === null || state.escape.outputIndex < outputIndex) outputIndex = state.escape.outputIndex;
  }
  if (outputIndex === null) throw new ProofError('no output is final yet');
  const output = await getOutput(env, outputIndex);
  const { l2Bridge, deployBlock, chainId } = env.deployment.l2;
  const logs = await scan(
    env.l2,
    deployBlock,
    (fromBlock, toBlock) =>
      env.l2.getContractEvents({ address: l2Bridge, abi: L2BridgeAbi, eventName: 'WithdrawalInitiated', fromBlock, toBlock, strict: true }),
    output.l2BlockNumber,
  );
  const byNonce = [...logs].sort((a, b) => (a.args.nonce < b.args.nonce ? -1 : a.args.nonce > b.args.nonce ? 1 : 0));
  const leaves: Hex[] = [];
  for (const [i, l] of byNonce.entries()) {
    const a = l.args;
    if (a.nonce !== BigInt(i)) throw new ProofError(`the L2 node's withdrawal events skip nonce ${i}: it may be incomplete`);
    const leaf = withdrawalLeaf(BigInt(chainId), l2Bridge, {
      nonce: a.nonce,
      sender: a.sender,
      recipient: a.recipient,
      l1Token: a.l1Token,
      amount: a.amount,
    });
    if (leaf.toLowerCase() !== a.leaf.toLowerCase()) throw new ProofError(`withdrawal ${i}: the leaf recomputed from the event differs from the emitted one`);
    leaves.push(leaf);
  }
  const count = leaves.length;
  const root = merkleRoot(leaves);
  const expected = state.frozen && state.escape?.outputIndex === outputIndex ? await escapeWithdrawalRoot(env) : output.withdrawalRoot;
  if (root.toLowerCase() !== expected.toLowerCase())
    throw new ProofError(
      `the ${count} withdrawals read from L2 up to block ${output.l2BlockNumber} do not give output #${outputIndex}'s withdrawal root: the L2 node disagrees with L1; nothing was sent`,
    );
  if (w.nonce >= BigInt(count))
    throw new ProofError(`output #${outputIndex} covers withdrawals 0..${count - 1} only: wait for a later final output`);
  const proof = merkleProof(leaves, Number(w.nonce), count);
  if (!verifyProof(leaves[Number(w.nonce)], Number(w.nonce), proof, expected)) throw new ProofError('the proof does not verify locally');
  return { withdrawal: w, outputIndex, proof, count, root };
}

async function escapeWithdrawalRoot(env: Env): Promise<Hex> {
  const e = await env.l1.readContract({ address: env.deployment.l1.l1Bridge, abi: L1BridgeAbi, functionName: 'escapeOutput' });
  return e[3];
}

// ---------------------------------------------------------------------------------------------
// The security page

export interface ScheduledCall {
  id: Hex;
  target: Address;
  data: Hex;
  eta: number;
}

export interface TokenSupply {
  token: TokenInfo;
  escrow: bigint;
  l2Token: Address | null;
  l2Supply: bigint;
}

export interface SecurityState {
  l1Time: number;
  readAt: number;
  pausedUntil: number;
  maxPause: number;
  pauseCooldown: number;
  frozen: boolean;
  escape: { hasEscapeOutput: boolean; outputIndex: bigint } | null;
  challengePeriod: number;
  forcedInclusionWindow: number;
  councilResponseWindow: number;
  proposerTimeout: number;
  lastProposedAt: number;
  outputCount: bigint;
  lastOutput: OutputInfo | null;
  latestFinal: bigint | null;
  governance: Address;
  /** The L1 SecurityCouncil, when one governs the L1 proxies. */
  council: null | {
    address: Address;
    upgradeDelay: number;
    exitWindow: number;
    threshold: number;
    members: number;
    scheduled: ScheduledCall[];
  };
  tokens: TokenSupply[];
}

export async function securityState(env: Env): Promise<SecurityState> {
  const { l1Bridge, outputOracle, deployBlock } = env.deployment.l1;
  const l1 = env.l1;
  const bridge = { address: l1Bridge, abi: L1BridgeAbi } as const;
  const oracle = { address: outputOracle, abi: OutputOracleAbi } as const;
  const [block, pausedUntil, maxPause, pauseCooldown, frozen, forcedInclusionWindow, governance, challengePeriod, councilResponseWindow, proposerTimeout, lastProposedAt, outputCount, latestFinal, announced] =
    await Promise.all([
      l1.getBlock({ blockTag: 'latest' }),
      l1.readContract({ ...bridge, functionName: 'pausedUntil' }),
      l1.readContract({ ...bridge, functionName: 'maxPause' }),
      l1.readContract({ ...bridge, functionName: 'pauseCooldown' }),
      l1.readContract({ ...bridge, functionName: 'frozen' }),
      l1.readContract({ ...bridge, functionName: 'forcedInclusionWindow' }),
      l1.readContract({ ...bridge, functionName: 'governance' }),
      l1.readContract({ ...oracle, functionName: 'challengePeriod' }),
      l1.readContract({ ...oracle, functionName: 'councilResponseWindow' }),
      l1.readContract({ ...oracle, functionName: 'proposerTimeout' }),
      l1.readContract({ ...oracle, functionName: 'lastProposedAt' }),
      l1.readContract({ ...oracle, functionName: 'outputCount' }),
      latestFinalIndex(env),
      scan(l1, deployBlock, (fromBlock, toBlock) =>
        l1.getContractEvents({ ...bridge, eventName: 'TokenAnnounced', fromBlock, toBlock, strict: true }),
      ),
    ]);
  let escape: SecurityState['escape'] = null;
  if (frozen) {
    const e = await l1.readContract({ ...bridge, functionName: 'escapeOutput' });
    escape = { hasEscapeOutput: e[0], outputIndex: e[1] };
  }
  const lastOutput = outputCount > 0n ? await getOutput(env, outputCount - 1n) : null;

  // Governance: a SecurityCouncil (code with a timelock) or a plain account (upgrades at once).
  let council: SecurityState['council'] = null;
  const code = await l1.getCode({ address: governance });
  if (code && code !== '0x') {
    const c = { address: governance, abi: SecurityCouncilAbi } as const;
    const [upgradeDelay, params, scheduled, executed, cancelled] = await Promise.all([
      l1.readContract({ ...c, functionName: 'upgradeDelay' }),
      l1.readContract({ ...c, functionName: 'params' }),
      scan(l1, deployBlock, (fromBlock, toBlock) => l1.getContractEvents({ ...c, eventName: 'CallScheduled', fromBlock, toBlock, strict: true })),
      scan(l1, deployBlock, (fromBlock, toBlock) => l1.getContractEvents({ ...c, eventName: 'CallExecuted', fromBlock, toBlock, strict: true })),
      scan(l1, deployBlock, (fromBlock, toBlock) => l1.getContractEvents({ ...c, eventName: 'CallCancelled', fromBlock, toBlock, strict: true })),
    ]);
    const done = new Set([...executed, ...cancelled].map((l) => l.args.id.toLowerCase()));
    council = {
      address: governance,
      upgradeDelay: Number(upgradeDelay),
      exitWindow: Number(params.exitWindow),
      threshold: params.threshold,
      members: params.members,
      scheduled: scheduled
        .filter((l) => !done.has(l.args.id.toLowerCase()))
        .map((l) => ({ id: l.args.id, target: l.args.target, data: l.args.data, eta: Number(l.args.eta) })),
    };
  }

  // Escrow on L1 against the bridged supply on L2, per token (ETH first).
  const tokenAddresses = [zeroAddress as Address, ...announced.map((l) => l.args.token).filter((t) => t !== zeroAddress)];
  const tokens = await Promise.all(
    tokenAddresses.map(async (t) => {
      const [token, escrow, l2Token] = await Promise.all([
        l1TokenInfo(env, t),
        l1.readContract({ ...bridge, functionName: 'escrowed', args: [t] }),
        env.l2.readContract({ address: env.deployment.l2.l2Bridge, abi: L2BridgeAbi, functionName: 'bridgedToken', args: [t] }),
      ]);
      const deployed = l2Token !== zeroAddress;
      const l2Supply = deployed
        ? await env.l2.readContract({ address: l2Token, abi: BridgedTokenAbi, functionName: 'totalSupply' })
        : 0n;
      return { token, escrow, l2Token: deployed ? l2Token : null, l2Supply };
    }),
  );

  return {
    ...observeBlock(env.l1Chain.id, block.number, block.timestamp),
    pausedUntil: Number(pausedUntil),
    maxPause: Number(maxPause),
    pauseCooldown: Number(pauseCooldown),
    frozen,
    escape,
    challengePeriod: Number(challengePeriod),
    forcedInclusionWindow: Number(forcedInclusionWindow),
    councilResponseWindow: Number(councilResponseWindow),
    proposerTimeout: Number(proposerTimeout),
    lastProposedAt: Number(lastProposedAt),
    outputCount,
    lastOutput,
    latestFinal,
    governance,
    council,
    tokens,
  };
}
