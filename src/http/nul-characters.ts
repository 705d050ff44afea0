import type { FastifyRequest } from 'fastify';
import { validationError } from './errors.js';
import { declaredNames } from './query-hooks.js';

/** With the `u` flag a surrogate pair is one code point outside this range, so only an unpaired half matches. */
const UNPAIRED_SURROGATE = /[\ud800-\udfff]/u;

/**
 * The first string no database would store as it was sent, and why: U+0000, which PostgreSQL
 * refuses, or an unpaired UTF-16 surrogate (JSON's `"\ud800"`), which UTF-8 cannot encode, so that
 * each driver would silently store a different replacement (and the same body sent twice would
 * no longer change nothing).
 */
export function findUnstorable(value: unknown, path: string[] = []): { path: string[]; problem: string } | null {
  if (typeof value === 'string') {
    if (value.includes('\u0000')) return { path, problem: 'must not contain the character U+0000' };
    if (UNPAIRED_SURROGATE.test(value)) return { path, problem: 'must be valid Unicode (it holds an unpaired surrogate)' };
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  for (const [key, item] of Object.entries(value)) {
    const found = findUnstorable(item, [...path, key]);
    if (found) return found;
  }
  return null;
}

/** The query parameters the route declares: unknown ones are ignored (the contract), whatever they hold. */
function declaredQuery(request: FastifyRequest): Record<string, unknown> {
  const schema = request.routeOptions.schema?.querystring;
  if (!schema) return {};
  const query = request.query as Record<string, unknown>;
  const declared: Record<string, unknown> = {};
  for (const name of declaredNames(schema, query)) declared[name] = query[name];
  return declared;
}

/**
 * A preHandler hook for every route (after validation, so the body has its schema's bounded
 * shape): a string no database stores as sent (see findUnstorable), in a declared query parameter
 * or in the body, is a 422 naming it, on both dialects alike.
 */
export async function rejectNulCharacters(request: FastifyRequest) {
  const found = findUnstorable(declaredQuery(request)) ?? findUnstorable(request.body);
  if (found) {
    const field = found.path.join('.') || 'body';
    throw validationError(field, `${field} ${found.problem}`);
  }
}
