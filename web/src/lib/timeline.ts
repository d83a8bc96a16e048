// Transfer timelines computed from chain facts (pure, unit-tested): deposits go sent -> root
// committed -> delivered; withdrawals go initiated -> covered by an output -> challenge window ->
// ready -> finalized, with disputed, paused and frozen states and what the user can do now.
import { formatDuration, formatTime } from './format';

export type StageState = 'done' | 'current' | 'waiting' | 'blocked';

export interface Stage {
  key: string;
  label: string;
  state: StageState;
  detail: string;
  /** L1 time at which this stage ends by itself (a countdown is shown until then). */
  endsAt?: number;
}

export interface Timeline {
  stages: Stage[];
  /** One line: where the transfer stands and what the user can do now. */
  summary: string;
  /** The transfer is complete. */
  done: boolean;
  /** A withdrawal that can be finalized now. */
  canFinalize?: boolean;
}

export interface DepositFacts {
  nonce: bigint;
  l1Block: bigint;
  /** `L1Bridge.lastCommittedRoot().count`: messages covered by the newest committed root. */
  committedCount: bigint;
  /** `L1RootOracle.latestCount()` on L2: messages covered by the newest root published to L2. */
  publishedCount: bigint;
  /** `L2Bridge.l1MessagesProcessed()`. */
  processed: bigint;
  frozen: boolean;
}

export function depositTimeline(f: DepositFacts): Timeline {
  const committed = f.committedCount > f.nonce;
  const delivered = f.processed > f.nonce;
  const stages: Stage[] = [
    { key: 'sent', label: 'Sent on L1', state: 'done', detail: `message ${f.nonce} in L1 block ${f.l1Block}` },
    {
      key: 'committed',
      label: 'Root committed',
      state: committed || delivered ? 'done' : 'current',
      detail:
        committed || delivered
          ? `an L1 message root covering ${f.committedCount} message${f.committedCount === 1n ? '' : 's'}` +
            (f.publishedCount > f.nonce ? ', published to L2' : ', not yet published to L2')
          : 'waiting for a relayer to commit the L1 message root (anyone may call commitMessageRoot)',
    },
    {
      key: 'delivered',
      label: 'Delivered on L2',
      state: delivered ? 'done' : f.frozen ? 'blocked' : committed ? 'current' : 'waiting',
      detail: delivered
        ? 'minted on L2'
        : f.frozen
          ? 'the bridge is frozen: this deposit will never be delivered; it can be refunded on L1'
          : `waiting for a relayer to process it on L2 (${f.processed} of the L1 messages processed so far)`,
    },
  ];
  const summary = delivered
    ? 'Delivered'
    : f.frozen
      ? 'Frozen: refund on L1'
      : committed
        ? 'Waiting for delivery on L2'
        : 'Waiting for the root commit';
  return { stages, summary, done: delivered };
}

export interface WithdrawalFacts {
  nonce: bigint;
  l2Block: bigint;
  /** The first output whose L2 block includes the withdrawal, if any. */
  covering: { index: bigint; l2BlockNumber: bigint; proposedAt: number } | null;
  challengePeriod: number;
  councilResponseWindow: number;
  /** L1 time now (the L1 clock, not the computer's). */
  now: number;
  /** The covering output (or a later one) is final. */
  final: boolean;
  /** A dispute is open at or below the covering output. */
  disputed: boolean;
  finalized: boolean;
  /** `L1Bridge.pausedUntil()`. */
  pausedUntil: number;
  frozen: boolean;
  /** After a freeze: the escape output covers the withdrawal, so it can still be finalized. */
  escapeCovers: boolean;
}

export function withdrawalTimeline(f: WithdrawalFacts): Timeline {
  const paused = !f.frozen && f.pausedUntil > f.now;
  const c = f.covering;
  const windowEnd = c ? c.proposedAt + f.challengePeriod : undefined;
  const windowOver = windowEnd !== undefined && f.now >= windowEnd;
  const ready = f.finalized || (f.final && (!f.frozen || f.escapeCovers));
  const stages: Stage[] = [
    { key: 'initiated', label: 'Initiated on L2', state: 'done', detail: `withdrawal ${f.nonce} in L2 block ${f.l2Block}` },
    {
      key: 'covered',
      label: 'Covered by an output',
      state: c ? 'done' : f.frozen ? 'blocked' : 'current',
      detail: c
        ? `output #${c.index} (L2 block ${c.l2BlockNumber}) proposed on L1 at ${formatTime(c.proposedAt)}`
        : f.frozen
          ? 'the bridge is frozen before an output covered it: its amount is part of the L2 balance that escapes'
          : `waiting for an output at or after L2 block ${f.l2Block}`,
    },
  ];
  let windowStage: Stage;
  if (!c || windowEnd === undefined) {
    windowStage = {
      key: 'window',
      label: 'Challenge window',
      state: 'waiting',
      detail: `${formatDuration(f.challengePeriod)} once an output covers it`,
    };
  } else if (f.disputed && !f.final) {
    windowStage = {
      key: 'window',
      label: 'Challenge window',
      state: 'blocked',
      detail: `disputed: output #${c.index} or an earlier one was challenged; waiting for the council's verdict (it has ${formatDuration(f.councilResponseWindow)} before a freeze can go ahead without it)`,
    };
  } else if (!windowOver && !f.final) {
    windowStage = {
      key: 'window',
      label: 'Challenge window',
      state: 'current',
      detail: `ends at ${formatTime(windowEnd)} (L1 time)`,
      endsAt: windowEnd,
    };
  } else {
    windowStage = {
      key: 'window',
      label: 'Challenge window',
      state: 'done',
      detail: f.final || f.finalized ? `ended at ${formatTime(windowEnd)}` : 'over: waiting for the next L1 block to make the output final',
    };
  }
  stages.push(windowStage);
  stages.push({
    key: 'ready',
    label: 'Ready to finalize',
    state: ready ? 'done' : f.frozen && f.final ? 'blocked' : 'waiting',
    detail: ready
      ? 'a final output covers it: anyone can finalize it on L1 with a proof'
      : f.frozen && f.final
        ? 'the bridge froze at an earlier output: escape with an L2 balance proof instead'
        : 'once the output is final',
  });
  stages.push({
    key: 'finalized',
    label: 'Finalized on L1',
    state: f.finalized ? 'done' : ready ? (paused ? 'blocked' : 'current') : 'waiting',
    detail: f.finalized
      ? 'paid on L1'
      : ready && paused
        ? `the bridge is paused until ${formatTime(f.pausedUntil)}: finalization waits until then (a pause ends by itself)`
        : ready
          ? 'finalize now: the page builds the proof from chain data'
          : 'paid to the recipient on L1',
    endsAt: ready && paused ? f.pausedUntil : undefined,
  });

  let summary: string;
  if (f.finalized) summary = 'Finalized';
  else if (ready && paused) summary = `Ready, but paused until ${formatTime(f.pausedUntil)}`;
  else if (ready) summary = 'Ready to finalize';
  else if (f.frozen) summary = 'Frozen: escape instead';
  else if (!c) summary = 'Waiting for an output';
  else if (f.disputed) summary = 'Disputed: waiting for the council';
  else if (!windowOver) summary = `In the challenge window: ${formatDuration(windowEnd! - f.now)} left`;
  else summary = 'Waiting for finality';
  return { stages, summary, done: f.finalized, canFinalize: ready && !f.finalized && !paused };
}
