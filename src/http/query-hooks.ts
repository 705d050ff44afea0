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

/** What every request's parameters are checked against, worked out once per querystring schema. */
interface QueryRules {
  declared: Set<string>;
  integers: Set<string>;
  /** How to rewrite the case-insensitive parameters, keyed by parameter. */
  caseRules: Map<string, CaseRule>;
}

const rulesBySchema = new WeakMap<object, QueryRules>();

function rulesOf(querySchema: object): QueryRules {
  let rules = rulesBySchema.get(querySchema);
  if (!rules) {
    const properties = Object.entries((querySchema as { properties?: Record<string, PropertySchema> }).properties ?? {});
    const caseRules = new Map<string, CaseRule>();
    for (const [name, property] of properties) {
      const values = property['x-values'] ?? property.enum?.map(String);
      if (property['x-case-insensitive'] && values) {
        const spellings = new Map(values.map((value) => [value.toLowerCase(), value]));
        caseRules.set(name, { spellings, list: property['x-values'] !== undefined, allowed: values });
      }
    }
    rules = {
      declared: new Set(properties.map(([name]) => name)),
      integers: new Set(properties.filter(([, property]) => property.type === 'integer').map(([name]) => name)),
      caseRules,
    };
    rulesBySchema.set(querySchema, rules);
  }
  return rules;
}

/** The names in `query` that `querySchema` declares, in the query's order: a request sends a few of many. */
export function declaredNames(querySchema: object, query: Record<string, unknown>): string[] {
  const { declared } = rulesOf(querySchema);
  return Object.keys(query).filter((name) => declared.has(name));
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
  const { integers, caseRules } = rulesOf(querySchema);
  const names = declaredNames(querySchema, query);
  for (const name of names) {
    if (Array.isArray(query[name])) throw validationError(name, `${name} must be given only once`);
  }
  // Ajv's coercion turns "Infinity", "1e400" or 400 nines into Infinity and then skips its range
  // checks; "0x10" and "1e2" would pass as 16 and 100. Only plain decimal digits are an integer here.
  for (const name of names) {
    const value = query[name];
    if (!integers.has(name) || typeof value !== 'string') continue;
    if (!DECIMAL_INTEGER.test(value)) throw validationError(name, `${name} must be an integer`);
    if (!Number.isSafeInteger(Number(value))) throw validationError(name, `${name} is out of range`);
  }
  for (const name of names) {
    const rule = caseRules.get(name);
    const value = query[name];
    if (rule && typeof value === 'string') query[name] = canonical(name, value, rule);
  }
}

/** A preValidation hook for every route with a querystring schema (see normaliseParameters). */
export async function normaliseQuery(request: FastifyRequest) {
  const schema = request.routeOptions.schema?.querystring;
  if (schema) normaliseParameters(schema, request.query as Record<string, unknown>);
}
