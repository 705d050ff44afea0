import type { FastifyRequest } from 'fastify';
import { fromIso, toIso } from '../shared/time.js';
import { validationError } from './errors.js';

interface SchemaNode {
  type?: string | string[];
  format?: string;
  properties?: Record<string, SchemaNode>;
  items?: SchemaNode;
}

function jsonTypeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

const article = (type: string) => (/^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`);

function check(schema: SchemaNode, value: unknown, path: string[]): void {
  const field = path.join('.') || 'body';
  const actual = jsonTypeOf(value);
  if (schema.type !== undefined) {
    const allowed = Array.isArray(schema.type) ? schema.type : [schema.type];
    if (!allowed.includes(actual) && !(actual === 'integer' && allowed.includes('number'))) {
      throw validationError(field, `${field} must be ${allowed.map((type) => (type === 'null' ? 'null' : article(type))).join(' or ')}`);
    }
  }
  if (typeof value === 'string' && value.includes('\u0000')) {
    throw validationError(field, `${field} must not contain the character U+0000`);
  }
  if (typeof value === 'string' && schema.format === 'date-time') {
    const seconds = fromIso(value);
    if (!Number.isFinite(seconds)) throw validationError(field, `${field} must be a valid date-time`);
    // 9999-12-31T23:59:59-05:00 is valid RFC 3339 but falls in year 10000 in UTC, which `…Z` cannot show.
    if (!/^\d{4}-/.test(toIso(seconds))) throw validationError(field, `${field} must fall within the years 0000 to 9999 in UTC`);
  }
  if (actual === 'object' && schema.properties) {
    for (const [key, item] of Object.entries(value as object)) {
      const property = schema.properties[key];
      if (property) check(property, item, [...path, key]);
    }
  }
  if (actual === 'array' && schema.items) {
    const items = schema.items;
    (value as unknown[]).forEach((item, index) => check(items, item, [...path, String(index)]));
  }
}

/**
 * A preValidation hook for routes with a JSON body. Ajv runs with `coerceTypes` because query
 * strings need it, but on a JSON body that would quietly store `"true"` as true, `5` as "5" and
 * `null` as false or "": here a value whose JSON type the schema does not allow is a 422 before
 * Ajv can coerce it. A string holding U+0000 is refused too: PostgreSQL cannot store it, and
 * SQLite and PostgreSQL must accept the same bodies. So is a date-time that the contract's UTC
 * format cannot show.
 */
export async function strictJsonBody(request: FastifyRequest) {
  const schema = request.routeOptions.schema?.body as SchemaNode | undefined;
  if (schema && request.body !== undefined) check(schema, request.body, []);
}
