import type { FastifyRequest } from 'fastify';
import { validationError } from './errors.js';

interface PropertySchema {
  type?: string;
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

const DECIMAL_INTEGER = /^[+-]?[0-9]+$/;

/**
 * A preValidation hook for every route with a querystring schema: a declared parameter given
 * twice is a 422 (never silently first-or-last), an integer parameter must be written as a
 * decimal integer, and case-insensitive enumerations are rewritten to their canonical spelling
 * before the schema checks them.
 */
export async function normaliseQuery(request: FastifyRequest) {
  const schema = request.routeOptions.schema?.querystring as { properties?: Record<string, PropertySchema> } | undefined;
  if (!schema?.properties) return;
  const query = request.query as Record<string, unknown>;
  for (const name of Object.keys(schema.properties)) {
    if (Array.isArray(query[name])) throw validationError(name, `${name} must be given only once`);
  }
  // Ajv's coercion turns "Infinity", "1e400" or 400 nines into Infinity and then skips its range
  // checks; "0x10" and "1e2" would pass as 16 and 100. Only plain decimal digits are an integer here.
  for (const [name, property] of Object.entries(schema.properties)) {
    const value = query[name];
    if (property.type !== 'integer' || typeof value !== 'string') continue;
    if (!DECIMAL_INTEGER.test(value)) throw validationError(name, `${name} must be an integer`);
    if (!Number.isSafeInteger(Number(value))) throw validationError(name, `${name} is out of range`);
  }
  for (const [name, spellings] of spellingsOf(schema)) {
    const value = query[name];
    if (typeof value === 'string') query[name] = spellings.get(value.toLowerCase()) ?? value;
  }
}
