import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * Answers of the `config.etag` routes, kept while their workspace's data version stands.
 *
 * Those routes answer from the workspace's data and the URL alone, and every write moves the
 * version in its own transaction (see http/etag.ts). The version is read with the token before
 * any data, so an answer kept under version V was read from data at least as new as V: a later
 * request that still reads V gets what it would have read itself, and the first request after a
 * write reads the new version and misses. Pollers and dashboards asking the same URLs between
 * writes then cost authentication only. Bounded: each workspace keeps the current version's
 * answers only, up to a total size. Kept as UTF-8 bytes, which are sent as they are: a string
 * would be measured and encoded again on every send.
 *
 * Requests for an answer that is being made wait for it instead of making it again: by the same
 * argument it is the answer they would have read. On PostgreSQL a page is several round trips,
 * during which the same URL arrives again and again, and after every write it missed for each of
 * them at once.
 */

const MAX_TOTAL_BYTES = 8 * 1024 * 1024;
const MAX_ANSWER_BYTES = 256 * 1024;

interface WorkspaceAnswers {
  version: number;
  byUrl: Map<string, Buffer>;
}

/** Workspace, version and URL. */
const keyOf = (workspaceId: number, version: number, url: string) => `${workspaceId}:${version}:${url}`;

type Settle = (payload: Buffer | undefined) => void;

export class ResponseCache {
  private readonly workspaces = new Map<number, WorkspaceAnswers>();
  private bytes = 0;
  /** Requests answered from here, which `keep` need not store again. */
  private readonly served = new WeakSet<FastifyRequest>();
  /** Answers being made, by key: undefined when the request making it got no 200. */
  private readonly making = new Map<string, Promise<Buffer | undefined>>();
  /** The requests making them, and how each hands its answer over. */
  private readonly makers = new WeakMap<FastifyRequest, Settle>();

  get(workspaceId: number, version: number, url: string): Buffer | undefined {
    const answers = this.workspaces.get(workspaceId);
    return answers?.version === version ? answers.byUrl.get(url) : undefined;
  }

  set(workspaceId: number, version: number, url: string, payload: Buffer) {
    if (payload.length > MAX_ANSWER_BYTES) return;
    let answers = this.workspaces.get(workspaceId);
    // Versions only move forward; an answer read under an older one is simply not kept.
    if (answers && answers.version > version) return;
    if (!answers || answers.version < version) {
      if (answers) this.bytes -= sizeOf(answers);
      answers = { version, byUrl: new Map() };
      this.workspaces.set(workspaceId, answers);
    }
    if (this.bytes + payload.length > MAX_TOTAL_BYTES) {
      this.workspaces.clear();
      this.bytes = 0;
      this.workspaces.set(workspaceId, answers);
      answers.byUrl.clear();
    }
    const previous = answers.byUrl.get(url);
    answers.byUrl.set(url, payload);
    this.bytes += payload.length - (previous?.length ?? 0);
  }

  /**
   * A preHandler after authentication and `conditionalGet`: a kept answer is sent as it was, one
   * being made is waited for; else this request makes it. Should the one making it get no 200,
   * each waiting request makes its own.
   */
  readonly answer = async (request: FastifyRequest, reply: FastifyReply) => {
    if (!request.routeOptions.config.etag || request.method !== 'GET') return;
    const { id, dataVersion } = request.workspace;
    let payload = this.get(id, dataVersion, request.url);
    if (payload === undefined) {
      const key = keyOf(id, dataVersion, request.url);
      const making = this.making.get(key);
      if (!making) {
        let settle!: Settle;
        this.making.set(key, new Promise((resolve) => (settle = resolve)));
        this.makers.set(request, (made) => {
          this.makers.delete(request);
          this.making.delete(key);
          settle(made);
        });
        return;
      }
      payload = await making;
      if (payload === undefined) return;
    }
    this.served.add(request);
    return reply.type('application/json; charset=utf-8').send(payload);
  };

  /** An onSend hook: keeps each 200 of those routes, hands it to the requests waiting for it, and sends the bytes it keeps. */
  readonly keep = async (request: FastifyRequest, reply: FastifyReply, payload: unknown) => {
    const settle = this.makers.get(request);
    const keepable =
      request.routeOptions.config.etag &&
      request.method === 'GET' &&
      reply.statusCode === 200 &&
      !this.served.has(request) &&
      typeof payload === 'string' &&
      request.workspace;
    if (!keepable) {
      settle?.(undefined);
      return payload;
    }
    const bytes = Buffer.from(payload);
    this.set(request.workspace.id, request.workspace.dataVersion, request.url, bytes);
    settle?.(bytes);
    return bytes;
  };

  /** An onResponse and onRequestAbort hook: a request that ends without sending (aborted) leaves no one waiting. */
  readonly release = async (request: FastifyRequest) => {
    this.makers.get(request)?.(undefined);
  };
}

function sizeOf(answers: WorkspaceAnswers): number {
  let bytes = 0;
  for (const payload of answers.byUrl.values()) bytes += payload.length;
  return bytes;
}
