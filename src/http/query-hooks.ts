import type { FastifyRequest } from 'fastify';
import { validationError } from './errors.js';

interface PropertySchema {
  type?: string;
  enum?: unknown[];
  'x-values'?: string[];
  'x-case-insensitive'?: boolean;
}

interface CaseRule {
  spellings: Map<string, string>;
  /** A comma-separated list of values rather than a single one. */
  list: boolean;
  allowed: string[];
}

/** Per querystring schema: how to rewrite its case-insensitive parameters, keyed by parameter. */
const caseRules = new WeakMap<object, Map<string, CaseRule>>();

function caseRulesOf(schema: { properties?: Record<string, PropertySchema> }) {
  let rules = caseRules.get(schema);
  if (!rules) {
    rules = new Map();
    for (const [name, property] of Object.entries(schema.properties ?? {})) {
      const values = property['x-values'] ?? property.enum?.map(String);
      if (property['x-case-insensitive'] && values) {
        const spellings = new Map(values.map((value) => [value.toLowerCase(), value]));
        rules.set(name, { spellings, list: property['x-values'] !== undefined, allowed: values });
      }
    }
    caseRules.set(schema, rules);
  }
  return rules;
}

function canonical(name: string, value: string, rule: CaseRule): string {
  if (!rule.list) return rule.spellings.get(value.toLowerCase()) ?? value;
  const items = value.split(',').map((item) => {
    const spelling = rule.spellings.get(item.trim().toLowerCase());
    if (!spelling) throw validationError(name, `${name} must be one or more of ${rule.allowed.join(', ')}, separated by commas`);
    return spelling;
  });
  return [...new Set(items)].join(',');
}

const DECIMAL_INTEGER = /^[+-]?[0-9]+$/;

/**
 * Query parameters as every route takes them, before its schema checks them: a declared
 * parameter given twice is a 422 (never silently first-or-last), an integer parameter must be
 * written as a decimal integer, and case-insensitive enumerations are rewritten to their
 * canonical spelling. Rewrites `query` in place.
 */
export function normaliseParameters(querySchema: object, query: Record<string, unknown>) {
  const schema = querySchema as { properties?: Record<string, PropertySchema> };
  if (!schema.properties) return;
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
  for (const [name, rule] of caseRulesOf(schema)) {
    const value = query[name];
    if (typeof value === 'string') query[name] = canonical(name, value, rule);
  }
}

/** A preValidation hook for every route with a querystring schema (see normaliseParameters). */
export async function normaliseQuery(request: FastifyRequest) {
  const schema = request.routeOptions.schema?.querystring;
  if (schema) normaliseParameters(schema, request.query as Record<string, unknown>);
}
