import { Ajv } from 'ajv';
import formats from 'ajv-formats';
import type { FastifySchema, FastifySchemaCompiler } from 'fastify';
import { fromIso, toIso } from '../shared/time.js';

const addFormats = formats.default;

const CANONICAL_UTC = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;

/** RFC 3339, and inside the years 0000–9999 once in UTC, the only ones the contract's `…Z` form can show. */
function contractDateTime(isRfc3339: (value: string) => boolean) {
  return (value: string) => {
    if (!isRfc3339(value)) return false;
    // The contract's own form (`…Z`, no fraction) is in range by construction: skip the round trip.
    if (CANONICAL_UTC.test(value)) return true;
    const seconds = fromIso(value);
    return Number.isFinite(seconds) && /^\d{4}-/.test(toIso(seconds));
  };
}

function createAjv(coerceTypes: boolean): Ajv {
  const ajv = new Ajv({
    coerceTypes,
    useDefaults: true,
    // Unknown body keys are rejected with a 422 rather than silently dropped.
    removeAdditional: false,
    allErrors: false,
    // Annotations only: the preValidation hook acts on them (see query-hooks.ts).
    keywords: ['x-case-insensitive', 'x-values'],
  });
  addFormats(ajv);
  const rfc3339 = ajv.formats['date-time'] as { validate: (value: string) => boolean };
  ajv.addFormat('date-time', { type: 'string', validate: contractDateTime(rfc3339.validate) });
  return ajv;
}

/**
 * Query strings and paths are text, so their schemas coerce ("15" → 15); a JSON body already has
 * types, and coercing it would quietly store `"true"` as true or `5` as "5". Two Ajv instances,
 * one rule each.
 */
export function createValidatorCompiler(): FastifySchemaCompiler<FastifySchema> {
  const text = createAjv(true);
  const json = createAjv(false);
  return ({ schema, httpPart }) => (httpPart === 'body' ? json : text).compile(schema as object);
}

let jsonAjv: Ajv | undefined;

/** A validator with the JSON-body rules (no coercion) for JSON that arrives outside a request, such as the lines of an import. */
export function compileJsonValidator(schema: object) {
  jsonAjv ??= createAjv(false);
  return jsonAjv.compile(schema);
}
