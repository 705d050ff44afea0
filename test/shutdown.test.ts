import { randomBytes, randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parseShutdownTimeout } from '../src/config.js';
import { createToken } from '../src/tokens/repository.js';
import { createWorkspace } from '../src/workspaces/repository.js';
import { createTestDatabase, DIALECTS, postgresAvailable, type TestDatabase } from './helpers/databases.js';
import { type ServerProcess, startServer as startServerProcess } from './helpers/server-process.js';

/** The real server with LOG_LEVEL info: the shutdown messages are part of what is checked. */
const startServer = (databaseUrl: string, env: Record<string, string> = {}) =>
  startServerProcess({ DATABASE_URL: databaseUrl, LOG_LEVEL: 'info', ...env });

/** Opens a connection, or says why it could not. */
function tryConnect(port: number): Promise<'connected' | string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

/** A raw HTTP/1.1 request whose body is sent by the caller, piece by piece; resolves with the whole answer. */
function slowRequest(port: number, method: string, path: string, headers: Record<string, string>, bodyLength: number, keepAlive = false) {
  const socket = connect(port, '127.0.0.1');
  let received = '';
  const answer = new Promise<{ status: number; body: string; raw: string }>((resolve, reject) => {
    socket.on('data', (chunk: Buffer) => (received += chunk.toString()));
    socket.once('error', reject);
    socket.once('close', () => {
      const [head = '', body = ''] = received.split('\r\n\r\n');
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0), body, raw: received });
    });
  });
  const connected = new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  const head = [
    `${method} ${path} HTTP/1.1`,
    'Host: 127.0.0.1',
    `Connection: ${keepAlive ? 'keep-alive' : 'close'}`,
    `Content-Length: ${bodyLength}`,
  ]
    .concat(Object.entries(headers).map(([name, value]) => `${name}: ${value}`))
    .join('\r\n');
  return {
    start: async () => {
      await connected;
      await new Promise<void>((resolve) => socket.write(`${head}\r\n\r\n`, () => resolve()));
    },
    send: (text: string) => new Promise<void>((resolve) => socket.write(text, () => resolve())),
    answer,
  };
}

describe('SHUTDOWN_TIMEOUT_SECONDS', () => {
  it('defaults to 10 s and refuses what is not a positive number of seconds', () => {
    expect(loadConfig({}).shutdownTimeoutMs).toBe(10_000);
    expect(parseShutdownTimeout('2.5')).toBe(2500);
    for (const raw of ['0', '-1', 'soon', '3601']) {
      expect(() => parseShutdownTimeout(raw)).toThrow(
        new ConfigError(`SHUTDOWN_TIMEOUT_SECONDS must be a number of seconds above 0 and at most 3600, got "${raw}"`),
      );
    }
  });
});

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

