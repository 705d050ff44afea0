import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parley } from './helpers/cli.js';
import { conversationBody } from './helpers/fixtures.js';
import { type ServerProcess, startServer } from './helpers/server-process.js';
import { createThrowawayPostgres, postgresBinDir, type StopMode, type ThrowawayPostgres } from './helpers/throwaway-postgres.js';

/**
 * The database going away under a running server, and coming back. Only PostgreSQL: a SQLite
 * file is opened in-process, so removing it or its folder, or changing its permissions, changes
 * nothing for a server that holds it open (it goes on answering, from the unlinked file). The
 * SQLite fault that does happen, another process holding the write lock, is a busy timeout, not
 * an outage.
 */

const bin = postgresBinDir();
if (!bin && process.env.CI !== 'true') {
  console.warn('\n*** No initdb under /usr/lib/postgresql/*/bin: SKIPPING the database-outage tests (test/faults.test.ts) ***\n');
}

const UNAVAILABLE = {
  success: false,
  message: 'Service temporarily unavailable',
  error: { code: 'SERVICE_UNAVAILABLE', details: 'The database cannot be reached; try again shortly' },
};
/**
 * What "fast" means while the database is down. The server gives up on a connection after 2 s
 * (connectionTimeoutMillis); a stopped server refuses at once, so answers take milliseconds and
 * this bound only catches a request that waits on something that will never come.
 */
const ANSWER_BOUND_MS = 5000;
/** How long the API may take to notice the database is back, after pg_ctl says it accepts connections. */
const RECOVERY_BOUND_MS = 20_000;

interface Answer {
  status: number;
  body: unknown;
  ms: number;
}

