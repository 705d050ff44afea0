import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, buildApp } from '../src/app.js';
import { ConfigError, parseCorsOrigins } from '../src/config.js';
import { type DatabaseHandle, openDatabase } from '../src/db/database.js';
import { createToken } from '../src/tokens/repository.js';
import { createWorkspace } from '../src/workspaces/repository.js';
import { createTestDatabase, DIALECTS, postgresAvailable, type TestDatabase } from './helpers/databases.js';

// Well-formed, so that authentication has to ask the database about it.
const SOME_TOKEN = `prl_${'0'.repeat(16)}_${'A'.repeat(43)}`;
/** Every header helmet's defaults set: an API answer carries four of them, and nothing else of the kind. */
const SECURITY_HEADERS = [
  'content-security-policy',
  'cross-origin-embedder-policy',
  'cross-origin-opener-policy',
  'cross-origin-resource-policy',
  'origin-agent-cluster',
  'referrer-policy',
  'strict-transport-security',
  'x-content-type-options',
  'x-dns-prefetch-control',
  'x-download-options',
  'x-frame-options',
  'x-permitted-cross-domain-policies',
  'x-xss-protection',
];
const UNAVAILABLE = {
  success: false,
  message: 'Service temporarily unavailable',
  error: { code: 'SERVICE_UNAVAILABLE', details: 'The database cannot be reached; try again shortly' },
};

for (const dialect of DIALECTS) {
  describe.skipIf(dialect === 'postgres' && !postgresAvailable())(`GET /healthz and /readyz [${dialect}]`, () => {
    let database: TestDatabase;
    let app: App;

    beforeAll(async () => {
      database = await createTestDatabase(dialect);
      app = await buildApp({ config: { baseDomain: null }, db: database.db });
    });
    afterAll(async () => {
      await app?.close();
      await database?.drop();
    });

    it('answers both without a token while the database answers', async () => {
      const health = await app.inject({ method: 'GET', url: '/healthz' });
      expect(health.statusCode).toBe(200);
      expect(health.json()).toEqual({ status: 'ok' });
      const ready = await app.inject({ method: 'GET', url: '/readyz' });
      expect(ready.statusCode).toBe(200);
      expect(ready.json()).toEqual({ status: 'ready' });
    });

    it('keeps the probes out of the OpenAPI document', async () => {
      const paths = Object.keys((await app.inject({ method: 'GET', url: '/openapi.json' })).json().paths);
      expect(paths).toContain('/healthz');
      expect(paths).toContain('/readyz');
    });
  });
}

describe('a database that cannot be reached', () => {
  async function expectUnavailable(app: App) {
    const health = await app.inject({ method: 'GET', url: '/healthz' });
    expect(health.statusCode).toBe(200);

    // No timing assertion (machines here are noisy): a request that hung would fail the test by its timeout.
    const ready = await app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(503);
    expect(ready.json()).toEqual(UNAVAILABLE);

    // More requests at once than the pool has connections: the ones queued for a connection must fail fast too.
    const requests = Array.from({ length: 14 }, (_, i) =>
      app.inject({
        method: i % 2 ? 'GET' : 'PUT',
        url: i % 2 ? '/api/v1/conversations' : '/api/v1/conversations/3c90c3cc-0d44-4b50-8888-8dd25736052a',
        headers: { authorization: `Bearer ${SOME_TOKEN}` },
        ...(i % 2 ? {} : { payload: { channel: 'SMS', contact: { uuid: '8f14e45f-ceea-4e7b-9c5a-2b8e6f1d9a11' } } }),
      }),
    );
    for (const result of await Promise.all(requests)) {
      expect(result.statusCode).toBe(503);
      expect(result.json()).toEqual(UNAVAILABLE);
    }
  }

  it('answers 503 SERVICE_UNAVAILABLE at once when PostgreSQL refuses connections (a closed port)', async () => {
    const database = openDatabase({ dialect: 'postgres', url: 'postgresql://postgres@127.0.0.1:1/parley' });
    const app = await buildApp({ config: { baseDomain: null }, db: database.db });
    try {
      await expectUnavailable(app);
    } finally {
      await app.close();
      await database.close();
    }
  });

  describe('when PostgreSQL accepts connections and never answers', () => {
    let silent: Server;
    const sockets = new Set<Socket>();
    let database: DatabaseHandle;
    let app: App;

    beforeAll(async () => {
      silent = createServer((socket) => {
        sockets.add(socket);
        socket.on('error', () => {});
        socket.on('close', () => sockets.delete(socket));
      });
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
      const address = silent.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      database = openDatabase({ dialect: 'postgres', url: `postgresql://postgres@127.0.0.1:${port}/parley` });
      app = await buildApp({ config: { baseDomain: null }, db: database.db });
    });
    afterAll(async () => {
      await app?.close();
      await database?.close();
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent?.close(resolve));
    });

    it('answers 503 within the connection timeout, never hangs, never 500', async () => {
      await expectUnavailable(app);
    });
  });
});

