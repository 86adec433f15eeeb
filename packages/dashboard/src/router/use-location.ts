import { useMemo, useSyncExternalStore } from 'react';
import { parseHash, type Location } from './routes';

function subscribe(onChange: () => void): () => void {
  window.addEventListener('hashchange', onChange);
  return () => window.removeEventListener('hashchange', onChange);
}

const snapshot = () => window.location.hash;

/** The current hash route (the same object until the hash changes). */
export function useLocation(): Location & { hash: string } {
  const hash = useSyncExternalStore(subscribe, snapshot);
  return useMemo(() => ({ ...parseHash(hash), hash }), [hash]);
}
