// The exit window and its colour, as L2BEAT grades it: red under 7 days, yellow under 30, green
// from 30 days.
export const DAY = 86400;

export type Risk = 'red' | 'yellow' | 'green';

export interface ExitWindowInputs {
  /** The L1 SecurityCouncil's timelock (`upgradeDelay()`), 0 when an account upgrades at once. */
  upgradeDelay: number;
  /** `OutputOracle.challengePeriod()`. */
  challengePeriod: number;
  /** `L1Bridge.forcedInclusionWindow()`. */
  forcedInclusionWindow: number;
  /** `OutputOracle.councilResponseWindow()`. */
  councilResponseWindow: number;
}

/**
 * Time a user has to leave once an upgrade is scheduled, after forcing a withdrawal, waiting out
 * its inclusion window, the challenge period and a disputed covering output (docs/design.md,
 * "Parameters and their invariants"). Negative when the delay does not even cover those.
 */
export function exitWindow(p: ExitWindowInputs): number {
  return p.upgradeDelay - (p.challengePeriod + p.forcedInclusionWindow + p.councilResponseWindow);
}

export function exitWindowRisk(seconds: number): Risk {
  if (seconds < 7 * DAY) return 'red';
  if (seconds < 30 * DAY) return 'yellow';
  return 'green';
}

export const RISK_WORDS: Record<Risk, string> = {
  red: 'red: under 7 days to leave before an upgrade lands',
  yellow: 'yellow: between 7 and 30 days to leave before an upgrade lands',
  green: 'green: at least 30 days to leave before an upgrade lands',
};
