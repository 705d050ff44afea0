import { readFileSync } from 'node:fs';
import type { FastifyDynamicSwaggerOptions } from '@fastify/swagger';
import type { TSchema } from 'typebox';
import { CallInput, ContactInput, Conversation, ConversationInput, StatusChange } from '../conversations/schemas.js';
import { ExportedMessage } from '../analytics/schemas.js';
import { Message, MessageInput } from '../messages/schemas.js';
import { Session } from '../sessions/schemas.js';
import { isApiPath } from '../shared/api-prefix.js';
import { ErrorEnvelope } from '../shared/schemas.js';
import { ERROR_EXAMPLES, OPERATION_EXAMPLES } from './examples.js';

/**
 * Schemas the document names under `components.schemas` instead of repeating them inline. They
 * are the routes' own schema objects: after generation, every subschema equal to one of them is
 * replaced by a `$ref` (see `referenceComponents`), so nothing here is a second copy of a shape.
 */
export const COMPONENTS: Record<string, TSchema> = {
  Conversation,
  Contact: Conversation.properties.contact,
  ConversationInput,
  ContactInput,
  CallInput,
  StatusChange,
  Message,
  MessageInput,
  Session,
  ExportedMessage,
  ErrorEnvelope,
};

/** What each error status means, for every route that declares it. */
export const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'BAD_REQUEST: the body is not JSON, or not sent as application/json',
  401: 'MISSING_AUTH_TOKEN: no Bearer token; INVALID_AUTH_TOKEN: an unknown, revoked or wrong-workspace token',
  404: "NOT_FOUND: an unknown route, or a uuid that is not in the caller's workspace",
  409: 'CONFLICT: a write that contradicts stored data, e.g. a call, session or task uuid that belongs to another conversation',
  413: 'PAYLOAD_TOO_LARGE: a body over 1 MiB',
  422: 'VALIDATION_ERROR: a parameter or body value is out of range or of the wrong form; `field` names it',
  429: 'RATE_LIMITED: too many requests; retry after the Retry-After header',
  500: 'INTERNAL_ERROR: a bug; the body quotes the request id, never internals',
  503: 'SERVICE_UNAVAILABLE: the database cannot be reached; try again shortly',
};

const SUCCESS_DESCRIPTIONS: Record<number, string> = {
  200: 'OK',
  201: 'Created',
};

const PARLEY_VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

type JsonObject = Record<string, unknown>;
const isObject = (value: unknown): value is JsonObject => typeof value === 'object' && value !== null && !Array.isArray(value);

interface RouteSchema {
  hide?: boolean;
  querystring?: { required?: string[]; properties?: Record<string, JsonObject> };
  response?: Record<string, JsonObject>;
  body?: JsonObject;
  headers?: JsonObject;
  security?: Array<Record<string, string[]>>;
  [key: string]: unknown;
}

/**
 * Per route, before @fastify/swagger turns the schema into an operation: the Bearer scheme on
 * /api/v1, a description and an example for every response, the statuses every /api/v1 route
 * can answer with beyond those it declares (429 from the rate limiter, 500), the conditional-GET
 * contract of routes with `config.etag`, and request body examples. The route's own schema
 * objects are never modified: Fastify validates and serialises with them.
 */
