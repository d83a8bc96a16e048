import { useEffect, useId, useState } from 'react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { getAddress, isAddress, zeroAddress, type Address } from 'viem';
import { useConnection } from 'wagmi';
import { BridgedTokenAbi, TestTokenAbi } from '../generated/abis';
import { l1Now, useEnv, useTick } from '../context';
import { NetworkGuard } from '../components/Wallet';
import { Timeline } from '../components/Timeline';
import { ReadState, TxStatus, type TxState } from '../components/Status';
import { parseAmount } from '../lib/amount';
import { describeError } from '../lib/errors';
import { formatAmount, formatDuration, shortAddress } from '../lib/format';
import {
  bridgeState,
  bridgedTokens,
  buildFinalization,
  depositsOf,
  l1TokenInfo,
  withdrawalsOf,
  type BridgeState,
  type DepositRecord,
  type WithdrawalRecord,
} from '../lib/reads';
import { depositTimeline, withdrawalTimeline } from '../lib/timeline';
import * as tx from '../lib/tx';

const POLL_MS = 1_500;

export function BridgePage() {
  const { address } = useConnection();
  const [lookup, setLookup] = useState<Address | null>(null);
  const shown = address ?? lookup;
  return (
    <>
      {/* Keyed by account: switching accounts clears what belonged to the previous one. */}
      <div className="grid" key={address ?? 'none'}>
        <DepositForm />
        <WithdrawForm />
      </div>
      <section aria-labelledby="transfers-title" className="card">
        <h2 id="transfers-title">Transfers{shown ? ` of ${shortAddress(shown)}` : ''}</h2>
        {address ? null : <AddressLookup onLookup={setLookup} />}
        {shown ? <Transfers account={shown} /> : <p className="muted">Connect a wallet, or enter an address to follow its transfers.</p>}
      </section>
    </>
  );
}

function AddressLookup({ onLookup }: { onLookup: (a: Address) => void }) {
  const id = useId();
  const [text, setText] = useState('');
  const [error, setError] = useState<string | null>(null);
  return (
    <form
      className="row"
      onSubmit={(e) => {
        e.preventDefault();
        if (!isAddress(text.trim(), { strict: false })) return setError('Enter an address: 0x and 40 hex digits');
        setError(null);
        onLookup(getAddress(text.trim()));
      }}
    >
      <label htmlFor={id}>Address to follow (no wallet needed)</label>
      <input id={id} value={text} onChange={(e) => setText(e.target.value)} placeholder="0x…" autoComplete="off" spellCheck={false} />
      <button type="submit">Show transfers</button>
      {error ? <span role="alert" className="error">{error}</span> : null}
    </form>
  );
}

// ---------------------------------------------------------------------------------------------
// Deposit

