import type { Hex } from 'viem';
import { describeError } from '../lib/errors';

export type TxState =
  | { kind: 'idle' }
  | { kind: 'busy'; message: string; hash?: Hex }
  | { kind: 'done'; message: string; hash?: Hex }
  | { kind: 'error'; message: string };

/** The state of an action in words, announced to screen readers. */
export function TxStatus({ state }: { state: TxState }) {
  if (state.kind === 'idle') return null;
  if (state.kind === 'error')
    return (
      <p role="alert" className="error" data-testid="tx-error">
        {state.message}
      </p>
    );
  return (
    <p role="status" className={state.kind === 'done' ? 'ok' : 'busy'} data-testid={state.kind === 'done' ? 'tx-done' : 'tx-busy'}>
      {state.message}
      {state.hash ? (
        <>
          {' '}
          <code className="hash" title={state.hash}>
            {state.hash.slice(0, 10)}…
          </code>
        </>
      ) : null}
    </p>
  );
}

/** A read that failed, in words, or a labelled loading line (never a blank spinner). */
export function ReadState({ error, loading, what }: { error: unknown; loading: boolean; what: string }) {
  if (error) return <p role="alert" className="error">{`Could not read ${what}: ${describeError(error).message}`}</p>;
  if (loading) return <p role="status" className="muted">Reading {what}…</p>;
  return null;
}
