import { useQuery } from '@tanstack/react-query';
import { decodeFunctionData, zeroAddress, type Address, type Hex } from 'viem';
import { L1BridgeAbi, OutputOracleAbi, SecurityCouncilAbi } from '../generated/abis';
import { l1Now, useEnv, useTick } from '../context';
import { ReadState } from '../components/Status';
import { describeError } from '../lib/errors';
import { formatAmount, formatDuration, formatTime, shortAddress } from '../lib/format';
import { RISK_WORDS, exitWindow, exitWindowRisk } from '../lib/risk';
import { securityState, type SecurityState } from '../lib/reads';

const POLL_MS = 3_000;

/** The bridge's safety, read live from the contracts; no wallet needed. */
export function SecurityPage() {
  const env = useEnv();
  const wall = useTick(1000);
  const q = useQuery({ queryKey: ['security'], queryFn: () => securityState(env), refetchInterval: POLL_MS });
  if (!q.data)
    return (
      <section className="card" aria-label="Reading the contracts">
        <ReadState error={q.error} loading={q.isLoading} what="the bridge's contracts on L1 and L2" />
      </section>
    );
  const s = q.data;
  const now = l1Now(s, wall);
  return (
    <>
      {q.error ? <p role="alert" className="error">Showing the last data read: {describeError(q.error).message}</p> : null}
      <ExitWindowCard s={s} />
      <div className="grid">
        <PauseCard s={s} now={now} />
        <OutputsCard s={s} now={now} />
      </div>
      <ParametersCard s={s} />
      <ScheduledCard s={s} now={now} />
      <EscrowCard s={s} />
    </>
  );
}

function ExitWindowCard({ s }: { s: SecurityState }) {
  const delay = s.council?.upgradeDelay ?? 0;
  const window = exitWindow({
    upgradeDelay: delay,
    challengePeriod: s.challengePeriod,
    forcedInclusionWindow: s.forcedInclusionWindow,
    councilResponseWindow: s.councilResponseWindow,
  });
  const risk = exitWindowRisk(window);
  return (
    <section aria-labelledby="exit-title" className={`card risk risk-${risk}`} data-testid="exit-window" data-risk={risk}>
      <h2 id="exit-title">Exit window</h2>
      <p className="big">
        <span data-testid="exit-window-value">{window < 0 ? `none (${formatDuration(-window)} short)` : formatDuration(window)}</span>{' '}
        <span className="risk-badge">{risk}</span>
      </p>
      <p>{RISK_WORDS[risk]}.</p>
      <p className="hint">
        {s.council ? (
          <>
            Upgrade delay {formatDuration(delay)} (SecurityCouncil) − (challenge period {formatDuration(s.challengePeriod)} + forced-inclusion window{' '}
            {formatDuration(s.forcedInclusionWindow)} + council response window {formatDuration(s.councilResponseWindow)}): the time a user who starts
            leaving when an upgrade is scheduled still has after forcing a withdrawal, waiting out its inclusion, its challenge period and a disputed
            output.
          </>
        ) : (
          <>Governance is a plain account ({shortAddress(s.governance)}): it upgrades the contracts at once, with no delay to leave in.</>
        )}
      </p>
    </section>
  );
}

function PauseCard({ s, now }: { s: SecurityState; now: number }) {
  const paused = !s.frozen && s.pausedUntil > now;
  const nextPause = s.pausedUntil === 0 ? null : s.pausedUntil + s.pauseCooldown;
  return (
    <section aria-labelledby="state-title" className="card">
      <h2 id="state-title">Bridge state</h2>
      <dl>
        <dt>Paused</dt>
        <dd data-testid="paused">
          {paused ? (
            <strong className="warn">
              yes, until {formatTime(s.pausedUntil)} ({formatDuration(s.pausedUntil - now)} left; it ends by itself)
            </strong>
          ) : (
            'no'
          )}
        </dd>
        <dt>Longest pause</dt>
        <dd>{formatDuration(s.maxPause)}</dd>
        <dt>Cooldown between pauses</dt>
        <dd>
          {formatDuration(s.pauseCooldown)}
          {nextPause !== null ? (nextPause > now ? `; no new pause before ${formatTime(nextPause)}` : '; a new pause is possible now') : '; never paused so far'}
        </dd>
        <dt>Frozen</dt>
        <dd data-testid="frozen">
          {s.frozen ? (
            <strong className="bad">
              yes, for good{s.escape?.hasEscapeOutput ? `: escape output #${s.escape.outputIndex}` : ': no escape output (every deposit is refunded)'}
            </strong>
          ) : (
            'no'
          )}
        </dd>
      </dl>
    </section>
  );
}

function OutputsCard({ s, now }: { s: SecurityState; now: number }) {
  const anyoneAt = s.lastProposedAt + s.proposerTimeout;
  return (
    <section aria-labelledby="outputs-title" className="card">
      <h2 id="outputs-title">Outputs</h2>
      <dl>
        <dt>Outputs proposed</dt>
        <dd>{String(s.outputCount)}</dd>
        <dt>Last output</dt>
        <dd data-testid="last-output-age">
          {s.lastOutput
            ? `#${s.lastOutput.index} (L2 block ${s.lastOutput.l2BlockNumber}), proposed ${formatDuration(now - s.lastOutput.proposedAt)} ago`
            : 'none yet'}
        </dd>
        <dt>Newest final output</dt>
        <dd>{s.latestFinal === null ? 'none yet' : `#${s.latestFinal}`}</dd>
        <dt>Anyone may propose</dt>
        <dd>{anyoneAt > now ? `in ${formatDuration(anyoneAt - now)} if the proposer stays silent` : 'now: the proposer has been silent too long'}</dd>
      </dl>
    </section>
  );
}