describe.skipIf(!bin && process.env.CI !== 'true')('PostgreSQL stopped and started under a running server', () => {
  let cluster: ThrowawayPostgres | undefined;
  let server: ServerProcess | undefined;
  let token: string;
  let known: { uuid: string; body: ReturnType<typeof conversationBody> };

  async function request(method: string, path: string, body?: unknown): Promise<Answer> {
    const started = performance.now();
    const response = await fetch(`http://127.0.0.1:${server!.port}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      // Far past the bound: a request that hangs fails here, naming itself, rather than by the test's timeout.
      signal: AbortSignal.timeout(ANSWER_BOUND_MS * 3),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : null, ms: performance.now() - started };
  }

  async function everything() {
    const list = await request('GET', '/api/v1/conversations?per_page=100');
    expect(list.status).toBe(200);
    const messages = await request('GET', `/api/v1/conversations/${known.uuid}/messages`);
    expect(messages.status).toBe(200);
    return { list: list.body, messages: messages.body };
  }

  beforeAll(async () => {
    if (!bin) throw new Error('CI requires the database-outage tests, and there is no initdb under /usr/lib/postgresql/*/bin');
    cluster = await createThrowawayPostgres();
    await cluster.start();
    await cluster.createDatabase('parley');
    const databaseUrl = cluster.url('parley');
    // The server migrates at start; the CLI does too, so either may come first.
    const subdomain = `ws-${randomBytes(5).toString('hex')}`;
    const created = await parley(databaseUrl, ['workspace', 'create', subdomain]);
    expect(created.code, created.stderr).toBe(0);
    const issued = await parley(databaseUrl, ['token', 'create', subdomain]);
    expect(issued.code, issued.stderr).toBe(0);
    token = issued.stdout.trim();
    server = await startServer({ DATABASE_URL: databaseUrl });
  }, 120_000);

  afterAll(async () => {
    if (server && server.child.exitCode === null && server.child.signalCode === null) {
      server.child.kill('SIGKILL');
      await server.exit;
    }
    await cluster?.destroy();
  });

  it('reads and writes while the database answers', async () => {
    known = { uuid: randomUUID(), body: conversationBody() };
    const put = await request('PUT', `/api/v1/conversations/${known.uuid}`, known.body);
    expect(put.status, JSON.stringify(put.body)).toBe(201);
    const detail = await request('GET', `/api/v1/conversations/${known.uuid}`);
    expect(detail.status).toBe(200);
    expect((detail.body as { data: unknown }).data).toEqual({ uuid: known.uuid, ...known.body });
    const message = await request('POST', `/api/v1/conversations/${known.uuid}/messages`, { sender: 'Contact', content: 'Hello?' });
    expect(message.status).toBe(201);
    expect((await request('GET', '/readyz')).status).toBe(200);
  });

  for (const mode of ['immediate', 'fast'] as StopMode[]) {
    it(`answers 503 at once while PostgreSQL is stopped (pg_ctl stop -m ${mode}), then recovers by itself`, async () => {
      const before = await everything();
      await cluster!.stop(mode);

      const health = await request('GET', '/healthz');
      expect(health.status).toBe(200);
      expect(health.body).toEqual({ status: 'ok' });
      const ready = await request('GET', '/readyz');
      expect(ready.status).toBe(503);
      expect(ready.body).toEqual(UNAVAILABLE);

      // Every kind of request, twice over, all at once: more than the pool's 10 connections, so
      // that requests queued for a connection are tested too. Then the same again a moment later,
      // once the pool has thrown its dead connections away.
      const refusedUuid = randomUUID();
      const wave = () =>
        Promise.all(
          [
            ['GET', '/api/v1/conversations'],
            ['GET', '/api/v1/conversations?status=active&channel=whatsapp,sms&per_page=5'],
            ['GET', `/api/v1/conversations/${known.uuid}`],
            ['GET', `/api/v1/conversations/${known.uuid}/messages`],
            ['GET', `/api/v1/conversations/${known.uuid}/sessions`],
            ['GET', '/api/v1/analytics/messages?from=2020-01-01T00:00:00Z&to=2030-01-01T00:00:00Z'],
            ['PUT', `/api/v1/conversations/${refusedUuid}`, conversationBody()],
            ['PUT', `/api/v1/conversations/${known.uuid}`, { ...known.body, status: 'Closed' }],
            ['PATCH', `/api/v1/conversations/${known.uuid}`, { status: 'Closed' }],
            ['POST', `/api/v1/conversations/${known.uuid}/messages`, { sender: 'AI', content: 'Are you there?' }],
          ]
            .flatMap((entry) => [entry, entry])
            .map(([method, path, body]) => request(method as string, path as string, body).then((answer) => ({ method, path, answer }))),
        );
      for (const round of [await wave(), await new Promise((resolve) => setTimeout(resolve, 500)).then(wave)]) {
        for (const { method, path, answer } of round) {
          expect(answer.status, `${method} ${path}`).toBe(503);
          expect(answer.body, `${method} ${path}`).toEqual(UNAVAILABLE);
          expect(answer.ms, `${method} ${path}`).toBeLessThan(ANSWER_BOUND_MS);
        }
      }

      await cluster!.start();
      // Nobody restarts Parley: it has to find the database again by itself.
      const deadline = Date.now() + RECOVERY_BOUND_MS;
      let readiness = await request('GET', '/readyz');
      while (readiness.status !== 200 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        readiness = await request('GET', '/readyz');
      }
      expect(readiness.status, JSON.stringify(readiness.body)).toBe(200);

      // Once ready, the API answers at the first attempt, with the data as it was: nothing the outage refused landed.
      expect(await everything()).toEqual(before);
      expect((await request('GET', `/api/v1/conversations/${refusedUuid}`)).status).toBe(404);
      const uuid = randomUUID();
      const body = conversationBody();
      const put = await request('PUT', `/api/v1/conversations/${uuid}`, body);
      expect(put.status, JSON.stringify(put.body)).toBe(201);
      expect((await request('GET', `/api/v1/conversations/${uuid}`)).body).toEqual({
        success: true,
        message: 'Conversation retrieved successfully',
        data: { uuid, ...body },
      });
      expect(server!.child.exitCode).toBeNull();
    }, 60_000);
  }
});
