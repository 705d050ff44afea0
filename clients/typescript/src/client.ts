import { errorFromResponse } from './errors.js';
import type { components, paths } from './generated.js';

type Schemas = components['schemas'];
export type Conversation = Schemas['Conversation'];
export type Contact = Schemas['Contact'];
export type ConversationInput = Schemas['ConversationInput'];
export type ConversationStatus = Schemas['StatusChange']['status'];
export type Channel = Conversation['channel'];
export type Message = Schemas['Message'];
export type MessageInput = Schemas['MessageInput'];
export type Session = Schemas['Session'];
export type ExportedMessage = Schemas['ExportedMessage'];

type Query<P extends keyof paths> = paths[P] extends { get: { parameters: { query?: infer Q } } } ? NonNullable<Q> : never;
type Ok<P extends keyof paths, M extends 'get' | 'put' | 'patch' | 'post'> = paths[P][M] extends {
  responses: { 200: { content: { 'application/json': infer B } } };
}
  ? B
  : never;

const CONVERSATIONS = '/api/v1/conversations';
type ConversationsPath = typeof CONVERSATIONS;
type ConversationPath = '/api/v1/conversations/{uuid}';
type MessagesPath = '/api/v1/conversations/{uuid}/messages';
type SessionsPath = '/api/v1/conversations/{uuid}/sessions';
type ExportPath = '/api/v1/analytics/messages';

type ListData = Ok<ConversationsPath, 'get'>['data'];
/** A page of conversations asked for by `page`. */
export type ConversationPage = Required<Pick<ListData, 'current_page' | 'data' | 'per_page' | 'total' | 'last_page'>>;
/** A page of conversations asked for by `cursor`: `next_cursor` is null on the last one. */
export type ConversationCursorPage = Required<Pick<ListData, 'data' | 'per_page' | 'total' | 'next_cursor'>>;
export type MessagePage = Ok<MessagesPath, 'get'>['data'];
export type SessionPage = Ok<SessionsPath, 'get'>['data'];
export type MessageExport = Ok<ExportPath, 'get'>;

type Several<T> = T | readonly T[];
type ListQuery = Query<ConversationsPath>;

/**
 * The filters of the conversations list. `channel`, `status` and `agent_uuid` take one value or
 * several (matching any of them).
 */
export type ConversationFilters = Omit<ListQuery, 'page' | 'per_page' | 'cursor' | 'channel' | 'status' | 'agent_uuid'> & {
  channel?: Several<Channel>;
  status?: Several<ConversationStatus>;
  agent_uuid?: Several<string>;
};
export type ConversationListQuery = ConversationFilters & Pick<ListQuery, 'page' | 'per_page'>;
export type ConversationCursorQuery = ConversationFilters & Pick<ListQuery, 'per_page'> & { cursor: string };
export type MessageListQuery = Query<MessagesPath>;
export type SessionListQuery = Query<SessionsPath>;
export type MessageExportQuery = Query<ExportPath>;

export interface ParleyClientOptions {
  /** Where Parley answers, e.g. `http://127.0.0.1:3000` or `https://acme.parley.example.com`; a trailing `/api/v1` is accepted. */
  baseUrl: string;
  /** A workspace API token (`parley token create <workspace>`). */
  token: string;
  /** How many times a request answered 429 is sent again, waiting as its Retry-After says; default 3. */
  retries?: number;
  /** The longest wait before a retry; a 429 asking for more is thrown at once. Default 60 000 ms. */
  maxRetryDelayMs?: number;
  /** Defaults to the global fetch. */
  fetch?: typeof fetch;
}

type QueryValue = string | number | boolean | readonly string[] | undefined;

