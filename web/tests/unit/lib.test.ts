import { describe, expect, it } from 'vitest';
import {
  ContractFunctionExecutionError,
  ContractFunctionRevertedError,
  HttpRequestError,
  UserRejectedRequestError,
  encodeErrorResult,
  zeroAddress,
} from 'viem';
import { BridgedTokenAbi, L1BridgeAbi, L2BridgeAbi } from '../../src/generated/abis';
import { parseAmount } from '../../src/lib/amount';
import { l1Now, observeBlock } from '../../src/lib/clock';
import { DeploymentError, parseDeployment } from '../../src/lib/deployment';
import { describeError, nameNode } from '../../src/lib/errors';
import { formatAmount, formatDuration } from '../../src/lib/format';
import { DAY, exitWindow, exitWindowRisk } from '../../src/lib/risk';
import { depositTimeline, withdrawalTimeline, type WithdrawalFacts } from '../../src/lib/timeline';

describe('exit window', () => {
  it('is the upgrade delay minus the challenge, inclusion and council windows', () => {
    // devnet preset: 120 - (6 + 30 + 6)
    expect(exitWindow({ upgradeDelay: 120, challengePeriod: 6, forcedInclusionWindow: 30, councilResponseWindow: 6 })).toBe(78);
    // mainnet preset: 45 d - (7 d + 1 d + 7 d) = 30 d
    expect(exitWindow({ upgradeDelay: 45 * DAY, challengePeriod: 7 * DAY, forcedInclusionWindow: DAY, councilResponseWindow: 7 * DAY })).toBe(30 * DAY);
  });
  it('is coloured as L2BEAT does', () => {
    expect(exitWindowRisk(-5)).toBe('red');
    expect(exitWindowRisk(78)).toBe('red');
    expect(exitWindowRisk(7 * DAY - 1)).toBe('red');
    expect(exitWindowRisk(7 * DAY)).toBe('yellow');
    expect(exitWindowRisk(30 * DAY - 1)).toBe('yellow');
    expect(exitWindowRisk(30 * DAY)).toBe('green');
  });
});

describe('formatting', () => {
  it('durations', () => {
    expect([0, 6, 60, 78, 3600, 3661, 86400, 45 * DAY + 3 * 3600, -3].map(formatDuration)).toEqual([
      '0 s',
      '6 s',
      '1 min',
      '1 min 18 s',
      '1 h',
      '1 h 1 min',
      '1 d',
      '45 d 3 h',
      '0 s',
    ]);
  });
  it('amounts in token units', () => {
    expect(formatAmount(10n ** 18n, 18, 'ETH')).toBe('1 ETH');
    expect(formatAmount(25n * 10n ** 16n, 18, 'ETH')).toBe('0.25 ETH');
    expect(formatAmount(1234567n * 10n ** 18n, 18)).toBe('1,234,567');
    expect(formatAmount(1n, 18, 'ETH')).toBe('≈ 0 ETH');
    expect(formatAmount(1_500_000n, 6, 'USDC')).toBe('1.5 USDC');
  });
  it('parses typed amounts', () => {
    expect(parseAmount('1.5', 18).value).toBe(15n * 10n ** 17n);
    expect(parseAmount('1,000', 6).value).toBe(10n ** 9n);
    expect(parseAmount('', 18)).toEqual({});
    expect(parseAmount('abc', 18).error).toMatch(/number/);
    expect(parseAmount('0', 18).error).toMatch(/above zero/);
    expect(parseAmount('0.1234567', 6).error).toMatch(/6 decimals/);
  });
});

describe('the L1 clock', () => {
  it('follows block timestamps and extrapolates from when a block was first seen', () => {
    const a = observeBlock(1, 10n, 1000n, 50_000);
    expect(l1Now(a, 50_000)).toBe(1000);
    expect(l1Now(a, 53_500)).toBe(1003);
    // the same block read again later keeps its first-seen time: no jump back
    const b = observeBlock(1, 10n, 1000n, 54_000);
    expect(l1Now(b, 54_000)).toBe(1004);
    // an advanced clock (evm_increaseTime) shows at once
    const c = observeBlock(1, 11n, 9000n, 55_000);
    expect(l1Now(c, 55_000)).toBe(9000);
  });
});