describe('security headers, CORS and request ids', () => {
  let database: TestDatabase;
  let app: App;
  let withCors: App;

  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
    app = await buildApp({ config: { baseDomain: null }, db: database.db });
    withCors = await buildApp({ config: { baseDomain: null, corsOrigins: ['https://app.example.com'] }, db: database.db });
  });
  afterAll(async () => {
    await app?.close();
    await withCors?.close();
    await database?.drop();
  });

  it("sets the API's security headers on API answers, errors included, and helmet's on the rest", async () => {
    const security = (headers: Record<string, unknown>) =>
      Object.fromEntries(Object.entries(headers).filter(([name]) => SECURITY_HEADERS.includes(name)));
    const workspace = await createWorkspace(database.db, 'security-headers', 'Security headers');
    const authorization = `Bearer ${(await createToken(database.db, workspace.id, 'test')).token}`;
    // A list answered, then the same answered again from the kept answers, a 401 and a 404.
    const answers: [string, Record<string, string>, number][] = [
      ['/api/v1/conversations', { authorization }, 200],
      ['/api/v1/conversations', { authorization }, 200],
      ['/api/v1/conversations', {}, 401],
      ['/api/v1/nothing-here', { authorization }, 404],
    ];
    for (const [url, headers, status] of answers) {
      const response = await app.inject({ method: 'GET', url, headers });
      expect(response.statusCode, url).toBe(status);
      expect(security(response.headers), url).toEqual({
        'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
        'cross-origin-resource-policy': 'same-origin',
        'strict-transport-security': 'max-age=31536000; includeSubDomains',
        'x-content-type-options': 'nosniff',
      });
    }
    const health = await app.inject({ method: 'GET', url: '/healthz' });
    expect(health.headers['x-content-type-options']).toBe('nosniff');
    expect(health.headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(health.headers['strict-transport-security']).toMatch(/max-age=\d+/);
    expect(health.headers['content-security-policy']).toMatch(/default-src 'self'/);
    for (const response of [health, await app.inject({ method: 'GET', url: '/api/v1/conversations' })]) {
      expect(response.headers['x-powered-by']).toBeUndefined();
    }
  });

  it('keeps /docs working with its own Content-Security-Policy', async () => {
    const page = await app.inject({ method: 'GET', url: '/docs/' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    expect(page.headers['content-security-policy']).toBe(
      "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'self'",
    );
    const scripts = [...page.body.matchAll(/<script src="\.?\/?([^"]+)"/g)].map((match) => match[1]!);
    expect(scripts.length).toBeGreaterThan(0);
    for (const script of scripts) {
      const asset = await app.inject({ method: 'GET', url: `/docs/${script.replace(/^\.\//, '')}` });
      expect(asset.statusCode, script).toBe(200);
    }
  });

  it('sends no CORS headers unless CORS_ORIGINS names the origin', async () => {
    const origin = 'https://app.example.com';
    const off = await app.inject({ method: 'GET', url: '/api/v1/conversations', headers: { origin } });
    expect(off.headers['access-control-allow-origin']).toBeUndefined();
    const preflightOff = await app.inject({
      method: 'OPTIONS',
      url: '/api/v1/conversations',
      headers: { origin, 'access-control-request-method': 'GET' },
    });
    expect(preflightOff.headers['access-control-allow-origin']).toBeUndefined();

    const allowed = await withCors.inject({ method: 'GET', url: '/api/v1/conversations', headers: { origin } });
    expect(allowed.headers['access-control-allow-origin']).toBe(origin);
    const preflight = await withCors.inject({
      method: 'OPTIONS',
      url: '/api/v1/conversations',
      headers: { origin, 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' },
    });
    expect(preflight.statusCode).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe(origin);
    expect(String(preflight.headers['access-control-allow-headers']).toLowerCase()).toContain('authorization');
    const stranger = await withCors.inject({
      method: 'GET',
      url: '/api/v1/conversations',
      headers: { origin: 'https://evil.example.com' },
    });
    expect(stranger.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('parses CORS_ORIGINS strictly', () => {
    expect(parseCorsOrigins(undefined)).toEqual([]);
    expect(parseCorsOrigins(' https://a.example.com/, http://localhost:5173 ')).toEqual(['https://a.example.com', 'http://localhost:5173']);
    expect(() => parseCorsOrigins('*')).toThrow(ConfigError);
    expect(() => parseCorsOrigins('https://a.example.com/path')).toThrow(/CORS_ORIGINS must be comma-separated origins/);
  });

  it('echoes the caller X-Request-Id, and makes one up otherwise', async () => {
    const echoed = await app.inject({ method: 'GET', url: '/api/v1/conversations', headers: { 'x-request-id': 'trace-abc-123' } });
    expect(echoed.headers['x-request-id']).toBe('trace-abc-123');
    const made = await app.inject({ method: 'GET', url: '/healthz' });
    expect(made.headers['x-request-id']).toEqual(expect.any(String));
    expect(String(made.headers['x-request-id']).length).toBeGreaterThan(0);
  });
});
