import { createContext, useContext, useEffect, useState, useSyncExternalStore } from 'react';
import type { Env } from './lib/env';

export const EnvContext = createContext<Env | null>(null);

export function useEnv(): Env {
  const env = useContext(EnvContext);
  if (!env) throw new Error('useEnv outside <EnvContext.Provider>');
  return env;
}

/** Re-renders every `ms` milliseconds (live countdowns). */
export function useTick(ms = 1000): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const id = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(id);
  }, [ms]);
  return now;
}

export { l1Now } from './lib/clock';

export type Route = 'bridge' | 'security';

function currentRoute(): Route {
  return window.location.hash.startsWith('#/security') ? 'security' : 'bridge';
}

function subscribe(cb: () => void) {
  window.addEventListener('hashchange', cb);
  return () => window.removeEventListener('hashchange', cb);
}

/** Pages are `#/bridge` and `#/security`: static hosting needs no server-side routes. */
export function useRoute(): Route {
  return useSyncExternalStore(subscribe, currentRoute, () => 'bridge');
}
