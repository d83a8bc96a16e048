import { formatUnits, type Address } from 'viem';

/** "45 s", "2 min 5 s", "3 h 4 min", "12 d 3 h"; negative durations are "0 s". */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  if (d > 0) return h > 0 ? `${d} d ${h} h` : `${d} d`;
  if (h > 0) return m > 0 ? `${h} h ${m} min` : `${h} h`;
  if (m > 0) return r > 0 ? `${m} min ${r} s` : `${m} min`;
  return `${r} s`;
}

/** A token amount in its units, with at most `maxDecimals` decimals shown (never rounded up). */
export function formatAmount(amount: bigint, decimals: number, symbol?: string, maxDecimals = 6): string {
  const full = formatUnits(amount, decimals);
  const [int, frac = ''] = full.split('.');
  const cut = frac.slice(0, maxDecimals).replace(/0+$/, '');
  const withSeparators = int.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const text = cut ? `${withSeparators}.${cut}` : withSeparators;
  const truncated = frac.length > maxDecimals && /[1-9]/.test(frac.slice(maxDecimals));
  return `${truncated ? '≈ ' : ''}${text}${symbol ? ` ${symbol}` : ''}`;
}

export function shortAddress(a: Address | string): string {
  return a.length > 12 ? `${a.slice(0, 6)}…${a.slice(-4)}` : a;
}

/** A UNIX time as an ISO-like local time, to the second. */
export function formatTime(unixSeconds: number): string {
  const d = new Date(unixSeconds * 1000);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

export const ZERO_ADDRESS = '0x0000000000000000000000000000000000000000' as const;
