// Transactions the page sends through the connected wallet: each is simulated first against the
// read client (so a revert is named before the wallet opens), then sent, then awaited.
import { parseEventLogs, type Address, type Hex, type TransactionReceipt } from 'viem';
import { getWalletClient } from 'wagmi/actions';
import { L1BridgeAbi, L2BridgeAbi, TestTokenAbi } from '../generated/abis';
import type { Client, Env } from './env';
import type { Finalization } from './reads';

/** ERC-20 errors (insufficient balance or allowance) decoded on bridge calls that move tokens. */
const TOKEN_ERRORS = TestTokenAbi.filter((x) => x.type === 'error');
const L1BridgeWithTokenErrors = [...L1BridgeAbi, ...TOKEN_ERRORS];

export type OnHash = (hash: Hex) => void;

async function confirmed(client: Client, hash: Hex): Promise<TransactionReceipt> {
  const receipt = await client.waitForTransactionReceipt({ hash, pollingInterval: 500 });
  if (receipt.status !== 'success') throw new Error(`the transaction ${hash} reverted on chain`);
  return receipt;
}

async function wallet(env: Env, chainId: number) {
  return getWalletClient(env.wagmi, { chainId });
}

export async function depositEth(env: Env, account: Address, recipient: Address, amount: bigint, onHash?: OnHash) {
  const { request } = await env.l1.simulateContract({
    account,
    address: env.deployment.l1.l1Bridge,
    abi: L1BridgeAbi,
    functionName: 'depositETH',
    args: [recipient],
    value: amount,
  });
  const hash = await (await wallet(env, env.l1Chain.id)).writeContract(request);
  onHash?.(hash);
  return sentNonce(await confirmed(env.l1, hash));
}

export async function approve(env: Env, account: Address, token: Address, amount: bigint, onHash?: OnHash) {
  const { request } = await env.l1.simulateContract({
    account,
    address: token,
    abi: TestTokenAbi,
    functionName: 'approve',
    args: [env.deployment.l1.l1Bridge, amount],
  });
  const hash = await (await wallet(env, env.l1Chain.id)).writeContract(request);
  onHash?.(hash);
  await confirmed(env.l1, hash);
}

export async function depositErc20(env: Env, account: Address, token: Address, recipient: Address, amount: bigint, onHash?: OnHash) {
  const { request } = await env.l1.simulateContract({
    account,
    address: env.deployment.l1.l1Bridge,
    abi: L1BridgeWithTokenErrors,
    functionName: 'depositERC20',
    args: [token, recipient, amount],
  });
  const hash = await (await wallet(env, env.l1Chain.id)).writeContract(request);
  onHash?.(hash);
  return sentNonce(await confirmed(env.l1, hash));
}

function sentNonce(receipt: TransactionReceipt): bigint | undefined {
  return parseEventLogs({ abi: L1BridgeAbi, logs: receipt.logs, eventName: 'MessageSent' })[0]?.args.nonce;
}

export async function withdraw(env: Env, account: Address, l1Token: Address, recipient: Address, amount: bigint, onHash?: OnHash) {
  const { request } = await env.l2.simulateContract({
    account,
    address: env.deployment.l2.l2Bridge,
    abi: L2BridgeAbi,
    functionName: 'withdraw',
    args: [l1Token, recipient, amount],
  });
  const hash = await (await wallet(env, env.l2Chain.id)).writeContract(request);
  onHash?.(hash);
  const receipt = await confirmed(env.l2, hash);
  return parseEventLogs({ abi: L2BridgeAbi, logs: receipt.logs, eventName: 'WithdrawalInitiated' })[0]?.args.nonce;
}

export async function finalize(env: Env, account: Address, f: Finalization, onHash?: OnHash) {
  const { request } = await env.l1.simulateContract({
    account,
    address: env.deployment.l1.l1Bridge,
    abi: L1BridgeAbi,
    functionName: 'finalizeWithdrawal',
    args: [f.withdrawal, f.outputIndex, f.proof],
  });
  const hash = await (await wallet(env, env.l1Chain.id)).writeContract(request);
  onHash?.(hash);
  await confirmed(env.l1, hash);
  return hash;
}