function DepositForm() {
  const env = useEnv();
  const queryClient = useQueryClient();
  const { address } = useConnection();
  const ids = { token: useId(), other: useId(), amount: useId(), recipient: useId() };
  const testToken = env.deployment.l1.testToken;
  const [choice, setChoice] = useState<string>('eth');
  const [other, setOther] = useState('');
  const [amountText, setAmountText] = useState('');
  const [recipientText, setRecipientText] = useState('');
  const [state, setState] = useState<TxState>({ kind: 'idle' });

  const tokenAddress: Address | null =
    choice === 'eth' ? zeroAddress : choice === 'other' ? (isAddress(other.trim(), { strict: false }) ? getAddress(other.trim()) : null) : (choice as Address);
  const token = useQuery({
    queryKey: ['l1Token', tokenAddress],
    queryFn: () => l1TokenInfo(env, tokenAddress!),
    enabled: tokenAddress !== null,
    staleTime: Infinity,
  });
  const testTokenInfo = useQuery({
    queryKey: ['l1Token', testToken],
    queryFn: () => l1TokenInfo(env, testToken!),
    enabled: !!testToken,
    staleTime: Infinity,
  });
  const info = token.data;
  const account = address;
  const balances = useQuery({
    queryKey: ['l1Balance', account, tokenAddress],
    enabled: !!account && tokenAddress !== null,
    refetchInterval: POLL_MS,
    queryFn: async () => {
      if (tokenAddress === zeroAddress) return { balance: await env.l1.getBalance({ address: account! }), allowance: null };
      const t = { address: tokenAddress!, abi: TestTokenAbi } as const;
      const [balance, allowance] = await Promise.all([
        env.l1.readContract({ ...t, functionName: 'balanceOf', args: [account!] }),
        env.l1.readContract({ ...t, functionName: 'allowance', args: [account!, env.deployment.l1.l1Bridge] }),
      ]);
      return { balance, allowance };
    },
  });

  const amount = info ? parseAmount(amountText, info.decimals) : {};
  const recipient: Address | null = recipientText.trim() === '' ? (account ?? null) : isAddress(recipientText.trim(), { strict: false }) ? getAddress(recipientText.trim()) : null;
  const isEth = tokenAddress === zeroAddress;
  const needsApproval = !isEth && amount.value !== undefined && balances.data?.allowance != null && balances.data.allowance < amount.value;
  const busy = state.kind === 'busy';
  const ready = !!account && !!info && amount.value !== undefined && recipient !== null && !busy;

  async function run(step: 'approve' | 'deposit') {
    if (!account || !info || amount.value === undefined || !recipient || tokenAddress === null) return;
    const label = step === 'approve' ? 'Approval' : 'Deposit';
    setState({ kind: 'busy', message: `${label}: confirm in your wallet…` });
    const onHash = (hash: `0x${string}`) => setState({ kind: 'busy', message: `${label} sent, waiting for L1 to include it:`, hash });
    try {
      if (step === 'approve') {
        await tx.approve(env, account, tokenAddress, amount.value, onHash);
        setState({ kind: 'done', message: `Approved ${formatAmount(amount.value, info.decimals, info.symbol)}: now deposit.` });
      } else {
        const nonce = isEth
          ? await tx.depositEth(env, account, recipient, amount.value, onHash)
          : await tx.depositErc20(env, account, tokenAddress, recipient, amount.value, onHash);
        setState({ kind: 'done', message: `Deposited ${formatAmount(amount.value, info.decimals, info.symbol)} as L1 message ${nonce ?? '?'}: follow it below.` });
        setAmountText('');
      }
    } catch (e) {
      setState({ kind: 'error', message: describeError(e, label).message });
    }
    await queryClient.invalidateQueries({ queryKey: ['l1Balance'] });
    await queryClient.invalidateQueries({ queryKey: ['transfers'] });
  }

  return (
    <section aria-labelledby="deposit-title" className="card">
      <h2 id="deposit-title">Deposit: L1 → L2</h2>
      <form onSubmit={(e) => (e.preventDefault(), run(needsApproval ? 'approve' : 'deposit'))}>
        <div className="field">
          <label htmlFor={ids.token}>Token</label>
          <select id={ids.token} value={choice} onChange={(e) => setChoice(e.target.value)}>
            <option value="eth">ETH</option>
            {testToken ? <option value={testToken}>{testTokenInfo.data?.symbol ?? 'Test token'} ({shortAddress(testToken)})</option> : null}
            <option value="other">Another ERC-20 (enter its address)</option>
          </select>
        </div>
        {choice === 'other' ? (
          <div className="field">
            <label htmlFor={ids.other}>ERC-20 address on L1</label>
            <input id={ids.other} value={other} onChange={(e) => setOther(e.target.value)} placeholder="0x…" autoComplete="off" spellCheck={false} />
          </div>
        ) : null}
        <div className="field">
          <label htmlFor={ids.amount}>Amount{info ? ` (${info.symbol})` : ''}</label>
          <input id={ids.amount} value={amountText} onChange={(e) => setAmountText(e.target.value)} inputMode="decimal" placeholder="0.0" autoComplete="off" aria-describedby={`${ids.amount}-hint`} />
          <span id={`${ids.amount}-hint`} className="hint">
            {amount.error ? <span className="error">{amount.error}</span> : balances.data && info ? `Balance on L1: ${formatAmount(balances.data.balance, info.decimals, info.symbol)}` : token.isLoading ? 'Reading the token…' : token.error ? describeError(token.error).message : ''}
          </span>
        </div>
        <div className="field">
          <label htmlFor={ids.recipient}>Recipient on L2</label>
          <input id={ids.recipient} value={recipientText} onChange={(e) => setRecipientText(e.target.value)} placeholder={account ?? '0x…'} autoComplete="off" spellCheck={false} aria-describedby={`${ids.recipient}-hint`} />
          <span id={`${ids.recipient}-hint`} className="hint">
            {recipient === null && recipientText.trim() !== '' ? <span className="error">Not an address</span> : 'Empty: your own address'}
          </span>
        </div>
        <NetworkGuard chainId={env.l1Chain.id} purpose="deposit">
          {needsApproval ? (
            <p className="hint">Step 1 of 2: the bridge may spend {formatAmount(balances.data!.allowance!, info!.decimals, info!.symbol)} of yours; approve {formatAmount(amount.value!, info!.decimals, info!.symbol)} first.</p>
          ) : null}
          <button type="submit" disabled={!ready}>
            {needsApproval ? `Approve ${info?.symbol ?? ''}` : `Deposit${amount.value !== undefined && info ? ` ${formatAmount(amount.value, info.decimals, info.symbol)}` : ''}`}
          </button>
        </NetworkGuard>
        <TxStatus state={state} />
      </form>
    </section>
  );
}

