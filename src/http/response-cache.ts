import type { FastifyReply, FastifyRequest } from 'fastify';
import { touches, type WriteScope } from '../conversations/scope.js';
import type { DataChange } from '../db/transaction.js';

/**
 * Answers of the `config.etag` routes, kept while their workspace's data version stands.
 *
 * Those routes answer from the workspace's data and the URL alone, and every write moves the
 * version in its own transaction (see http/etag.ts). The version is read with the token before
 * any data, so an answer kept under version V was read from data at least as new as V: a later
 * request that still reads V gets what it would have read itself, and the first request after a
 * write reads the new version and misses. Pollers and dashboards asking the same URLs between
 * writes then cost authentication only. Bounded: up to a total size, one answer per URL, and the
 * last JOURNAL_VERSIONS changes of each workspace with answers kept. Kept as UTF-8 bytes, which
 * are sent as they are: a string would be measured and encoded again on every send.
 *
 * An answer tagged by its route (`tagAnswer`: a list filtered to some agents, a contact, a
 * campaign or a phone fragment) also outlives the versions whose writes cannot have changed it:
 * this process's writes note what each version may have changed (`noteChange`), and an answer is
 * served at a later version when every version in between was noted and none touches its tags.
 * Under a steady stream of writes, a list per agent would otherwise be read afresh after each
 * one, whichever agent's conversation it wrote.
 *
 * Requests for an answer that is being made wait for it instead of making it again: by the same
 * argument it is the answer they would have read. On PostgreSQL a page is several round trips,
 * during which the same URL arrives again and again, and after every write it missed for each of
 * them at once.
 *
 * Which answers stay when the room runs out: requests that are each asked once (a contact, a
 * phone fragment typed in) would otherwise push out those asked again and again (a dashboard's,
 * a common fragment's), which were then never found. So a new answer starts on probation, a
 * small part of the room kept first in, first out; one found again there, or made again soon
 * after it left (its URL is still remembered), moves to the rest of the room, where the least
 * recently used answer leaves first (the "2Q" policy of Johnson and Shasha).
 */

const MAX_TOTAL_BYTES = 8 * 1024 * 1024;
/** The part of the room for answers on probation. */
const MAX_PROBATION_BYTES = 2 * 1024 * 1024;
/** How many URLs that left probation are remembered, so that one made again is kept longer. */
const MAX_REMEMBERED = 20_000;
const MAX_ANSWER_BYTES = 256 * 1024;
/**
 * Versions of a workspace whose writes' scopes are remembered (2.5 s of writes at 100 a second);
 * an answer older than that is made again.
 */
const JOURNAL_VERSIONS = 256;

interface Answer {
  /** The version it was read under, or a later one it was found to hold for. */
  version: number;
  payload: Buffer;
  /** See `tagAnswer`; undefined: any write may change it. */
  tags: readonly string[] | undefined;
}

/** Where an answer is kept, for the order in which they leave. */
interface Place {
  workspaceId: number;
  url: string;
}

interface WorkspaceAnswers {
  byUrl: Map<string, Answer>;
  /** The scope of each recent version this process's writes made, by version. */
  journal: Map<number, WriteScope>;
}

/** Workspace, version and URL. */
const keyOf = (workspaceId: number, version: number, url: string) => `${workspaceId}:${version}:${url}`;
/** Workspace and URL. */
const placeOf = (workspaceId: number, url: string) => `${workspaceId}:${url}`;

type Settle = (payload: Buffer | undefined) => void;

const answerTags = new WeakMap<FastifyRequest, readonly string[]>();

/**
 * Called by a route whose answer shows only conversations carrying one of `tags` (see
 * conversations/scope.ts): the answer is then kept across the writes whose scope holds none.
 */
export function tagAnswer(request: FastifyRequest, tags: readonly string[] | undefined) {
  if (tags) answerTags.set(request, tags);
}

export class ResponseCache {
  private readonly workspaces = new Map<number, WorkspaceAnswers>();
  private bytes = 0;
  private probationBytes = 0;
  /** Answers on probation, first kept first; the others, least recently used first. By `placeOf`. */
  private readonly onProbation = new Map<string, Place>();
  private readonly kept = new Map<string, Place>();
  /** URLs (by the same key) that left probation lately, oldest first. */
  private readonly remembered = new Set<string>();
  /** Requests answered from here, which `keep` need not store again. */
  private readonly served = new WeakSet<FastifyRequest>();
  /** Answers being made, by key: undefined when the request making it got no 200. */
  private readonly making = new Map<string, Promise<Buffer | undefined>>();
  /** The requests making them, and how each hands its answer over. */
  private readonly makers = new WeakMap<FastifyRequest, Settle>();

