import type { ParleyClient } from '@parley/client';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import type { Api } from './api.js';

/** How often what is on screen is checked for changes; an unchanged check is a 304 of a few bytes. */
export const POLL_MS = 5000;

export interface Live<T> {
  /** The latest answer; while another key loads, the previous key's answer (see `stale`). */
  value: T | undefined;
  /** `value` belongs to an earlier key: a new one is loading. */
  stale: boolean;
  loading: boolean;
  /** The last failure; cleared by the next success. With a `value`, that value is still shown. */
  error: unknown;
  /** Load again now. */
  retry: () => void;
  /** Show this value until the next change arrives (the answer of a write, say). */
  replace: (value: T) => void;
}

interface State<T> {
  key: string | null;
  value: T | undefined;
  loading: boolean;
  error: unknown;
}

/**
 * The answer to `load`, fetched when `key` changes and then checked every `pollMs` while the tab
 * is visible, with the ETag of the answer on screen: a 304 changes no state, so nothing renders.
 * `key` names everything `load` depends on; null loads nothing.
 */
export function useLive<T>(api: Api, key: string | null, load: (client: ParleyClient) => Promise<T>, pollMs = POLL_MS): Live<T> {
  const [state, setState] = useState<State<T>>(() => ({
    key,
    value: key === null ? undefined : api.peek<T>(key),
    loading: key !== null,
    error: null,
  }));
  const [attempt, setAttempt] = useState(0);
  // The latest `load`: callers pass a new closure on every render, and a poll must use the current one.
  const loadRef = useRef(load);
  loadRef.current = load;

  useEffect(() => {
    if (key === null) return;
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let failed = false;
    let running = false;
    const cached = api.peek<T>(key);

    const check = async (first: boolean) => {
      // One check at a time: a tab shown again while a poll is in flight must not start a second chain of polls.
      if (running) return;
      running = true;
      clearTimeout(timer);
      try {
        const { value, changed } = await api.revalidate(key, (client) => loadRef.current(client));
        if (live && (first || changed || failed)) setState({ key, value, loading: false, error: null });
        failed = false;
      } catch (error) {
        failed = true;
        // A failed poll keeps what is shown; a failed first load shows no other key's answer as if it were this one's.
        if (live) setState((previous) => (first ? { key, value: cached, loading: false, error } : { ...previous, loading: false, error }));
      } finally {
        running = false;
      }
      if (live && pollMs > 0) timer = setTimeout(tick, pollMs);
    };
    // A hidden tab does not poll; it checks at once when it is shown again.
    const tick = () => {
      if (document.visibilityState === 'visible') void check(false);
      else timer = setTimeout(tick, pollMs);
    };
    const onVisible = () => {
      if (document.visibilityState === 'visible') void check(false);
    };

    setState((previous) => ({
      key: cached === undefined ? previous.key : key,
      value: cached ?? previous.value,
      loading: true,
      error: null,
    }));
    void check(true);
    document.addEventListener('visibilitychange', onVisible);
    return () => {
      live = false;
      clearTimeout(timer);
      document.removeEventListener('visibilitychange', onVisible);
    };
  }, [api, key, pollMs, attempt]);

  const retry = useCallback(() => setAttempt((n) => n + 1), []);
  const replace = useCallback((value: T) => setState((previous) => ({ ...previous, value })), []);
  return { value: state.value, stale: state.key !== key, loading: state.loading, error: state.error, retry, replace };
}
