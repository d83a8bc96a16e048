import { parseUnits } from 'viem';

/** Parses an amount typed in token units ("1.5"); the error says what is wrong in words. */
export function parseAmount(text: string, decimals: number): { value?: bigint; error?: string } {
  const t = text.trim().replace(/,/g, '');
  if (t === '') return {};
  if (!/^\d*\.?\d*$/.test(t) || t === '.') return { error: 'Enter a number, like 1.5' };
  const frac = t.split('.')[1] ?? '';
  if (frac.length > decimals) return { error: `At most ${decimals} decimals for this token` };
  const value = parseUnits(t, decimals);
  if (value === 0n) return { error: 'The amount must be above zero' };
  return { value };
}