  private workspace(workspaceId: number): WorkspaceAnswers {
    let answers = this.workspaces.get(workspaceId);
    if (!answers) this.workspaces.set(workspaceId, (answers = { byUrl: new Map(), journal: new Map() }));
    return answers;
  }

  /**
   * Remembers what a committed write may have changed, for a workspace with answers kept. A
   * version not noted (written by another process, or before the workspace had answers here)
   * ends every answer kept from before it.
   */
  noteChange({ workspaceId, version, scope }: DataChange) {
    const journal = this.workspaces.get(workspaceId)?.journal;
    if (!journal) return;
    journal.set(version, scope);
    for (const oldest of journal.keys()) {
      if (journal.size <= JOURNAL_VERSIONS) break;
      journal.delete(oldest);
    }
  }

  get(workspaceId: number, version: number, url: string): Buffer | undefined {
    const answers = this.workspaces.get(workspaceId);
    const answer = answers?.byUrl.get(url);
    if (!answers || !answer) return undefined;
    if (answer.version !== version) {
      if (answer.version > version || !unchangedSince(answers.journal, answer, version)) return undefined;
      answer.version = version;
    }
    this.foundAgain(workspaceId, url, answer.payload.length);
    return answer.payload;
  }

  set(workspaceId: number, version: number, url: string, payload: Buffer, tags: readonly string[] | undefined) {
    if (payload.length > MAX_ANSWER_BYTES) return;
    const previous = this.workspaces.get(workspaceId)?.byUrl.get(url);
    // Versions only move forward; an answer read under an older one is simply not kept.
    if (previous && previous.version > version) return;
    const place = placeOf(workspaceId, url);
    const probation = previous === undefined && !this.remembered.delete(place);
    if (previous) this.drop(workspaceId, url);
    this.workspace(workspaceId).byUrl.set(url, { version, payload, tags });
    (probation ? this.onProbation : this.kept).set(place, { workspaceId, url });
    this.bytes += payload.length;
    if (probation) this.probationBytes += payload.length;
    this.makeRoom();
  }

  /** Found again: off probation, or last to leave. */
  private foundAgain(workspaceId: number, url: string, bytes: number) {
    const place = placeOf(workspaceId, url);
    this.unplace(place, bytes);
    this.kept.set(place, { workspaceId, url });
  }

  /** Out of the order in which answers leave. */
  private unplace(place: string, bytes: number) {
    if (this.onProbation.delete(place)) this.probationBytes -= bytes;
    else this.kept.delete(place);
  }

  /** Answers leave, those on probation first, until the room holds what is kept; the URLs leaving probation are remembered. */
  private makeRoom() {
    while (this.probationBytes > MAX_PROBATION_BYTES || this.bytes > MAX_TOTAL_BYTES) {
      const fromProbation = this.probationBytes > MAX_PROBATION_BYTES || this.kept.size === 0;
      const [place, { workspaceId, url }] = (fromProbation ? this.onProbation : this.kept).entries().next().value!;
      this.drop(workspaceId, url);
      if (!fromProbation) continue;
      this.remembered.add(place);
      if (this.remembered.size > MAX_REMEMBERED) this.remembered.delete(this.remembered.values().next().value!);
    }
  }

  private drop(workspaceId: number, url: string) {
    const answers = this.workspaces.get(workspaceId)!;
    const answer = answers.byUrl.get(url)!;
    answers.byUrl.delete(url);
    this.bytes -= answer.payload.length;
    this.unplace(placeOf(workspaceId, url), answer.payload.length);
    // A workspace without answers needs no journal: its next answer starts another.
    if (answers.byUrl.size === 0) this.workspaces.delete(workspaceId);
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
    this.set(request.workspace.id, request.workspace.dataVersion, request.url, bytes, answerTags.get(request));
    settle?.(bytes);
    return bytes;
  };

  /** An onResponse and onRequestAbort hook: a request that ends without sending (aborted) leaves no one waiting. */
  readonly release = async (request: FastifyRequest) => {
    this.makers.get(request)?.(undefined);
  };
}

/** Whether no write between the answer's version and `version` may have changed it: each one noted, none touching its tags. */
function unchangedSince(journal: Map<number, WriteScope>, answer: Answer, version: number): boolean {
  const { tags } = answer;
  if (!tags || version - answer.version > JOURNAL_VERSIONS) return false;
  for (let v = answer.version + 1; v <= version; v++) {
    const scope = journal.get(v);
    if (scope === undefined || touches(scope, tags)) return false;
  }
  return true;
}