export function transformRoute({
  schema,
  url,
  route,
}: {
  schema: unknown;
  url: string;
  route: { method: string | string[]; config?: unknown };
}): { schema: RouteSchema; url: string } {
  const original = (schema ?? {}) as RouteSchema;
  if (original.hide) return { schema: original, url };
  const methods = typeof route.method === 'string' ? [route.method] : route.method;
  const examples = OPERATION_EXAMPLES[`${methods[0]} ${url}`] ?? {};
  const isApi = isApiPath(url);
  const etag = (route.config as { etag?: boolean } | undefined)?.etag === true;

  const responses: Record<string, JsonObject> = {};
  const declared = { ...(original.response ?? {}) };
  if (isApi) {
    declared[429] ??= ErrorEnvelope as unknown as JsonObject;
    declared[500] ??= ErrorEnvelope as unknown as JsonObject;
  }
  for (const [status, response] of Object.entries(declared)) {
    const code = Number(status);
    const example = code >= 400 ? ERROR_EXAMPLES[code] : examples.responses?.[code];
    const description = (response.description as string | undefined) ?? ERROR_DESCRIPTIONS[code] ?? SUCCESS_DESCRIPTIONS[code];
    const headers: JsonObject = {};
    if (code === 429) headers['retry-after'] = { type: 'integer', minimum: 0, description: 'Seconds to wait before retrying' };
    if (etag && code === 200)
      headers.etag = { type: 'string', description: 'Send it back in If-None-Match to get 304 while nothing changed' };
    responses[status] = {
      ...response,
      ...(description ? { 'x-response-description': description } : {}),
      ...(example === undefined ? {} : { examples: [example] }),
      ...(Object.keys(headers).length ? { headers } : {}),
    };
  }
  if (etag) {
    responses[304] = {
      type: 'null',
      description: "Not modified: the workspace's data has not changed since the ETag sent in If-None-Match",
    };
  }

  const transformed: RouteSchema = { ...original, response: responses };
  // The schemas list defaulted parameters as required because Ajv fills them in before the
  // handler runs; a client may leave every one of them out.
  const query = original.querystring;
  if (query?.required && query.properties) {
    const properties = query.properties;
    transformed.querystring = { ...query, required: query.required.filter((name) => properties[name]?.default === undefined) };
  }
  if (original.body && examples.body !== undefined) transformed.body = { ...original.body, examples: [examples.body] };
  if (etag && !original.headers) {
    transformed.headers = {
      type: 'object',
      properties: {
        'if-none-match': {
          type: 'string',
          description: 'The ETag of an earlier answer to the same URL: 304 with no body while nothing in the workspace changed',
        },
      },
    };
  }
  if (isApi) transformed.security = [{ bearerAuth: [] }];
  return { schema: transformed, url };
}

/** Replaces every subschema of `node` (not `node` itself) equal to a component by a `$ref` to it. */
function reference(node: unknown, components: Map<string, string>, isRoot: boolean): unknown {
  if (Array.isArray(node)) return node.map((item) => reference(item, components, false));
  if (!isObject(node)) return node;
  if (!isRoot) {
    const name = components.get(JSON.stringify(node));
    if (name) return { $ref: `#/components/schemas/${name}` };
  }
  return Object.fromEntries(Object.entries(node).map(([key, value]) => [key, reference(value, components, false)]));
}

/**
 * After generation: @fastify/swagger has converted `COMPONENTS` (given as `components.schemas`)
 * exactly as it converted the route schemas, so a subschema equal to a converted component is
 * that component, and becomes a `$ref`. Examples are left alone: they are values, not schemas.
 */
export function referenceComponents(document: JsonObject): JsonObject {
  const components = (document.components ?? {}) as { schemas?: Record<string, unknown> };
  const schemas = components.schemas ?? {};
  const byJson = new Map(Object.entries(schemas).map(([name, schema]) => [JSON.stringify(schema), name]));
  const walk = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(walk);
    if (!isObject(node)) return node;
    return Object.fromEntries(
      Object.entries(node).map(([key, value]) => [
        key,
        key === 'example' || key === 'examples' ? value : key === 'schema' ? reference(value, byJson, false) : walk(value),
      ]),
    );
  };
  const paths = walk(document.paths);
  const named = Object.fromEntries(Object.entries(schemas).map(([name, schema]) => [name, reference(schema, byJson, true)]));
  return { ...document, paths, components: { ...components, schemas: named } };
}

export const swaggerOptions: FastifyDynamicSwaggerOptions = {
  openapi: {
    openapi: '3.1.0',
    info: {
      title: 'Parley API',
      version: PARLEY_VERSION,
      description:
        'Self-hosted, multi-tenant conversations API for AI-agent platforms. Every `/api/v1` request carries ' +
        "`Authorization: Bearer <token>`; a token belongs to one workspace and never sees another's data. " +
        'Every error has one shape: `{ "success": false, "message", "error": { "code", "details", "field"? } }`.',
    },
    tags: [
      { name: 'conversations', description: 'Conversations, their contact, call, sessions and tasks' },
      { name: 'messages', description: "A conversation's transcript" },
      { name: 'sessions', description: "A conversation's sessions" },
      { name: 'analytics', description: 'Exports across all conversations' },
      { name: 'operations', description: 'The API description and metrics; no workspace token needed' },
    ],
    components: {
      securitySchemes: {
        bearerAuth: {
          type: 'http',
          scheme: 'bearer',
          description: 'A workspace API token, created with `parley token create <workspace>`. Send `Authorization: Bearer <token>`.',
        },
      },
      schemas: COMPONENTS as Record<string, object>,
    },
  },
  transform: transformRoute as unknown as NonNullable<FastifyDynamicSwaggerOptions['transform']>,
  transformObject: (document) => referenceComponents((document as { openapiObject: JsonObject }).openapiObject),
};
