import { dereference, validate } from '@readme/openapi-parser';
import { Ajv } from 'ajv';
import formats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, buildApp } from '../src/app.js';
import { openDatabase, type DatabaseHandle } from '../src/db/database.js';
import { ERROR_STATUS } from '../src/http/errors.js';
import { INBOX_ROUTES } from '../src/web/plugin.js';
import { servedRoutes } from './helpers/routes.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- a JSON document walked by key
const METHODS = ['get', 'put', 'post', 'patch', 'delete'];

/** Every route the API serves: the docs UI's and the web inbox's pages and files are for browsers, not API clients. */
function routesOf(app: App): string[] {
  return servedRoutes(app)
    .filter((route) => !/^\w+ \/docs(\/|$)/.test(route) && !INBOX_ROUTES.includes(route.split(' ')[1]!))
    .map((route) => route.replace(/:(\w+)/g, '{$1}'))
    .sort();
}

function operations(document: Json): Array<{ route: string; operation: Json }> {
  return Object.entries(document.paths as Json).flatMap(([path, item]) =>
    METHODS.filter((method) => item[method]).map((method) => ({ route: `${method.toUpperCase()} ${path}`, operation: item[method] })),
  );
}

describe('OpenAPI document and reference page', () => {
  let database: DatabaseHandle;
  let app: App;
  let document: Json;

  beforeAll(async () => {
    // The document is built from the routes alone; an empty in-memory database is enough.
    database = openDatabase({ dialect: 'sqlite', file: ':memory:' });
    app = await buildApp({ config: { baseDomain: null, metrics: { enabled: true, token: null } }, db: database.db });
    const response = await app.inject({ method: 'GET', url: '/openapi.json' });
    expect(response.statusCode).toBe(200);
    document = response.json();
  });
  afterAll(async () => {
    await app?.close();
    await database?.close();
  });

  it('is a valid OpenAPI 3.1 document', async () => {
    expect(document.openapi).toBe('3.1.0');
    const result = await validate(structuredClone(document) as never);
    expect(result.valid ? [] : result.errors).toEqual([]);
    expect(result.warnings).toEqual([]);
  });

  it('describes every route the app serves, and nothing else', () => {
    const documented = operations(document)
      .map(({ route }) => route)
      .sort();
    expect(documented).toEqual(routesOf(app));
    expect(documented).toContain('GET /api/v1/conversations');
    expect(documented).toContain('GET /metrics');
  });

  it('puts the Bearer scheme on every /api/v1 operation and on nothing else', () => {
    expect(document.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(document.security).toBeUndefined();
    for (const { route, operation } of operations(document)) {
      expect([route, operation.security]).toEqual([route, route.includes(' /api/v1/') ? [{ bearerAuth: [] }] : undefined]);
    }
  });

  it('gives every parameter a description, and keeps the limits, defaults and enumerations of the schemas', () => {
    for (const { route, operation } of operations(document)) {
      for (const parameter of operation.parameters ?? []) {
        expect([route, parameter.name, typeof parameter.description]).toEqual([route, parameter.name, 'string']);
        // A defaulted parameter may be left out.
        if (parameter.schema.default !== undefined)
          expect([route, parameter.name, parameter.required]).toEqual([route, parameter.name, false]);
      }
    }
    const list = operations(document).find(({ route }) => route === 'GET /api/v1/conversations')!.operation;
    const parameter = (name: string) => list.parameters.find((p: Json) => p.name === name);
    expect(parameter('per_page')).toMatchObject({
      in: 'query',
      required: false,
      schema: { type: 'integer', minimum: 1, maximum: 100, default: 15 },
    });
    expect(parameter('page')).toMatchObject({ schema: { minimum: 1, default: 1 } });
    expect(parameter('sort_by').schema).toMatchObject({ enum: ['created_at', 'updated_at'], default: 'created_at' });
    expect(parameter('sort_dir').schema).toMatchObject({ enum: ['asc', 'desc'], default: 'desc' });
    expect(parameter('phone').schema).toMatchObject({ minLength: 1, maxLength: 32 });
    expect(parameter('contact_uuid')).toMatchObject({ schema: { format: 'uuid' }, example: expect.any(String) });
    // Vendor extensions stay: they tell a reader that any case is accepted.
    expect(parameter('channel').schema).toMatchObject({
      'x-case-insensitive': true,
      'x-values': ['Whatsapp', 'SMS', 'Call', 'Messenger', 'Instagram', 'Email', 'Webchat'],
    });
  });

  it('documents every error status a route declares, plus 429 and 500 on /api/v1, each as the one envelope with an example', async () => {
    // From the parsed tree: printRoutes shows paths relative to `/`, which is a route (the web inbox).
    expect(routesOf(app)).toContain('GET /api/v1/conversations');
    const codeOf = Object.fromEntries(Object.entries(ERROR_STATUS).map(([code, status]) => [code, status]));
    for (const { route, operation } of operations(document)) {
      if (!route.includes(' /api/v1/')) continue;
      const statuses = Object.keys(operation.responses);
      expect([route, statuses]).toEqual([route, expect.arrayContaining(['400', '401', '404', '422', '429', '500', '503'])]);
      for (const status of statuses.filter((s) => Number(s) >= 400)) {
        const response = operation.responses[status];
        expect(response.description.length).toBeGreaterThan(10);
        const media = response.content['application/json'];
        expect(media.schema).toEqual({ $ref: '#/components/schemas/ErrorEnvelope' });
        expect(codeOf[media.example.error.code]).toBe(Number(status));
      }
    }
    expect(
      operations(document).find(({ route }) => route === 'GET /api/v1/analytics/messages')!.operation.responses['429'].headers,
    ).toHaveProperty('retry-after');
  });

  it('names the shared shapes once under components and refers to them', () => {
    const schemas = document.components.schemas as Json;
    expect(Object.keys(schemas)).toEqual(
      expect.arrayContaining(['Conversation', 'Contact', 'ConversationInput', 'Message', 'Session', 'ErrorEnvelope']),
    );
    const list = document.paths['/api/v1/conversations'].get.responses['200'].content['application/json'].schema;
    expect(list.properties.data.properties.data.items).toEqual({ $ref: '#/components/schemas/Conversation' });
    expect(schemas.Conversation.properties.contact).toEqual({ $ref: '#/components/schemas/Contact' });
    expect(document.paths['/api/v1/conversations/{uuid}'].put.requestBody.content['application/json'].schema).toEqual({
      $ref: '#/components/schemas/ConversationInput',
    });
  });

  it('carries examples, and every example is valid for its schema', async () => {
    const resolved = (await dereference(structuredClone(document) as never)) as Json;
    const ajv = new Ajv({ strict: false, allErrors: true });
    formats.default(ajv);
    let checked = 0;
    const check = (where: string, media: Json | undefined) => {
      if (media?.example === undefined || !media.schema) return;
      const valid = ajv.validate(media.schema, media.example);
      expect([where, valid ? null : ajv.errors]).toEqual([where, null]);
      checked++;
    };
    for (const { route, operation } of operations(resolved)) {
      check(`${route} body`, operation.requestBody?.content['application/json']);
      for (const [status, response] of Object.entries(operation.responses as Json))
        check(`${route} ${status}`, response.content?.['application/json']);
    }
    expect(checked).toBeGreaterThan(40);
    for (const route of ['GET /api/v1/conversations', 'GET /api/v1/conversations/{uuid}', 'PUT /api/v1/conversations/{uuid}']) {
      const [method, path] = route.split(' ') as [string, string];
      const operation = resolved.paths[path][method.toLowerCase()];
      expect([route, operation.responses['200'].content['application/json'].example]).toEqual([route, expect.any(Object)]);
    }
  });

  it('serves /openapi.json and /docs without a token, the page loading its scripts and styles from this origin', async () => {
    const page = await app.inject({ method: 'GET', url: '/docs' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    const assets = [...page.body.matchAll(/(?:src|href)="([^"]+)"/g)].map((match) => match[1]!);
    expect(assets.length).toBeGreaterThanOrEqual(4);
    for (const asset of assets) expect(asset).toMatch(/^\/docs\/static\//);
    expect(page.body).not.toMatch(/https?:\/\/|\/\/cdn/);
    expect(page.headers['content-security-policy']).toMatch(/script-src 'self';/);

    for (const asset of assets.filter((url) => url.endsWith('.js') || url.endsWith('.css'))) {
      const response = await app.inject({ method: 'GET', url: asset });
      expect([asset, response.statusCode]).toEqual([asset, 200]);
      expect(response.body.length).toBeGreaterThan(100);
    }
    // The page reads the same document at /docs/json.
    const initializer = await app.inject({ method: 'GET', url: '/docs/static/swagger-initializer.js' });
    expect(initializer.body).toContain("resolveUrl('./json')");
    expect((await app.inject({ method: 'GET', url: '/docs/json' })).json()).toEqual(document);
  });
});
