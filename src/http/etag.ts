import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Answer conditional GETs with 304 while the workspace's data is unchanged. */
    etag?: boolean;
  }
}

/**
 * Weak comparison (RFC 9110 §13.1.2): W/ prefixes do not matter. `*` is not honoured: it would
 * need the handler to know the resource exists, and a 200 is always a correct answer to it.
 */
function matches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  const bare = etag.replace(/^W\//, '');
  return ifNoneMatch.split(',').some((candidate) => candidate.trim().replace(/^W\//, '') === bare);
}

/**
 * A preHandler for routes with `config.etag`: the ETag is the workspace's data version (which
 * every write moves, in its own transaction) with the request's URL, so an unchanged poll is
 * answered 304 with no query beyond authentication, which read the version along with the token.
 * That read comes before the handler reads the data, so a tag can only be older than the body it
 * labels, never newer.
 */
export async function conditionalGet(request: FastifyRequest, reply: FastifyReply) {
  if (!request.routeOptions.config.etag || request.method !== 'GET') return;
  const url = createHash('sha256').update(request.url).digest('base64url').slice(0, 16);
  const etag = `W/"${request.workspace.id}-${request.workspace.dataVersion}-${url}"`;
  reply.header('etag', etag);
  reply.header('cache-control', 'private, no-cache');
  if (matches(request.headers['if-none-match'], etag)) return reply.code(304).send();
}

/** An onSend hook: only a 200 or 304 carries the tag, so an error answer can never be revalidated as if it were data. */
export async function keepEtagOnSuccessOnly(_request: FastifyRequest, reply: FastifyReply) {
  if (reply.statusCode !== 200 && reply.statusCode !== 304) reply.removeHeader('etag');
}
