import type { FastifyRequest } from 'fastify';
import { validationError } from './errors.js';

interface PropertySchema {
  enum?: unknown[];
  'x-case-insensitive'?: boolean;
}

/** Per querystring schema: which enum values to rewrite to their canonical spelling, keyed by lower case. */
const canonicalSpellings = new WeakMap<object, Map<string, Map<string, string>>>();

function spellingsOf(schema: { properties?: Record<string, PropertySchema> }) {
  let spellings = canonicalSpellings.get(schema);
  if (!spellings) {
    spellings = new Map();
    for (const [name, property] of Object.entries(schema.properties ?? {})) {
      if (property['x-case-insensitive'] && property.enum) {
        spellings.set(name, new Map(property.enum.map((value) => [String(value).toLowerCase(), String(value)])));
      }
    }
    canonicalSpellings.set(schema, spellings);
  }
  return spellings;
}

/**
 * A preValidation hook for every route with a querystring schema: a declared parameter given
 * twice is a 422 (never silently first-or-last), and case-insensitive enumerations are
 * rewritten to their canonical spelling before the schema checks them.
 */
export async function normaliseQuery(request: FastifyRequest) {
  const schema = request.routeOptions.schema?.querystring as { properties?: Record<string, PropertySchema> } | undefined;
  if (!schema?.properties) return;
  const query = request.query as Record<string, unknown>;
  for (const name of Object.keys(schema.properties)) {
    if (Array.isArray(query[name])) throw validationError(name, `${name} must be given only once`);
  }
  for (const [name, spellings] of spellingsOf(schema)) {
    const value = query[name];
    if (typeof value === 'string') query[name] = spellings.get(value.toLowerCase()) ?? value;
  }
}