function ParametersCard({ s }: { s: SecurityState }) {
  const rows: [string, string, string][] = [
    ['Challenge period', formatDuration(s.challengePeriod), 'OutputOracle.challengePeriod()'],
    ['Forced-inclusion window', formatDuration(s.forcedInclusionWindow), 'L1Bridge.forcedInclusionWindow()'],
    ['Council response window', formatDuration(s.councilResponseWindow), 'OutputOracle.councilResponseWindow()'],
    ['Proposer timeout', formatDuration(s.proposerTimeout), 'OutputOracle.proposerTimeout()'],
    ['Upgrade delay', s.council ? formatDuration(s.council.upgradeDelay) : 'none (plain account)', 'SecurityCouncil.upgradeDelay()'],
  ];
  if (s.council) {
    rows.push(['Exit window the council guarantees', formatDuration(s.council.exitWindow), 'SecurityCouncil.params().exitWindow']);
    rows.push(['Council', `${s.council.threshold} of ${s.council.members} members (${shortAddress(s.council.address)})`, 'SecurityCouncil.params()']);
  }
  return (
    <section aria-labelledby="params-title" className="card">
      <h2 id="params-title">Parameters (live)</h2>
      <div className="table-wrap">
        <table data-testid="parameters">
          <thead>
            <tr>
              <th scope="col">Parameter</th>
              <th scope="col">Value</th>
              <th scope="col">Read from</th>
            </tr>
          </thead>
          <tbody>
            {rows.map(([name, value, source]) => (
              <tr key={name}>
                <th scope="row">{name}</th>
                <td data-param={name}>{value}</td>
                <td>
                  <code>{source}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

const DECODE_ABI = [...L1BridgeAbi, ...OutputOracleAbi, ...SecurityCouncilAbi];

function describeCall(data: Hex): string {
  try {
    const d = decodeFunctionData({ abi: DECODE_ABI, data });
    return `${d.functionName}(${(d.args ?? []).map((a) => (typeof a === 'object' ? JSON.stringify(a, (_, v) => (typeof v === 'bigint' ? String(v) : v)) : String(a))).join(', ')})`;
  } catch {
    return `${data.slice(0, 10)}… (a call this page cannot decode)`;
  }
}

function ScheduledCard({ s, now }: { s: SecurityState; now: number }) {
  const env = useEnv();
  if (!s.council) return null;
  const names: Record<string, string> = {
    [env.deployment.l1.l1Bridge.toLowerCase()]: 'L1Bridge',
    [env.deployment.l1.outputOracle.toLowerCase()]: 'OutputOracle',
    [s.council.address.toLowerCase()]: 'SecurityCouncil',
  };
  const name = (a: Address) => names[a.toLowerCase()] ?? shortAddress(a);
  return (
    <section aria-labelledby="scheduled-title" className="card">
      <h2 id="scheduled-title">Queued upgrades and parameter changes</h2>
      {s.council.scheduled.length === 0 ? (
        <p>Nothing is queued in the council's timelock.</p>
      ) : (
        <ul className="plain">
          {s.council.scheduled.map((c) => (
            <li key={c.id}>
              <strong>{name(c.target)}</strong>: <code>{describeCall(c.data)}</code>
              <br />
              {c.eta > now ? (
                <span className="warn">
                  executes from {formatTime(c.eta)}, in {formatDuration(c.eta - now)}: withdraw before then if you disagree
                </span>
              ) : (
                <span>ready since {formatTime(c.eta)}: anyone may execute it</span>
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function EscrowCard({ s }: { s: SecurityState }) {
  return (
    <section aria-labelledby="escrow-title" className="card">
      <h2 id="escrow-title">L1 escrow against L2 supply</h2>
      <p className="hint">
        L2 supply may never exceed the L1 escrow; the difference is deposits not yet delivered plus withdrawals not yet finalized.
      </p>
      <div className="table-wrap">
        <table data-testid="escrow">
          <thead>
            <tr>
              <th scope="col">Token</th>
              <th scope="col">Escrow on L1</th>
              <th scope="col">Bridged supply on L2</th>
              <th scope="col">Difference</th>
            </tr>
          </thead>
          <tbody>
            {s.tokens.map((t) => {
              const diff = t.escrow - t.l2Supply;
              const { decimals, symbol } = t.token;
              return (
                <tr key={t.token.l1Token} className={diff < 0n ? 'bad' : undefined}>
                  <th scope="row">
                    {symbol}
                    {t.token.l1Token === zeroAddress ? '' : ` (${shortAddress(t.token.l1Token)})`}
                  </th>
                  <td>{formatAmount(t.escrow, decimals, symbol)}</td>
                  <td>{t.l2Token ? formatAmount(t.l2Supply, decimals, symbol) : 'not deployed on L2 yet'}</td>
                  <td>{diff < 0n ? `L2 supply exceeds escrow by ${formatAmount(-diff, decimals, symbol)}` : formatAmount(diff, decimals, symbol)}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </section>
  );
}
