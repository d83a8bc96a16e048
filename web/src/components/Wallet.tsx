import { useState } from 'react';
import { useConnection, useConnectors } from 'wagmi';
import { connect, disconnect, switchChain } from 'wagmi/actions';
import { useEnv } from '../context';
import { describeError } from '../lib/errors';
import { shortAddress } from '../lib/format';

/** "L1", "L2" or "chain N" for the wallet's current chain. */
export function useChainName(): (id: number | undefined) => string {
  const env = useEnv();
  return (id) =>
    id === env.l1Chain.id ? `L1 (chain ${id})` : id === env.l2Chain.id ? `L2 (chain ${id})` : id === undefined ? 'no chain' : `chain ${id}, not this bridge`;
}

/** Connect, show and disconnect the wallet (injected wallets found by EIP-6963, or window.ethereum). */
export function Wallet() {
  const env = useEnv();
  const { address, status, chainId, connector } = useConnection();
  const connectors = useConnectors();
  const chainName = useChainName();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const hasLegacy = typeof window !== 'undefined' && 'ethereum' in window;
  // Wallets announced through EIP-6963 by name; the generic window.ethereum connector only when
  // nothing announced itself.
  const discovered = connectors.filter((c) => c.id !== 'injected');
  const shown = discovered.length > 0 ? discovered : hasLegacy ? connectors : [];

  if (status === 'connected' && address) {
    return (
      <div className="wallet" aria-label="Wallet">
        <span data-testid="wallet-account">
          <span className="visually-hidden">Connected account </span>
          <code title={address}>{shortAddress(address)}</code> on {chainName(chainId)}
          {connector ? <span className="muted"> · {connector.name}</span> : null}
        </span>
        <button type="button" className="secondary" onClick={() => disconnect(env.wagmi)}>
          Disconnect
        </button>
      </div>
    );
  }
  return (
    <div className="wallet" aria-label="Wallet">
      {status === 'reconnecting' || status === 'connecting' ? <span role="status">Connecting the wallet…</span> : null}
      {shown.length === 0 ? (
        <span className="muted">No browser wallet found (any EIP-6963 wallet works). You can still look up an address below.</span>
      ) : (
        shown.map((c) => (
          <button
            key={c.uid}
            type="button"
            disabled={busy !== null}
            onClick={async () => {
              setBusy(c.uid);
              setError(null);
              try {
                await connect(env.wagmi, { connector: c });
              } catch (e) {
                setError(describeError(e, 'Connecting').message);
              } finally {
                setBusy(null);
              }
            }}
          >
            {busy === c.uid ? `Connecting ${c.name}…` : `Connect ${c.name === 'Injected' ? 'browser wallet' : c.name}`}
          </button>
        ))
      )}
      {error ? <span role="alert" className="error">{error}</span> : null}
    </div>
  );
}

/**
 * Renders `children` when the wallet is connected to `chainId`; otherwise says what is missing,
 * with a one-click switch for a wrong network.
 */
export function NetworkGuard({ chainId, purpose, children }: { chainId: number; purpose: string; children: React.ReactNode }) {
  const env = useEnv();
  const { status, chainId: current } = useConnection();
  const chainName = useChainName();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  if (status !== 'connected') return <p className="muted">Connect a wallet (top of the page) to {purpose}.</p>;
  if (current === chainId) return <>{children}</>;
  const target = chainId === env.l1Chain.id ? env.l1Chain : env.l2Chain;
  return (
    <div className="guard">
      <p>
        Your wallet is on {chainName(current)}; {purpose} needs {target.name} (chain {chainId}).
      </p>
      <button
        type="button"
        disabled={busy}
        onClick={async () => {
          setBusy(true);
          setError(null);
          try {
            await switchChain(env.wagmi, { chainId: target.id as never });
          } catch (e) {
            setError(describeError(e, 'Switching the network').message);
          } finally {
            setBusy(false);
          }
        }}
      >
        {busy ? 'Switching…' : `Switch wallet to ${target.name} (chain ${chainId})`}
      </button>
      {error ? <p role="alert" className="error">{error}</p> : null}
    </div>
  );
}
