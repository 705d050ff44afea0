import { ParleyClient, ParleyError } from '@parley/client';

/** What the inbox knows about a GET it has made: the answer and the ETag that labels it. */
interface Validated {
  etag: string;
  value: unknown;
}

/** How many GET answers are kept for revalidation; the inbox shows a handful at a time. */
const CACHE_ENTRIES = 50;

/**
 * The typed client for one signed-in token, with two things added in its `fetch`: any 401 signs
 * the user out (the token was revoked or is wrong), and GETs can be made conditional, so that an
 * unchanged poll is a 304 with no body and nothing on the page is rendered again.
 */
export class Api {
  private readonly validated = new Map<string, Validated>();
  /**
   * Agents and campaigns seen in the answers so far: the API lists neither, so the filter inputs
   * suggest these, and accept any other uuid typed or pasted in.
   */
  readonly seen = { agent_uuid: new Set<string>(), campaign_uuid: new Set<string>() };

  constructor(
    private readonly token: string,
    private readonly onUnauthorized: () => void,
  ) {}

  /** A client for writes and one-off reads. */
  get client(): ParleyClient {
    return this.clientFor();
  }

  /** The last answer to `key`, if any: shown at once while it is revalidated. */
  peek<T>(key: string): T | undefined {
    return this.validated.get(key)?.value as T | undefined;
  }

  /**
   * `load` with `If-None-Match` set to the ETag of the last answer to `key`. On 304 that answer is
   * returned with `changed: false`; otherwise the new one, remembered under `key` with its ETag.
   */
  async revalidate<T>(key: string, load: (client: ParleyClient) => Promise<T>): Promise<{ value: T; changed: boolean }> {
    const known = this.validated.get(key);
    let etag: string | null = null;
    try {
      const value = await load(this.clientFor(known?.etag, (seen) => (etag = seen)));
      this.validated.delete(key);
      if (etag) this.validated.set(key, { etag, value });
      if (this.validated.size > CACHE_ENTRIES) this.validated.delete(this.validated.keys().next().value!);
      return { value, changed: true };
    } catch (error) {
      // The client throws on any status but 2xx, 304 included.
      if (known && error instanceof ParleyError && error.status === 304) return { value: known.value as T, changed: false };
      throw error;
    }
  }

  private clientFor(ifNoneMatch?: string, onEtag?: (etag: string | null) => void): ParleyClient {
    return new ParleyClient({
      baseUrl: location.origin,
      token: this.token,
      // Always a function of our own: the client calls `this.fetch(...)`, and the browser's fetch
      // throws "Illegal invocation" when called on any `this` but the window.
      fetch: async (input, init) => {
        const headers = new Headers(init?.headers);
        if (ifNoneMatch) headers.set('if-none-match', ifNoneMatch);
        // The inbox keeps its own validators; the browser's cache would otherwise answer the 304s
        // itself (hiding them) and keep workspace data on disk.
        const response = await fetch(input, { ...init, headers, cache: 'no-store' });
        if (response.status === 401) this.onUnauthorized();
        onEtag?.(response.headers.get('etag'));
        return response;
      },
    });
  }
}

/** A sentence for the user from any failure of a call. */
export function describeError(error: unknown): string {
  if (error instanceof ParleyError) {
    // Not Parley's envelope (a proxy's error page): its body is no use to a reader.
    if (error.code.startsWith('HTTP_')) return `${error.body.message}. Try again shortly.`;
    const field = error.field ? ` (${error.field})` : '';
    return error.details && error.details !== error.body.message ? `${error.body.message}${field}: ${error.details}` : error.body.message;
  }
  // fetch rejects with a TypeError when the server cannot be reached at all.
  if (error instanceof TypeError) return 'Parley cannot be reached. Check the connection; the page keeps trying.';
  return error instanceof Error ? error.message : String(error);
}

export const isNotFound = (error: unknown) => error instanceof ParleyError && error.status === 404;
