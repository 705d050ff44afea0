import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, buildApp } from '../src/app.js';
import { ConfigError, loadConfig, parseRateLimit } from '../src/config.js';
import { createToken } from '../src/tokens/repository.js';
import { createWorkspace } from '../src/workspaces/repository.js';
import { createTestDatabase, DIALECTS, postgresAvailable, type TestDatabase } from './helpers/databases.js';
import { type ServerProcess, startServer, stopServer } from './helpers/server-process.js';

const REDIS_URL = process.env.PARLEY_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const LIMIT = 3;

async function newToken(database: TestDatabase) {
  const subdomain = `ws-${randomBytes(5).toString('hex')}`;
  const workspace = await createWorkspace(database.db, subdomain, subdomain);
  return (await createToken(database.db, workspace.id, 'test')).token;
}

function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('RATE_LIMIT_PER_MINUTE and REDIS_URL configuration', () => {
  it('defaults to 600 a minute in memory, and 0 turns it off', () => {
    expect(loadConfig({}).rateLimit).toEqual({ perMinute: 600, redisUrl: null, redisKeyPrefix: 'parley:rate-limit:' });
    expect(parseRateLimit(' 0 ', undefined, undefined).perMinute).toBe(0);
    expect(parseRateLimit('25', 'redis://127.0.0.1:6379', 'x:')).toEqual({
      perMinute: 25,
      redisUrl: 'redis://127.0.0.1:6379',
      redisKeyPrefix: 'x:',
    });
  });

  it('refuses a malformed value with a one-line message', () => {
    for (const raw of ['-1', '1.5', 'many', '10/s']) {
      expect(() => parseRateLimit(raw, undefined, undefined)).toThrow(
        new ConfigError(`RATE_LIMIT_PER_MINUTE must be a whole number of requests per minute, 0 to turn rate limiting off, got "${raw}"`),
      );
    }
    expect(() => parseRateLimit(undefined, 'http://127.0.0.1:6379', undefined)).toThrow(
      /REDIS_URL must be a redis:\/\/ or rediss:\/\/ URL/,
    );
    expect(() => parseRateLimit(undefined, 'not a url', undefined)).toThrow(ConfigError);
  });
});

for (const dialect of DIALECTS) {
  describe.skipIf(dialect === 'postgres' && !postgresAvailable())(`rate limiting in one process [${dialect}]`, () => {
    let database: TestDatabase;
    let app: App;
    let unlimited: App;

    beforeAll(async () => {
      database = await createTestDatabase(dialect);
      app = await buildApp({
        config: {
          baseDomain: null,
          metrics: { enabled: true, token: null },
          rateLimit: { perMinute: LIMIT, redisUrl: null, redisKeyPrefix: '' },
        },
        db: database.db,
      });
      unlimited = await buildApp({ config: { baseDomain: null }, db: database.db });
    });
    afterAll(async () => {
      await app?.close();
      await unlimited?.close();
      await database?.drop();
    });

    const list = (target: App, token: string | null, remoteAddress = '127.0.0.1') =>
      target.inject({
        method: 'GET',
        url: '/api/v1/conversations',
        remoteAddress,
        headers: token ? { authorization: `Bearer ${token}` } : {},
      });

    it('counts each token on its own budget, tells it in headers, and answers 429 RATE_LIMITED past it', async () => {
      const token = await newToken(database);
      const other = await newToken(database);
      for (let i = 1; i <= LIMIT; i++) {
        const response = await list(app, token);
        expect(response.statusCode).toBe(200);
        expect(response.headers['x-ratelimit-limit']).toBe(String(LIMIT));
        expect(response.headers['x-ratelimit-remaining']).toBe(String(LIMIT - i));
        const reset = Number(response.headers['x-ratelimit-reset']);
        expect(reset).toBeGreaterThan(0);
        expect(reset).toBeLessThanOrEqual(60);
      }
      const refused = await list(app, token);
      expect(refused.statusCode).toBe(429);
      expect(refused.json()).toEqual({
        success: false,
        message: 'Too many requests',
        error: {
          code: 'RATE_LIMITED',
          details: expect.stringMatching(/^At most 3 requests per minute are allowed; retry in \d+ seconds?$/),
        },
      });
      const retryAfter = Number(refused.headers['retry-after']);
      expect(retryAfter).toBeGreaterThan(0);
      expect(retryAfter).toBeLessThanOrEqual(60);
      expect(refused.headers['x-ratelimit-remaining']).toBe('0');
      expect(refused.headers['x-request-id']).toBeTruthy();

      // Another token of the same address has its own budget.
      const fresh = await list(app, other);
      expect(fresh.statusCode).toBe(200);
      expect(fresh.headers['x-ratelimit-remaining']).toBe(String(LIMIT - 1));

      const metrics = await app.inject({ method: 'GET', url: '/metrics' });
      expect(sample(metrics.body, 'parley_rate_limit_rejections_total{route="/api/v1/conversations"}')).toBe(1);
    });

    it('keys by the public id, so a wrong secret spends the same budget and is refused before the database', async () => {
      const token = await newToken(database);
      const publicId = token.split('_')[1]!;
      const forgedSameId = `prl_${publicId}_${'A'.repeat(43)}`;
      expect((await list(app, forgedSameId)).statusCode).toBe(401);
      expect((await list(app, forgedSameId)).headers['x-ratelimit-remaining']).toBe(String(LIMIT - 2));
      expect((await list(app, token)).statusCode).toBe(200);
      expect((await list(app, token)).statusCode).toBe(429);
    });

    it('keys requests without a token by address, and limits them before authentication', async () => {
      for (let i = 1; i <= LIMIT; i++) {
        const response = await list(app, null, '10.1.1.1');
        expect(response.statusCode).toBe(401);
        expect(response.headers['x-ratelimit-remaining']).toBe(String(LIMIT - i));
      }
      const refused = await list(app, null, '10.1.1.1');
      expect(refused.statusCode).toBe(429);
      expect(refused.json().error.code).toBe('RATE_LIMITED');
      expect((await list(app, null, '10.1.1.2')).statusCode).toBe(401);
    });

    it('leaves the probes, the documents and the metrics alone', async () => {
      for (let i = 0; i < LIMIT + 2; i++) {
        for (const url of ['/healthz', '/readyz', '/openapi.json', '/metrics']) {
          const response = await app.inject({ method: 'GET', url, remoteAddress: '10.2.2.2' });
          expect(response.statusCode, url).toBe(200);
          expect(response.headers['x-ratelimit-limit'], url).toBeUndefined();
        }
      }
    });

    it('is off without a rateLimit setting (and with 0): no headers, no 429', async () => {
      const token = await newToken(database);
      for (let i = 0; i < LIMIT + 2; i++) {
        const response = await list(unlimited, token);
        expect(response.statusCode).toBe(200);
        expect(response.headers['x-ratelimit-limit']).toBeUndefined();
      }
      const zero = await buildApp({
        config: { baseDomain: null, rateLimit: { perMinute: 0, redisUrl: null, redisKeyPrefix: '' } },
        db: database.db,
      });
      try {
        for (let i = 0; i < LIMIT + 2; i++) expect((await list(zero, token)).statusCode).toBe(200);
      } finally {
        await zero.close();
      }
    });
  });
}

