import { useQuery } from '@tanstack/react-query';
import { useEffect, useRef } from 'react';
import { useEnv, useRoute } from './context';
import { Wallet } from './components/Wallet';
import { BridgePage } from './pages/Bridge';
import { SecurityPage } from './pages/Security';
import { describeError } from './lib/errors';

const PAGES = [
  { route: 'bridge', href: '#/bridge', title: 'Bridge' },
  { route: 'security', href: '#/security', title: 'Security' },
] as const;

export function App() {
  const route = useRoute();
  const heading = useRef<HTMLHeadingElement>(null);
  const first = useRef(true);
  useEffect(() => {
    // Move focus to the new page's heading on navigation (not on the first load).
    if (first.current) first.current = false;
    else heading.current?.focus();
  }, [route]);
  const page = PAGES.find((p) => p.route === route)!;
  return (
    <>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="top">
        <div className="brand">
          <svg className="logo" aria-hidden="true" viewBox="0 0 16 16" width="22" height="22">
            <rect width="16" height="16" rx="3" fill="currentColor" />
            <path d="M3 12V6l5-3 5 3v6H10V8H6v4z" fill="#fff" />
          </svg>
          Drawbridge
        </div>
        <nav aria-label="Pages">
          {PAGES.map((p) => (
            <a key={p.route} href={p.href} aria-current={route === p.route ? 'page' : undefined}>
              {p.title}
            </a>
          ))}
        </nav>
        <Wallet />
      </header>
      <main id="main">
        <h1 ref={heading} tabIndex={-1}>
          {page.title}
        </h1>
        {route === 'security' ? <SecurityPage /> : <BridgePage />}
      </main>
      <ChainStatus />
    </>
  );
}

/** Both chains' heads, or which node is unreachable, in words. */
function ChainStatus() {
  const env = useEnv();
  const l1 = useQuery({ queryKey: ['head', 'l1'], queryFn: () => env.l1.getBlockNumber(), refetchInterval: 4_000 });
  const l2 = useQuery({ queryKey: ['head', 'l2'], queryFn: () => env.l2.getBlockNumber(), refetchInterval: 4_000 });
  const line = (name: string, url: string, q: typeof l1) =>
    q.error ? (
      <span className="error" role="alert">
        {(() => {
          const why = describeError(q.error).message;
          return why.includes('unreachable') ? why : `${name} node (${url}): ${why}`;
        })()}
      </span>
    ) : q.data !== undefined ? (
      <span>
        {name} block {String(q.data)}
      </span>
    ) : (
      <span>{name}: connecting to {url}…</span>
    );
  return (
    <footer className="status" aria-label="Chain status">
      {line('L1', env.deployment.l1.rpcUrl, l1)} · {line('L2', env.deployment.l2.rpcUrl, l2)}
    </footer>
  );
}
