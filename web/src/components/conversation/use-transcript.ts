import type { Message, MessagePage } from '@parley/client';
import { useEffect, useRef, useState } from 'preact/hooks';
import { useApi } from '../../api/context.js';

export const MESSAGES_PER_PAGE = 20;

/** The pages of the transcript (oldest first) loaded so far: always a run `first..last` of whole pages. */
interface Loaded {
  pages: Map<number, Message[]>;
  first: number;
  last: number;
  lastPage: number;
  total: number;
}

export interface Transcript {
  messages: Message[] | undefined;
  total: number;
  error: unknown;
  busy: boolean;
  hasOlder: boolean;
  /** Messages after the loaded ones: those that arrived since, or pages not reached yet. */
  newer: number;
  loadOlder: () => Promise<Message[]>;
  loadNewer: () => Promise<Message[]>;
  retry: () => void;
}

/**
 * A window onto the transcript: it opens on the newest page and grows a page at a time in either
 * direction. Pages are read oldest first, whose numbering new messages never shift, so a loaded
 * page stays right; when the conversation moves (`version`), only the newest loaded page is read
 * again, conditionally.
 */
export function useTranscript(uuid: string, version: string): Transcript {
  const api = useApi();
  const [loaded, setLoaded] = useState<Loaded | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [attempt, setAttempt] = useState(0);
  const current = useRef(loaded);
  current.current = loaded;

  const fetchPage = (page: number) =>
    api.revalidate<MessagePage>(`messages:${uuid}:${page}`, (client) => client.listMessages(uuid, { page, per_page: MESSAGES_PER_PAGE }));

  useEffect(() => {
    let live = true;
    setError(null);
    (async () => {
      // The first page says how many there are; the newest page is then read unless it was that one.
      const first = (await fetchPage(1)).value;
      const newest = first.last_page > 1 ? (await fetchPage(first.last_page)).value : first;
      if (!live) return;
      setLoaded({
        pages: new Map([[newest.current_page, newest.data]]),
        first: newest.current_page,
        last: newest.current_page,
        lastPage: newest.last_page,
        total: newest.total,
      });
    })().catch((failure: unknown) => live && setError(failure));
    return () => {
      live = false;
    };
  }, [uuid, attempt]);

  useEffect(() => {
    const shown = current.current;
    if (!shown) return;
    let live = true;
    fetchPage(shown.last).then(
      ({ value, changed }) => {
        if (!live || !changed) return;
        setLoaded(
          (previous) =>
            previous && {
              ...previous,
              pages: new Map(previous.pages).set(value.current_page, value.data),
              lastPage: value.last_page,
              total: value.total,
            },
        );
      },
      () => {
        // A failed refresh keeps the transcript as it is; the next change of the conversation tries again.
      },
    );
    return () => {
      live = false;
    };
  }, [version]);

  const grow = async (page: number): Promise<Message[]> => {
    setBusy(true);
    try {
      const { value } = await fetchPage(page);
      setLoaded(
        (previous) =>
          previous && {
            pages: new Map(previous.pages).set(page, value.data),
            first: Math.min(previous.first, page),
            last: Math.max(previous.last, page),
            lastPage: value.last_page,
            total: value.total,
          },
      );
      setError(null);
      return value.data;
    } catch (failure) {
      setError(failure);
      return [];
    } finally {
      setBusy(false);
    }
  };

  let messages: Message[] | undefined;
  if (loaded) {
    // A message can sit on two pages when one was inserted earlier in the order between two reads: show it once.
    const seen = new Set<string>();
    messages = [];
    for (let page = loaded.first; page <= loaded.last; page++) {
      for (const message of loaded.pages.get(page) ?? []) {
        if (seen.has(message.uuid)) continue;
        seen.add(message.uuid);
        messages.push(message);
      }
    }
  }
  const shownCount = messages?.length ?? 0;
  const before = loaded ? (loaded.first - 1) * MESSAGES_PER_PAGE : 0;

  return {
    messages,
    total: loaded?.total ?? 0,
    error,
    busy,
    hasOlder: loaded !== null && loaded.first > 1,
    newer: loaded ? Math.max(0, loaded.total - before - shownCount) : 0,
    loadOlder: () => (loaded && loaded.first > 1 ? grow(loaded.first - 1) : Promise.resolve([])),
    loadNewer: () =>
      loaded ? grow(loaded.pages.get(loaded.last)?.length === MESSAGES_PER_PAGE ? loaded.last + 1 : loaded.last) : Promise.resolve([]),
    retry: () => setAttempt((n) => n + 1),
  };
}