describe('rate limiting with Redis unreachable', () => {
  it('lets requests through at once rather than failing or hanging', async () => {
    const database = await createTestDatabase('sqlite');
    const app = await buildApp({
      config: { baseDomain: null, rateLimit: { perMinute: 1, redisUrl: 'redis://127.0.0.1:1', redisKeyPrefix: 'parley-test:' } },
      db: database.db,
    });
    try {
      const token = await newToken(database);
      // No timing assertion (machines here are noisy): a request that hung would fail the test by its timeout.
      for (let i = 0; i < 3; i++) {
        const response = await app.inject({ method: 'GET', url: '/api/v1/conversations', headers: { authorization: `Bearer ${token}` } });
        expect(response.statusCode).toBe(200);
      }
    } finally {
      await app.close();
      await database.drop();
    }
  });
});

let redisReachable = false;
try {
  const probe = new Redis(REDIS_URL, { lazyConnect: true, connectTimeout: 1000, maxRetriesPerRequest: 0, enableOfflineQueue: false });
  probe.on('error', () => {});
  await probe.connect();
  redisReachable = (await probe.ping()) === 'PONG';
  probe.disconnect();
} catch {
  redisReachable = false;
}
if (!redisReachable) console.warn(`\n*** Redis at ${REDIS_URL} is unreachable: SKIPPING the shared rate-limit tests ***\n`);

for (const dialect of DIALECTS) {
  describe.skipIf((dialect === 'postgres' && !postgresAvailable()) || !redisReachable)(
    `rate limiting shared through Redis by two server processes [${dialect}]`,
    () => {
      const prefix = `parley-test:${process.pid}:${randomBytes(6).toString('hex')}:`;
      const budget = 5;
      let database: TestDatabase;
      let servers: ServerProcess[] = [];
      let token: string;

      beforeAll(async () => {
        database = await createTestDatabase(dialect);
        token = await newToken(database);
        const env = { DATABASE_URL: database.url, RATE_LIMIT_PER_MINUTE: String(budget), REDIS_URL, REDIS_KEY_PREFIX: prefix };
        servers = await Promise.all([startServer(env), startServer(env)]);
      }, 90_000);
      afterAll(async () => {
        await Promise.all(servers.map(stopServer));
        const redis = new Redis(REDIS_URL);
        const keys = await redis.keys(`${prefix}*`);
        if (keys.length > 0) await redis.del(...keys);
        await redis.quit();
        await database?.drop();
      });

      it('counts requests split across both processes against one budget', async () => {
        const statuses: number[] = [];
        const remaining: string[] = [];
        for (let i = 0; i < budget + 2; i++) {
          const { port } = servers[i % 2]!;
          const response = await fetch(`http://127.0.0.1:${port}/api/v1/conversations`, { headers: { authorization: `Bearer ${token}` } });
          statuses.push(response.status);
          remaining.push(response.headers.get('x-ratelimit-remaining') ?? '');
          if (response.status === 429) {
            expect(await response.json()).toMatchObject({ success: false, error: { code: 'RATE_LIMITED' } });
            expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
          } else {
            await response.arrayBuffer();
          }
        }
        // In memory each process would allow 5, i.e. 7 answers of 200.
        expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429]);
        expect(remaining).toEqual(['4', '3', '2', '1', '0', '0', '0']);
        const redis = new Redis(REDIS_URL);
        try {
          expect(await redis.keys(`${prefix}*`)).toHaveLength(1);
        } finally {
          await redis.quit();
        }
      });
    },
  );
}