/** Seconds (`Retry-After: 3`) or an HTTP date, as milliseconds from now; null when absent or unreadable. */
export function retryAfterMs(header: string | null, now = Date.now()): number | null {
  if (header === null || header.trim() === '') return null;
  const value = header.trim();
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A typed client of Parley's `/api/v1`, its types generated from Parley's OpenAPI document. */
export class ParleyClient {
  private readonly baseUrl: string;
  private readonly token: string;
  private readonly retries: number;
  private readonly maxRetryDelayMs: number;
  private readonly fetch: typeof fetch;

  constructor(options: ParleyClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '').replace(/\/api\/v1$/, '');
    this.token = options.token;
    this.retries = Math.max(0, options.retries ?? 3);
    this.maxRetryDelayMs = options.maxRetryDelayMs ?? 60_000;
    // Called unbound, browsers' fetch throws "Illegal invocation": it must run with globalThis as `this`.
    this.fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  }

  /** `GET /api/v1/conversations` by page. */
  async listConversations(query: ConversationListQuery = {}): Promise<ConversationPage> {
    const body = await this.request<Ok<ConversationsPath, 'get'>>('GET', CONVERSATIONS, { query });
    return body.data as ConversationPage;
  }

  /** `GET /api/v1/conversations` by cursor: `''` for the first page, then each answer's `next_cursor`. */
  async listConversationsByCursor(query: ConversationCursorQuery): Promise<ConversationCursorPage> {
    const body = await this.request<Ok<ConversationsPath, 'get'>>('GET', CONVERSATIONS, { query });
    return body.data as ConversationCursorPage;
  }

  /**
   * Every conversation matching `filters`, walking the cursor pages: stable while conversations are
   * added, each one yielded once.
   */
  async *iterateConversations(
    filters: ConversationFilters & Pick<ListQuery, 'per_page'> = {},
  ): AsyncGenerator<Conversation, void, undefined> {
    let cursor: string | null = '';
    while (cursor !== null) {
      const page: ConversationCursorPage = await this.listConversationsByCursor({ ...filters, cursor });
      yield* page.data;
      cursor = page.next_cursor;
    }
  }

  /** `GET /api/v1/conversations/{uuid}`. */
  async getConversation(uuid: string): Promise<Conversation> {
    return (await this.request<Ok<ConversationPath, 'get'>>('GET', conversationPath(uuid))).data;
  }

  /** `PUT /api/v1/conversations/{uuid}`: creates or updates; `created` tells which. */
  async putConversation(uuid: string, body: ConversationInput): Promise<{ created: boolean; conversation: Conversation }> {
    const { status, body: answer } = await this.send<Ok<ConversationPath, 'put'>>('PUT', conversationPath(uuid), { body });
    return { created: status === 201, conversation: answer.data };
  }

  /** `PATCH /api/v1/conversations/{uuid}`: closes or reopens. */
  async setConversationStatus(uuid: string, status: ConversationStatus): Promise<Conversation> {
    return (await this.request<Ok<ConversationPath, 'patch'>>('PATCH', conversationPath(uuid), { body: { status } })).data;
  }

  /** `GET /api/v1/conversations/{uuid}/messages`: one page of the transcript. */
  async listMessages(conversationUuid: string, query: MessageListQuery = {}): Promise<MessagePage> {
    return (await this.request<Ok<MessagesPath, 'get'>>('GET', `${conversationPath(conversationUuid)}/messages`, { query })).data;
  }

  /** The whole transcript, page after page. */
  async *iterateMessages(conversationUuid: string, query: Omit<MessageListQuery, 'page'> = {}): AsyncGenerator<Message, void, undefined> {
    for (let page = 1; ; page++) {
      const answer = await this.listMessages(conversationUuid, { ...query, page });
      yield* answer.data;
      if (page >= answer.last_page || answer.data.length === 0) return;
    }
  }

  /** `POST /api/v1/conversations/{uuid}/messages`; idempotent on `uuid`: `created` is false for a repeat. */
  async postMessage(conversationUuid: string, body: MessageInput): Promise<{ created: boolean; message: Message }> {
    const path = `${conversationPath(conversationUuid)}/messages`;
    const { status, body: answer } = await this.send<Ok<MessagesPath, 'post'>>('POST', path, { body });
    return { created: status === 201, message: answer.data };
  }

  /** `GET /api/v1/conversations/{uuid}/sessions`. */
  async listSessions(conversationUuid: string, query: SessionListQuery = {}): Promise<SessionPage> {
    return (await this.request<Ok<SessionsPath, 'get'>>('GET', `${conversationPath(conversationUuid)}/sessions`, { query })).data;
  }

  /** `GET /api/v1/analytics/messages`: messages across conversations, resumable with `pagination.next_cursor`. */
  async exportMessages(query: MessageExportQuery): Promise<MessageExport> {
    return this.request<MessageExport>('GET', '/api/v1/analytics/messages', { query });
  }

  private async request<T>(method: string, path: string, options: { query?: object; body?: unknown } = {}): Promise<T> {
    return (await this.send<T>(method, path, options)).body;
  }

  private async send<T>(method: string, path: string, options: { query?: object; body?: unknown }): Promise<{ status: number; body: T }> {
    const url = `${this.baseUrl}${path}${queryString(options.query as Record<string, QueryValue> | undefined)}`;
    const headers: Record<string, string> = { authorization: `Bearer ${this.token}`, accept: 'application/json' };
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    const init: RequestInit = { method, headers, body: options.body === undefined ? undefined : JSON.stringify(options.body) };

    for (let attempt = 0; ; attempt++) {
      const response = await this.fetch(url, init);
      const text = await response.text();
      if (response.ok) return { status: response.status, body: JSON.parse(text) as T };
      const error = errorFromResponse(response, text);
      if (response.status !== 429 || attempt >= this.retries) throw error;
      // Without Retry-After, back off exponentially from one second.
      const wait = retryAfterMs(response.headers.get('retry-after')) ?? 1000 * 2 ** attempt;
      if (wait > this.maxRetryDelayMs) throw error;
      await sleep(wait);
    }
  }
}

function conversationPath(uuid: string): string {
  return `${CONVERSATIONS}/${encodeURIComponent(uuid)}`;
}

/** `?a=1&b=x,y` from the defined values; lists are comma-separated, as Parley reads them. */
export function queryString(query: Record<string, QueryValue> | undefined): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value === undefined) continue;
    params.set(key, Array.isArray(value) ? value.join(',') : String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}
