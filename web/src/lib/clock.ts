// The L1 clock. Windows and countdowns follow L1's block timestamps, not the computer's clock (a
// devnet's clock can be advanced). Between blocks the page extrapolates from the moment it first
// saw the newest block: that is about the timestamp the next block will carry.
const firstSeen = new Map<string, number>();

export interface ClockReading {
  /** Timestamp of the newest L1 block read. */
  l1Time: number;
  /** Wall-clock time (ms) when the page first saw that block. */
  readAt: number;
}

export function observeBlock(chainId: number, number: bigint, timestamp: bigint, wallNow = Date.now()): ClockReading {
  const key = `${chainId}:${number}`;
  let seen = firstSeen.get(key);
  if (seen === undefined) {
    seen = wallNow;
    firstSeen.set(key, seen);
    if (firstSeen.size > 64) firstSeen.delete(firstSeen.keys().next().value!);
  }
  return { l1Time: Number(timestamp), readAt: seen };
}

/** L1 time now (seconds): the newest block's timestamp plus the time elapsed since it was first seen. */
export function l1Now(reading: ClockReading | undefined, wallNow = Date.now()): number {
  if (!reading) return Math.floor(wallNow / 1000);
  return reading.l1Time + Math.max(0, Math.floor((wallNow - reading.readAt) / 1000));
}