describe('deployment file', () => {
  const good = {
    l1: { chainId: 900, rpcUrl: 'http://127.0.0.1:8545', l1Bridge: '0x' + '11'.repeat(20), outputOracle: '0x' + '22'.repeat(20), deployBlock: 3 },
    l2: { chainId: 901, rpcUrl: 'http://127.0.0.1:9545', l2Bridge: '0x' + '44'.repeat(20), rootOracle: '0x' + '55'.repeat(20), deployBlock: 1 },
    roles: { governance: '0x' + '66'.repeat(20), council: '0x' + '66'.repeat(20), proposer: '0x' + '77'.repeat(20), rootPublisher: '0x' + '77'.repeat(20) },
    params: { preset: 'devnet', challengePeriod: 6 },
    council: { l1: '0x' + '66'.repeat(20), l2: '0x' + '88'.repeat(20), groupKey: { x: '0x1', y: '0x2' } },
  };
  it('reads the devnet format', () => {
    const d = parseDeployment(good);
    expect(d.l1.chainId).toBe(900);
    expect(d.l2.deployBlock).toBe(1n);
    expect(d.council?.l2).toBe('0x' + '88'.repeat(20));
    expect(d.preset).toBe('devnet');
    expect(d.l1.testToken).toBeUndefined();
  });
  it('names the bad field', () => {
    expect(() => parseDeployment({ ...good, l1: { ...good.l1, l1Bridge: 'nope' } })).toThrow(/l1\.l1Bridge/);
    expect(() => parseDeployment({ ...good, l2: { ...good.l2, chainId: 900 } })).toThrow(/share chain id/);
    expect(() => parseDeployment({ ...good, l2: undefined })).toThrow(DeploymentError);
  });
});

describe('errors in words', () => {
  const reverted = (abi: typeof L1BridgeAbi | typeof L2BridgeAbi, data: `0x${string}`, functionName: string) =>
    new ContractFunctionExecutionError(new ContractFunctionRevertedError({ abi, data, functionName }), {
      abi,
      args: [],
      functionName,
      contractAddress: zeroAddress,
    });
  it('decodes a revert name and says what it means', () => {
    const data = encodeErrorResult({ abi: L1BridgeAbi, errorName: 'AlreadyFinalized', args: [3n] });
    const d = describeError(reverted(L1BridgeAbi, data, 'finalizeWithdrawal'), 'Finalization');
    expect(d.revert).toBe('AlreadyFinalized(3)');
    expect(d.message).toBe('Finalization failed: withdrawal 3 was already finalized (AlreadyFinalized)');
  });
  it('decodes an error raised by another contract (the token under the bridge)', () => {
    const data = encodeErrorResult({ abi: BridgedTokenAbi, errorName: 'ERC20InsufficientBalance', args: [zeroAddress, 1n, 2n] });
    const d = describeError(reverted(L2BridgeAbi, data, 'withdraw'), 'Withdrawal');
    expect(d.revert).toBe(`ERC20InsufficientBalance(${zeroAddress}, 1, 2)`);
    expect(d.message).toBe('Withdrawal failed: the balance is too low for this amount (ERC20InsufficientBalance)');
  });
  it('names unknown errors by their decoded name', () => {
    const data = encodeErrorResult({ abi: L1BridgeAbi, errorName: 'TreeFull' });
    expect(describeError(reverted(L1BridgeAbi, data, 'depositETH')).message).toBe('the contract reverted with TreeFull()');
  });
  it('a declined wallet request and an unreachable node', () => {
    expect(describeError(new UserRejectedRequestError(new Error('no')), 'Deposit').message).toBe('Deposit: you declined the request in your wallet');
    expect(describeError(new HttpRequestError({ url: 'http://127.0.0.1:8545' })).message).toBe('node unreachable (http://127.0.0.1:8545)');
    nameNode('http://127.0.0.1:9545', 'L2');
    expect(describeError(new HttpRequestError({ url: 'http://127.0.0.1:9545/' }), 'Withdrawal').message).toBe(
      'Withdrawal failed: L2 node unreachable (http://127.0.0.1:9545)',
    );
  });
});

