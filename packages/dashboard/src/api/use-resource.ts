import { useCallback, useEffect, useRef, useState } from 'react';

export interface Resource<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  /** Fetches again; the current data stays on screen until the new answer arrives. */
  reload: () => Promise<void>;
  /** Replaces the data locally (after a change the API answered). */
  set: (data: T) => void;
}

/**
 * Loads data for a screen. `key` says when to load again (a string of what the fetch
 * depends on); answers that arrive after the key changed or the screen left are dropped.
 */
export function useResource<T>(key: string | null, fetcher: () => Promise<T>): Resource<T> {
  const [state, setState] = useState<{ key: string | null; data: T | undefined; error: unknown; loading: boolean }>({
    key, data: undefined, error: undefined, loading: key !== null,
  });
  const fetcherRef = useRef(fetcher);
  fetcherRef.current = fetcher;
  const generation = useRef(0);

  const run = useCallback(async (k: string | null, keepData: boolean) => {
    const mine = ++generation.current;
    if (k === null) return;
    setState((s) => ({ key: k, data: keepData && s.key === k ? s.data : undefined, error: undefined, loading: true }));
    try {
      const data = await fetcherRef.current();
      if (mine === generation.current) setState({ key: k, data, error: undefined, loading: false });
    } catch (error) {
      if (mine === generation.current) setState((s) => ({ key: k, data: keepData && s.key === k ? s.data : undefined, error, loading: false }));
    }
  }, []);

  useEffect(() => {
    void run(key, false);
    return () => {
      generation.current++;
    };
  }, [key, run]);

  const reload = useCallback(() => run(key, true), [key, run]);
  const set = useCallback((data: T) => setState((s) => ({ ...s, data, error: undefined, loading: false })), []);
  const current = state.key === key;
  return { data: current ? state.data : undefined, error: current ? state.error : undefined, loading: current ? state.loading : key !== null, reload, set };
}