// ---------------------------------------------------------------------------------------------
// Withdraw

function WithdrawForm() {
  const env = useEnv();
  const queryClient = useQueryClient();
  const { address: account } = useConnection();
  const ids = { token: useId(), amount: useId(), recipient: useId() };
  const [choice, setChoice] = useState<string>('');
  const [amountText, setAmountText] = useState('');
  const [recipientText, setRecipientText] = useState('');
  const [state, setState] = useState<TxState>({ kind: 'idle' });
  const tokens = useQuery({ queryKey: ['bridgedTokens'], queryFn: () => bridgedTokens(env), refetchInterval: 5_000 });
  const balances = useQuery({
    queryKey: ['l2Balances', account, tokens.data?.length],
    enabled: !!account && !!tokens.data,
    refetchInterval: POLL_MS,
    queryFn: async () =>
      Object.fromEntries(
        await Promise.all(
          tokens.data!.map(async (t) => [t.l1Token, await env.l2.readContract({ address: t.l2Token, abi: BridgedTokenAbi, functionName: 'balanceOf', args: [account!] })] as const),
        ),
      ) as Record<string, bigint>,
  });
  const challengePeriod = useQuery({ queryKey: ['bridgeState'], queryFn: () => bridgeState(env), refetchInterval: 10_000 });
  useEffect(() => {
    if (!choice && tokens.data?.length) setChoice(tokens.data[0].l1Token);
  }, [tokens.data, choice]);
  const token = tokens.data?.find((t) => t.l1Token === choice);
  const amount = token ? parseAmount(amountText, token.decimals) : {};
  const recipient: Address | null = recipientText.trim() === '' ? (account ?? null) : isAddress(recipientText.trim(), { strict: false }) ? getAddress(recipientText.trim()) : null;
  const busy = state.kind === 'busy';
  const ready = !!account && !!token && amount.value !== undefined && recipient !== null && !busy;

  async function run() {
    if (!account || !token || amount.value === undefined || !recipient) return;
    setState({ kind: 'busy', message: 'Withdrawal: confirm in your wallet…' });
    try {
      const nonce = await tx.withdraw(env, account, token.l1Token, recipient, amount.value, (hash) =>
        setState({ kind: 'busy', message: 'Withdrawal sent, waiting for L2 to include it:', hash }),
      );
      setState({ kind: 'done', message: `Withdrawal ${nonce ?? '?'} of ${formatAmount(amount.value, token.decimals, token.symbol)} initiated on L2: follow it below.` });
      setAmountText('');
    } catch (e) {
      setState({ kind: 'error', message: describeError(e, 'Withdrawal').message });
    }
    await queryClient.invalidateQueries({ queryKey: ['l2Balances'] });
    await queryClient.invalidateQueries({ queryKey: ['transfers'] });
  }

  return (
    <section aria-labelledby="withdraw-title" className="card">
      <h2 id="withdraw-title">Withdraw: L2 → L1</h2>
      <ReadState error={tokens.error} loading={tokens.isLoading} what="the bridged tokens on L2" />
      {tokens.data && tokens.data.length === 0 ? <p className="muted">Nothing was bridged yet: deposit first.</p> : null}
      {tokens.data && tokens.data.length > 0 ? (
        <form onSubmit={(e) => (e.preventDefault(), run())}>
          <div className="field">
            <label htmlFor={ids.token}>Token</label>
            <select id={ids.token} value={choice} onChange={(e) => setChoice(e.target.value)}>
              {tokens.data.map((t) => (
                <option key={t.l1Token} value={t.l1Token}>
                  {t.symbol}
                  {t.l1Token === zeroAddress ? '' : ` (${shortAddress(t.l1Token)})`}
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor={ids.amount}>Amount{token ? ` (${token.symbol})` : ''}</label>
            <input id={ids.amount} value={amountText} onChange={(e) => setAmountText(e.target.value)} inputMode="decimal" placeholder="0.0" autoComplete="off" aria-describedby={`${ids.amount}-hint`} />
            <span id={`${ids.amount}-hint`} className="hint">
              {amount.error ? <span className="error">{amount.error}</span> : token && balances.data ? `Balance on L2: ${formatAmount(balances.data[token.l1Token] ?? 0n, token.decimals, token.symbol)}` : ''}
            </span>
          </div>
          <div className="field">
            <label htmlFor={ids.recipient}>Recipient on L1</label>
            <input id={ids.recipient} value={recipientText} onChange={(e) => setRecipientText(e.target.value)} placeholder={account ?? '0x…'} autoComplete="off" spellCheck={false} />
            <span className="hint">{recipient === null && recipientText.trim() !== '' ? <span className="error">Not an address</span> : 'Empty: your own address'}</span>
          </div>
          <p className="hint">
            Then: an output must cover the withdrawal and its challenge period ({challengePeriod.data ? formatDuration(challengePeriod.data.challengePeriod) : '…'}, read from OutputOracle) pass before anyone can finalize it on L1.
          </p>
          <NetworkGuard chainId={env.l2Chain.id} purpose="withdraw">
            <button type="submit" disabled={!ready}>
              Withdraw{amount.value !== undefined && token ? ` ${formatAmount(amount.value, token.decimals, token.symbol)}` : ''}
            </button>
          </NetworkGuard>
          <TxStatus state={state} />
        </form>
      ) : null}
    </section>
  );
}

// ---------------------------------------------------------------------------------------------
// Transfers and their timelines

let firstStatusMarked = false;

function Transfers({ account }: { account: Address }) {
  const env = useEnv();
  const wall = useTick(1000);
  const q = useQuery({
    queryKey: ['transfers', account],
    refetchInterval: POLL_MS,
    queryFn: async () => {
      const state = await bridgeState(env);
      const [deposits, withdrawals] = await Promise.all([depositsOf(env, account), withdrawalsOf(env, account, state)]);
      return { state, deposits: deposits.reverse(), withdrawals: withdrawals.reverse() };
    },
  });
  const count = (q.data?.deposits.length ?? 0) + (q.data?.withdrawals.length ?? 0);
  useEffect(() => {
    if (!firstStatusMarked && count > 0) {
      firstStatusMarked = true;
      performance.mark('drawbridge:first-transfer-status');
    }
  }, [count]);
  if (!q.data) return <ReadState error={q.error} loading={q.isLoading} what={`the transfers of ${shortAddress(account)} from both chains`} />;
  const { state, deposits, withdrawals } = q.data;
  const now = l1Now(state, wall);
  const timelines = withdrawals.map((w) => ({ w, t: withdrawalTimeline(withdrawalFacts(w, state, now)) }));
  const ready = timelines.filter((x) => x.t.canFinalize).length;
  return (
    <>
      {q.error ? <p role="alert" className="error">Showing the last data read: {describeError(q.error).message}</p> : null}
      <BridgeBanner state={state} now={now} />
      {ready > 0 ? (
        <p className="banner banner-ready" role="status" data-testid="ready-banner">
          {ready === 1 ? '1 withdrawal is' : `${ready} withdrawals are`} ready to finalize on L1.
        </p>
      ) : null}
      {count === 0 ? <p className="muted">No transfers yet for this address.</p> : null}
      {timelines.length > 0 ? <h3>Withdrawals</h3> : null}
      {timelines.map(({ w, t }) => (
        <WithdrawalItem key={`w${w.withdrawal.nonce}`} record={w} timeline={t} state={state} now={now} />
      ))}
      {deposits.length > 0 ? <h3>Deposits</h3> : null}
      {deposits.map((d) => (
        <DepositItem key={`d${d.nonce}`} record={d} state={state} now={now} />
      ))}
    </>
  );
}

function BridgeBanner({ state, now }: { state: BridgeState; now: number }) {
  if (state.frozen)
    return (
      <p className="banner banner-red" role="status">
        The bridge is frozen for good: no deposits; withdrawals finalize only up to the escape output; L2 balances escape on L1.
      </p>
    );
  if (state.pausedUntil > now)
    return (
      <p className="banner banner-yellow" role="status">
        The bridge is paused for {formatDuration(state.pausedUntil - now)} more: deposits and finalization wait; forced withdrawals and exits do not.
      </p>
    );
  return null;
}

function withdrawalFacts(w: WithdrawalRecord, s: BridgeState, now: number) {
  const c = w.covering;
  return {
    nonce: w.withdrawal.nonce,
    l2Block: w.l2Block,
    covering: c ? { index: c.index, l2BlockNumber: c.l2BlockNumber, proposedAt: c.proposedAt } : null,
    challengePeriod: s.challengePeriod,
    councilResponseWindow: s.councilResponseWindow,
    now,
    final: !!c && s.latestFinal !== null && s.latestFinal >= c.index,
    disputed: !!c && s.firstOpenDispute !== null && s.firstOpenDispute <= c.index,
    finalized: w.finalized,
    pausedUntil: s.pausedUntil,
    frozen: s.frozen,
    escapeCovers: !!c && !!s.escape?.hasEscapeOutput && s.escape.outputIndex >= c.index,
  };
}

function DepositItem({ record: d, state, now }: { record: DepositRecord; state: BridgeState; now: number }) {
  const t = depositTimeline({
    nonce: d.nonce,
    l1Block: d.l1Block,
    committedCount: state.committedCount,
    publishedCount: state.publishedCount,
    processed: state.processed,
    frozen: state.frozen,
  });
  const title = `Deposit ${formatAmount(d.amount, d.token.decimals, d.token.symbol)} to ${shortAddress(d.recipient)}`;
  return (
    <article className="transfer" data-testid="transfer" data-kind="deposit" data-nonce={String(d.nonce)}>
      <h4>
        {title} <span className="muted">· L1 message {String(d.nonce)}</span>
      </h4>
      <p className={`summary ${t.done ? 'ok' : ''}`} data-testid="transfer-status">
        {t.summary}
      </p>
      {!d.leafChecked ? <p className="error">The leaf recomputed in the browser differs from the one L1 emitted.</p> : null}
      <Timeline timeline={t} now={now} label={`${title}: timeline`} />
    </article>
  );
}

function WithdrawalItem({ record: w, timeline: t, state, now }: { record: WithdrawalRecord; timeline: ReturnType<typeof withdrawalTimeline>; state: BridgeState; now: number }) {
  const env = useEnv();
  const queryClient = useQueryClient();
  const { address: account } = useConnection();
  const [tx_, setTx] = useState<TxState>({ kind: 'idle' });
  const title = `Withdrawal ${formatAmount(w.withdrawal.amount, w.token.decimals, w.token.symbol)} to ${shortAddress(w.withdrawal.recipient)}`;
  async function finalize() {
    if (!account) return;
    setTx({ kind: 'busy', message: 'Building the proof from L2 withdrawal events…' });
    try {
      const f = await buildFinalization(env, w.withdrawal, state);
      setTx({ kind: 'busy', message: `Proof of ${f.proof.length} siblings against output #${f.outputIndex} (${f.count} withdrawals, root checked): confirm in your wallet…` });
      await tx.finalize(env, account, f, (hash) => setTx({ kind: 'busy', message: 'Finalization sent, waiting for L1:', hash }));
      setTx({ kind: 'done', message: `Finalized: ${formatAmount(w.withdrawal.amount, w.token.decimals, w.token.symbol)} paid on L1.` });
    } catch (e) {
      setTx({ kind: 'error', message: describeError(e, 'Finalization').message });
    }
    await queryClient.invalidateQueries({ queryKey: ['transfers'] });
  }
  return (
    <article className="transfer" data-testid="transfer" data-kind="withdrawal" data-nonce={String(w.withdrawal.nonce)}>
      <h4>
        {title} <span className="muted">· withdrawal {String(w.withdrawal.nonce)}</span>
      </h4>
      <p className={`summary ${t.done ? 'ok' : ''}`} data-testid="transfer-status">
        {t.summary}
      </p>
      {!w.leafChecked ? <p className="error">The leaf recomputed in the browser differs from the one L2 emitted.</p> : null}
      <Timeline timeline={t} now={now} label={`${title}: timeline`} />
      {t.canFinalize ? (
        <NetworkGuard chainId={env.l1Chain.id} purpose="finalize on L1">
          <button type="button" onClick={finalize} disabled={tx_.kind === 'busy'}>
            Finalize withdrawal {String(w.withdrawal.nonce)} on L1
          </button>
        </NetworkGuard>
      ) : null}
      <TxStatus state={tx_} />
    </article>
  );
}