describe('timelines', () => {
  it('deposit: sent -> root committed -> delivered', () => {
    const base = { nonce: 4n, l1Block: 10n, committedCount: 4n, publishedCount: 4n, processed: 4n, frozen: false };
    let t = depositTimeline(base);
    expect(t.stages.map((s) => s.state)).toEqual(['done', 'current', 'waiting']);
    expect(t.summary).toBe('Waiting for the root commit');
    t = depositTimeline({ ...base, committedCount: 5n });
    expect(t.stages.map((s) => s.state)).toEqual(['done', 'done', 'current']);
    t = depositTimeline({ ...base, committedCount: 5n, publishedCount: 5n, processed: 5n });
    expect(t.stages.map((s) => s.state)).toEqual(['done', 'done', 'done']);
    expect(t.done).toBe(true);
    t = depositTimeline({ ...base, committedCount: 5n, frozen: true });
    expect(t.stages[2].state).toBe('blocked');
    expect(t.summary).toMatch(/refund/);
  });

  const w: WithdrawalFacts = {
    nonce: 0n,
    l2Block: 58n,
    covering: null,
    challengePeriod: 6,
    councilResponseWindow: 6,
    now: 1000,
    final: false,
    disputed: false,
    finalized: false,
    pausedUntil: 0,
    frozen: false,
    escapeCovers: false,
  };
  const states = (f: WithdrawalFacts) => withdrawalTimeline(f).stages.map((s) => s.state);
  const covering = { index: 11n, l2BlockNumber: 60n, proposedAt: 998 };

  it('withdrawal: initiated -> covered -> window -> ready -> finalized', () => {
    expect(states(w)).toEqual(['done', 'current', 'waiting', 'waiting', 'waiting']);
    const inWindow = withdrawalTimeline({ ...w, covering });
    expect(inWindow.stages.map((s) => s.state)).toEqual(['done', 'done', 'current', 'waiting', 'waiting']);
    expect(inWindow.stages[2].endsAt).toBe(1004);
    expect(inWindow.summary).toBe('In the challenge window: 4 s left');
    // window over by the clock, but the chain has not said final yet
    expect(states({ ...w, covering, now: 1004 })).toEqual(['done', 'done', 'done', 'waiting', 'waiting']);
    const ready = withdrawalTimeline({ ...w, covering, now: 1005, final: true });
    expect(ready.stages.map((s) => s.state)).toEqual(['done', 'done', 'done', 'done', 'current']);
    expect(ready.canFinalize).toBe(true);
    const done = withdrawalTimeline({ ...w, covering, now: 1005, final: true, finalized: true });
    expect(done.stages.map((s) => s.state)).toEqual(['done', 'done', 'done', 'done', 'done']);
    expect(done.canFinalize).toBe(false);
    expect(done.summary).toBe('Finalized');
  });

  it('disputed, paused and frozen', () => {
    const disputed = withdrawalTimeline({ ...w, covering, now: 1010, disputed: true });
    expect(disputed.stages[2].state).toBe('blocked');
    expect(disputed.summary).toMatch(/Disputed/);
    const paused = withdrawalTimeline({ ...w, covering, now: 1010, final: true, pausedUntil: 1030 });
    expect(paused.stages[4].state).toBe('blocked');
    expect(paused.stages[4].endsAt).toBe(1030);
    expect(paused.canFinalize).toBe(false);
    expect(paused.summary).toMatch(/paused/);
    // frozen: finalizes against the escape output when it covers the withdrawal, else escapes
    expect(withdrawalTimeline({ ...w, covering, now: 1010, final: true, frozen: true, escapeCovers: true }).canFinalize).toBe(true);
    const frozen = withdrawalTimeline({ ...w, covering, now: 1010, final: true, frozen: true, escapeCovers: false });
    expect(frozen.canFinalize).toBe(false);
    expect(frozen.summary).toMatch(/escape/);
    expect(withdrawalTimeline({ ...w, frozen: true }).stages[1].state).toBe('blocked');
  });
});
