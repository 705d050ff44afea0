import type { FastifyRequest } from 'fastify';
import { validationError } from './errors.js';

/** The path of the first string holding U+0000, which PostgreSQL cannot store or compare. */
export function findNul(value: unknown, path: string[] = []): string[] | null {
  if (typeof value === 'string') return value.includes('\u0000') ? path : null;
  if (typeof value !== 'object' || value === null) return null;
  for (const [key, item] of Object.entries(value)) {
    const found = findNul(item, [...path, key]);
    if (found) return found;
  }
  return null;
}

/**
 * A preHandler hook for every route (after validation, so the body has its schema's bounded shape): PostgreSQL cannot store or compare U+0000 in text, so a
 * string holding it, in the query or the body, is a 422 on both dialects alike.
 */
export async function rejectNulCharacters(request: FastifyRequest) {
  const found = findNul(request.query, []) ?? findNul(request.body, []);
  if (found) {
    const field = found.join('.') || 'body';
    throw validationError(field, `${field} must not contain the character U+0000`);
  }
}