for (const dialect of DIALECTS) {
  describe.skipIf(dialect === 'postgres' && !postgresAvailable())(`graceful shutdown on SIGTERM [${dialect}]`, () => {
    let database: TestDatabase;
    let token: string;
    let server: ServerProcess | undefined;

    beforeAll(async () => {
      database = await createTestDatabase(dialect);
      const subdomain = `ws-${randomBytes(5).toString('hex')}`;
      const workspace = await createWorkspace(database.db, subdomain, subdomain);
      token = (await createToken(database.db, workspace.id, 'test')).token;
    });
    afterAll(async () => {
      if (server && server.child.exitCode === null && server.child.signalCode === null) server.child.kill('SIGKILL');
      await database?.drop();
    });

    it('refuses new connections, finishes the request in flight, closes the database and exits 0', async () => {
      server = await startServer(database.url);
      const uuid = randomUUID();
      const body = JSON.stringify({ channel: 'SMS', contact: { uuid: randomUUID(), name: 'Slow', phone_number: '+1 555 0100' } });
      const request = slowRequest(
        server.port,
        'PUT',
        `/api/v1/conversations/${uuid}`,
        { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
        Buffer.byteLength(body),
      );
      await request.start();
      await request.send(body.slice(0, 10));
      await pause(200);

      server.child.kill('SIGTERM');
      // The listener closes at once: a new connection is refused while the old one is still open.
      // One that reached the backlog just as the listener closed is reset instead: try again.
      const deadline = Date.now() + 5000;
      let attempt = await tryConnect(server.port);
      while ((attempt === 'connected' || attempt === 'ECONNRESET') && Date.now() < deadline) {
        await pause(50);
        attempt = await tryConnect(server.port);
      }
      expect(attempt).toBe('ECONNREFUSED');
      expect(server.child.exitCode).toBeNull();

      // The rest of the body, slowly.
      for (let at = 10; at < body.length; at += 20) {
        await request.send(body.slice(at, at + 20));
        await pause(50);
      }
      const answer = await request.answer;
      expect(answer.status, answer.raw).toBe(201);
      expect(JSON.parse(answer.body).data.uuid).toBe(uuid);

      expect(await server.exit, server.output()).toEqual({ code: 0, signal: null });
      expect(server.output()).toMatch(/shutting down/);

      // The write landed: another process sees it.
      const stored = await database.db.selectFrom('conversations').select('uuid').where('uuid', '=', uuid).execute();
      expect(stored).toHaveLength(1);
    }, 60_000);

    it('answers a request that arrives on a busy keep-alive connection during shutdown with 503 in the envelope', async () => {
      server = await startServer(database.url);
      const uuid = randomUUID();
      const body = JSON.stringify({ channel: 'SMS', contact: { uuid: randomUUID() } });
      const request = slowRequest(
        server.port,
        'PUT',
        `/api/v1/conversations/${uuid}`,
        { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
        Buffer.byteLength(body),
        true,
      );
      await request.start();
      await request.send(body.slice(0, 10));
      await pause(200);
      server.child.kill('SIGTERM');
      await pause(300);
      // The rest of the body, and a second request pipelined behind it on the same connection.
      await request.send(
        `${body.slice(10)}GET /api/v1/conversations HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\n\r\n`,
      );
      const { raw } = await request.answer;
      const responses = raw.split(/(?=HTTP\/1\.1 \d{3})/);
      expect(responses, raw).toHaveLength(2);
      expect(responses[0]).toMatch(/^HTTP\/1\.1 201/);
      expect(responses[1]).toMatch(/^HTTP\/1\.1 503/);
      expect(responses[1]).toMatch(/\r\nconnection: close\r\n/i);
      expect(JSON.parse(responses[1]!.split('\r\n\r\n')[1]!)).toEqual({
        success: false,
        message: 'Service is shutting down',
        error: { code: 'SERVICE_UNAVAILABLE', details: 'The server is shutting down; retry on a new connection' },
      });
      expect(await server.exit, server.output()).toEqual({ code: 0, signal: null });
    }, 60_000);

    it('exits non-zero after SHUTDOWN_TIMEOUT_SECONDS when a request never finishes', async () => {
      server = await startServer(database.url, { SHUTDOWN_TIMEOUT_SECONDS: '1' });
      const request = slowRequest(
        server.port,
        'PUT',
        `/api/v1/conversations/${randomUUID()}`,
        { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
        1000,
      );
      request.answer.catch(() => {});
      await request.start();
      await request.send('{"channel":');
      await pause(200);
      const start = Date.now();
      server.child.kill('SIGTERM');
      expect(await server.exit).toEqual({ code: 1, signal: null });
      const elapsed = Date.now() - start;
      // A lower bound only: a slow machine can stretch the wait, never shorten it.
      expect(elapsed).toBeGreaterThanOrEqual(900);
      expect(server.output()).toMatch(/shutdown timed out/);
    }, 60_000);

    it('exits at once, non-zero, on a second signal while a request holds the shutdown', async () => {
      server = await startServer(database.url);
      const request = slowRequest(
        server.port,
        'PUT',
        `/api/v1/conversations/${randomUUID()}`,
        { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
        1000,
      );
      request.answer.catch(() => {});
      await request.start();
      await request.send('{"channel":');
      await pause(200);
      server.child.kill('SIGTERM');
      await pause(500);
      expect(server.child.exitCode).toBeNull();
      server.child.kill('SIGTERM');
      // Well before the 10 s shutdown timeout would: the message says which path ended it.
      expect(await server.exit).toEqual({ code: 1, signal: null });
      expect(server.output()).toMatch(/second signal/);
    }, 60_000);
  });
}
