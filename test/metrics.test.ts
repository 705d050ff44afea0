import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, buildApp } from '../src/app.js';
import { ConfigError, loadConfig, parseMetrics } from '../src/config.js';
import { AppError } from '../src/http/errors.js';
import { countRateLimitRejection } from '../src/metrics/metrics.js';
import { createToken } from '../src/tokens/repository.js';
import { createWorkspace } from '../src/workspaces/repository.js';
import { minimalBody } from './helpers/fixtures.js';
import { createTestDatabase, DIALECTS, postgresAvailable, type TestDatabase } from './helpers/databases.js';

const METRICS_TOKEN = 'metrics-token-0123456789';

/** The value of one sample line, e.g. `name{a="b"} 3`; undefined when the series is absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('METRICS configuration', () => {
  it('is on by default only on loopback, or wherever a METRICS_TOKEN guards it', () => {
    expect(parseMetrics(undefined, undefined, '127.0.0.1')).toEqual({ enabled: true, token: null });
    expect(parseMetrics(undefined, undefined, '::1')).toEqual({ enabled: true, token: null });
    expect(parseMetrics(undefined, undefined, '0.0.0.0')).toEqual({ enabled: false, token: null });
    expect(parseMetrics(undefined, METRICS_TOKEN, '0.0.0.0')).toEqual({ enabled: true, token: METRICS_TOKEN });
    expect(parseMetrics('on', undefined, '0.0.0.0')).toEqual({ enabled: true, token: null });
    expect(parseMetrics(' OFF ', METRICS_TOKEN, '127.0.0.1')).toEqual({ enabled: false, token: null });
    expect(loadConfig({ HOST: '0.0.0.0', METRICS_TOKEN }).metrics).toEqual({ enabled: true, token: METRICS_TOKEN });
    expect(loadConfig({}).metrics).toEqual({ enabled: true, token: null });
  });

  it('refuses a malformed value or a guessable token with a one-line message', () => {
    expect(() => parseMetrics('yes', undefined, '127.0.0.1')).toThrow(new ConfigError('METRICS must be on, off or unset, got "yes"'));
    expect(() => parseMetrics(undefined, 'short', '127.0.0.1')).toThrow(ConfigError);
    expect(() => parseMetrics(undefined, 'has a space in the middle', '127.0.0.1')).toThrow(/METRICS_TOKEN must be at least 16 characters/);
  });
});

for (const dialect of DIALECTS) {
  describe.skipIf(dialect === 'postgres' && !postgresAvailable())(`GET /metrics [${dialect}]`, () => {
    let database: TestDatabase;
    let app: App;
    let guarded: App;
    let off: App;
    let authorization: string;
    const logLines: Array<Record<string, unknown>> = [];

    beforeAll(async () => {
      database = await createTestDatabase(dialect);
      const stream = new Writable({
        write(chunk: Buffer, _encoding, done) {
          for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) logLines.push(JSON.parse(line));
          done();
        },
      });
      app = await buildApp({
        config: { baseDomain: null, metrics: { enabled: true, token: null } },
        db: database.db,
        // As the server runs it: on PostgreSQL the writes' queries are timed in their thread and counted here.
        writeThread: dialect === 'postgres' ? { url: database.url } : undefined,
        logger: { level: 'info', stream },
      });
      // What the rate limiter will do when it refuses a request.
      app.get('/api/v1/limited-for-test', async (request) => {
        countRateLimitRejection(request);
        throw new AppError('RATE_LIMITED', 'Too many requests', 'Retry later');
      });
      guarded = await buildApp({ config: { baseDomain: null, metrics: { enabled: true, token: METRICS_TOKEN } }, db: database.db });
      off = await buildApp({ config: { baseDomain: null, metrics: { enabled: false, token: null } }, db: database.db });

      const workspace = await createWorkspace(database.db, `metrics-${dialect}`, 'Metrics');
      authorization = `Bearer ${(await createToken(database.db, workspace.id, 'test')).token}`;
    });
    afterAll(async () => {
      await app?.close();
      await guarded?.close();
      await off?.close();
      await database?.drop();
    });

    const scrape = async (target: App = app) => {
      const response = await target.inject({ method: 'GET', url: '/metrics' });
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
      return response.body;
    };

    it('counts a request it just served, by route pattern and status, with its latency and its queries', async () => {
      const before = await scrape();
      const series = 'parley_http_requests_total{method="PUT",route="/api/v1/conversations/:uuid",status="201"}';
      expect(sample(before, series)).toBeUndefined();
      const selectsBefore = sample(before, 'parley_db_query_duration_seconds_count{operation="select"}') ?? 0;

      const uuid = randomUUID();
      const put = await app.inject({
        method: 'PUT',
        url: `/api/v1/conversations/${uuid}`,
        headers: { authorization },
        payload: minimalBody(),
      });
      expect(put.statusCode).toBe(201);
      const list = await app.inject({ method: 'GET', url: '/api/v1/conversations', headers: { authorization } });
      expect(list.statusCode).toBe(200);
      await app.inject({ method: 'GET', url: `/api/v1/conversations/${randomUUID()}`, headers: { authorization } });
      await app.inject({ method: 'GET', url: '/no/such/route' });

      const after = await scrape();
      expect(sample(after, series)).toBe(1);
      expect(sample(after, 'parley_http_requests_total{method="GET",route="/api/v1/conversations",status="200"}')).toBe(1);
      // A uuid in the path never becomes a label of its own; an unknown route is one series whatever its URL.
      expect(sample(after, 'parley_http_requests_total{method="GET",route="/api/v1/conversations/:uuid",status="404"}')).toBe(1);
      expect(sample(after, 'parley_http_requests_total{method="GET",route="(unmatched)",status="404"}')).toBe(1);
      expect(after).not.toContain(uuid);
      expect(sample(after, 'parley_http_request_duration_seconds_count{method="GET",route="/api/v1/conversations",status="200"}')).toBe(1);
      expect(
        sample(after, 'parley_http_request_duration_seconds_bucket{le="+Inf",method="GET",route="/api/v1/conversations",status="200"}'),
      ).toBe(1);
      // The scrape before counts too, once it has been answered.
      expect(sample(after, 'parley_http_requests_total{method="GET",route="/metrics",status="200"}')).toBe(1);

      expect(sample(after, 'parley_db_query_duration_seconds_count{operation="select"}')! - selectsBefore).toBeGreaterThan(2);
      expect(sample(after, 'parley_db_query_duration_seconds_count{operation="insert"}')).toBeGreaterThan(0);
      expect(sample(after, 'parley_db_query_duration_seconds_sum{operation="select"}')).toBeGreaterThan(0);
    });

    it('counts rate-limit rejections through the function the rate limiter calls', async () => {
      const response = await app.inject({ method: 'GET', url: '/api/v1/limited-for-test', headers: { authorization } });
      expect(response.statusCode).toBe(429);
      const text = await scrape();
      expect(sample(text, 'parley_rate_limit_rejections_total{route="/api/v1/limited-for-test"}')).toBe(1);
      expect(text).toContain('# TYPE parley_rate_limit_rejections_total counter');
    });

    it('exposes the process metrics', async () => {
      const text = await scrape();
      for (const name of [
        'process_cpu_user_seconds_total',
        'process_resident_memory_bytes',
        'nodejs_heap_size_used_bytes',
        'nodejs_eventloop_lag_seconds',
      ]) {
        expect(text).toMatch(new RegExp(`^${name} \\d`, 'm'));
      }
    });

    it('keeps apps apart: a request to one app is not counted by another', async () => {
      await guarded.inject({ method: 'GET', url: '/api/v1/conversations', headers: { authorization } });
      const text = (await guarded.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).body;
      expect(sample(text, 'parley_http_requests_total{method="GET",route="/api/v1/conversations",status="200"}')).toBe(1);
      expect(sample(await scrape(), 'parley_http_requests_total{method="GET",route="/api/v1/conversations",status="200"}')).toBe(1);
    });

    it('asks for METRICS_TOKEN when one is set, in the error envelope', async () => {
      const missing = await guarded.inject({ method: 'GET', url: '/metrics' });
      expect(missing.statusCode).toBe(401);
      expect(missing.json()).toMatchObject({ success: false, error: { code: 'MISSING_AUTH_TOKEN' } });
      // A workspace token is not the metrics token.
      const wrong = await guarded.inject({ method: 'GET', url: '/metrics', headers: { authorization } });
      expect(wrong.statusCode).toBe(401);
      expect(wrong.json()).toMatchObject({ success: false, error: { code: 'INVALID_AUTH_TOKEN' } });
      const right = await guarded.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
      expect(right.statusCode).toBe(200);
      expect(right.body).toContain('parley_http_requests_total');
    });

    it('serves no /metrics when metrics are off', async () => {
      const response = await off.inject({ method: 'GET', url: '/metrics' });
      expect(response.statusCode).toBe(404);
      expect(response.json()).toMatchObject({ success: false, error: { code: 'NOT_FOUND' } });
      expect(off.metrics).toBeNull();
    });

    it('logs one JSON line per request with its id, workspace, route, status and time', async () => {
      logLines.length = 0;
      const uuid = randomUUID();
      const response = await app.inject({
        method: 'GET',
        url: `/api/v1/conversations/${uuid}?phone=5551234`,
        headers: { authorization, 'x-request-id': 'trace-me-42' },
      });
      expect(response.statusCode).toBe(404);
      await app.inject({ method: 'GET', url: '/api/v1/conversations' });

      const lines = logLines.filter((line) => line.msg === 'request completed');
      expect(logLines.filter((line) => line.msg === 'incoming request')).toEqual([]);
      expect(lines).toHaveLength(2);
      expect(lines[0]).toMatchObject({
        level: 30,
        reqId: 'trace-me-42',
        workspace: `metrics-${dialect}`,
        method: 'GET',
        path: `/api/v1/conversations/${uuid}`,
        route: '/api/v1/conversations/:uuid',
        status: 404,
        ms: expect.any(Number),
        time: expect.any(Number),
      });
      // The query string, which can hold a phone number, stays out of the log.
      expect(JSON.stringify(lines[0])).not.toContain('5551234');
      // Refused before a workspace was known: no workspace key.
      expect(lines[1]).toMatchObject({ route: '/api/v1/conversations', status: 401 });
      expect(lines[1]).not.toHaveProperty('workspace');
    });
  });
}
