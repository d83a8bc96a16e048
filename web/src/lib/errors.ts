// Errors in words: decoded revert names (with a sentence for the ones users meet), a declined
// wallet request, an unreachable node. Never a raw stack or a blank spinner.
import {
  BaseError,
  ContractFunctionRevertedError,
  HttpRequestError,
  TimeoutError,
  UserRejectedRequestError,
  decodeErrorResult,
  type Abi,
  type Hex,
} from 'viem';
import { AllErrorsAbi } from '../generated/abis';
import { formatTime } from './format';

/** Every error of every generated ABI, to decode a revert whatever contract it came from. */
export const ALL_ERRORS: Abi = AllErrorsAbi;

type Args = readonly unknown[] | undefined;

/** RPC URLs and the chain each serves, so that a failed request names its node ("L1 node"). */
const nodeNames = new Map<string, string>();
const normalizeUrl = (url: string) => url.replace(/\/+$/, '');
export function nameNode(url: string, name: string) {
  nodeNames.set(normalizeUrl(url), name);
}

const num = (v: unknown) => Number(v as bigint);

/** Sentences for the reverts a user of the page can meet. */
const SENTENCES: Record<string, (args: Args) => string> = {
  BridgePaused: (a) =>
    `the bridge is paused until ${formatTime(num(a?.[0]))}: deposits and finalization wait until then (the pause ends by itself)`,
  BridgeFrozen: () => 'the bridge is frozen for good: no deposits or new outputs; withdrawals finalize only up to the escape output',
  ZeroAmount: () => 'the amount must be above zero',
  ZeroRecipient: () => 'the recipient must not be the zero address',
  InvalidToken: (a) => `${String(a?.[0])} is not an ERC-20 token the bridge accepts`,
  NothingArrived: () => 'the token transferred nothing to the bridge',
  OutputNotFinal: (a) => `output #${String(a?.[0])} is not final yet`,
  OutputAfterEscape: (a) => `output #${String(a?.[0])} is after the escape output: after the freeze, finalize against the escape output`,
  InvalidProof: () => 'the Merkle proof does not place the withdrawal under the output root',
  AlreadyFinalized: (a) => `withdrawal ${String(a?.[0])} was already finalized`,
  InsufficientEscrow: () => 'the bridge holds less of this token than the withdrawal pays',
  EthTransferFailed: (a) => `the recipient ${String(a?.[0])} refused the ETH`,
  UnknownToken: (a) => `${String(a?.[0])} has no bridged token on L2`,
  ERC20InsufficientBalance: () => 'the balance is too low for this amount',
  ERC20InsufficientAllowance: () => 'the bridge is not allowed to spend this much yet: approve first',
  PauseCooldown: (a) => `no new pause before ${formatTime(num(a?.[0]))}`,
  NotOverdue: (a) => `forced withdrawal ${String(a?.[0])} is not overdue yet`,
  SenderNotEOA: () => 'only an externally owned account may do this, from its own key',
  NotReady: (a) => `the scheduled call is not ready before ${formatTime(num(a?.[1]))}`,
};

export interface DescribedError {
  /** What went wrong, in words. */
  message: string;
  /** The decoded revert, e.g. `BridgePaused(1764000000)`, when there is one. */
  revert?: string;
}

function revertName(name: string, args: Args): string {
  return `${name}(${(args ?? []).map((a) => String(a)).join(', ')})`;
}

/** What `e` means for the user, in words; `action` says what was being done ("Deposit"). */
export function describeError(e: unknown, action?: string): DescribedError {
  const prefix = action ? `${action} failed: ` : '';
  if (e instanceof BaseError) {
    const rejected = e.walk((x) => x instanceof UserRejectedRequestError);
    if (rejected || (e as { code?: number }).code === 4001)
      return { message: `${action ? `${action}: ` : ''}you declined the request in your wallet` };
    const reverted = e.walk((x) => x instanceof ContractFunctionRevertedError) as ContractFunctionRevertedError | null;
    if (reverted) {
      let name = reverted.data?.errorName;
      let args: Args = reverted.data?.args;
      if (!name && reverted.raw) {
        try {
          const decoded = decodeErrorResult({ abi: ALL_ERRORS, data: reverted.raw as Hex });
          name = decoded.errorName;
          args = decoded.args as Args;
        } catch {
          // an error no generated ABI knows
        }
      }
      if (name) {
        const sentence = SENTENCES[name]?.(args);
        const revert = revertName(name, args);
        return { message: `${prefix}${sentence ? `${sentence} (${name})` : `the contract reverted with ${revert}`}`, revert };
      }
      if (reverted.reason) return { message: `${prefix}the contract reverted: ${reverted.reason}` };
      return { message: `${prefix}the contract reverted without a reason` };
    }
    const http = e.walk((x) => x instanceof HttpRequestError) as HttpRequestError | null;
    if (http) {
      const node = nodeNames.get(normalizeUrl(http.url));
      return { message: `${prefix}${node ? `${node} node` : 'node'} unreachable (${normalizeUrl(http.url)})${http.status ? `: HTTP ${http.status}` : ''}` };
    }
    if (e.walk((x) => x instanceof TimeoutError)) return { message: `${prefix}the node did not answer in time` };
    return { message: `${prefix}${e.shortMessage}` };
  }
  if (e instanceof Error) return { message: `${prefix}${e.message}` };
  return { message: `${prefix}${String(e)}` };
}
