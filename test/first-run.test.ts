import { type ChildProcessWithoutNullStreams, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../src/db/database.js';
import { seedDemoWorkspace } from '../src/demo/demo-workspace.js';
import { createWorkspace } from '../src/workspaces/repository.js';
import { createTestDatabase, postgresAvailable, type TestDatabase } from './helpers/databases.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const START_TIMEOUT_MS = 30_000;

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

class ServerProcess {
  stdout = '';
  stderr = '';
  private readonly closed: Promise<number | null>;

  constructor(
    private readonly child: ChildProcessWithoutNullStreams,
    readonly port: number,
  ) {
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (this.stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (this.stderr += chunk));
    this.closed = new Promise((resolve) => child.on('close', resolve));
  }

  /** `npm start` as a newcomer runs it, on the given database and a port of its own. */
  static async start(databaseUrl: string): Promise<ServerProcess> {
    const port = await freePort();
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
      cwd: ROOT,
      env: { ...process.env, DATABASE_URL: databaseUrl, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn' },
    });
    return new ServerProcess(child, port);
  }

  /** Resolves once `check` passes; fails early, with the server's output, if the server exits instead. */
  private async until<T>(check: () => Promise<T | undefined>): Promise<T> {
    let exited = false;
    void this.closed.then(() => (exited = true));
    const deadline = Date.now() + START_TIMEOUT_MS;
    while (Date.now() < deadline && !exited) {
      const result = await check();
      if (result !== undefined) return result;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`server did not get ready (exited: ${exited})\nstdout:\n${this.stdout}\nstderr:\n${this.stderr}`);
  }

  waitForOutput(pattern: RegExp): Promise<RegExpMatchArray> {
    return this.until(async () => this.stdout.match(pattern) ?? undefined);
  }

  /** Ready is answering HTTP at all: without a token, a 401. */
  waitUntilListening(): Promise<number> {
    return this.until(() =>
      fetch(`http://127.0.0.1:${this.port}/api/v1/conversations`).then(
        (response) => response.status,
        () => undefined,
      ),
    );
  }

  /** SIGTERM, as a service manager would send it; resolves with the exit code once all output is in. */
  async stop(): Promise<number | null> {
    this.child.kill('SIGTERM');
    return this.closed;
  }
}

describe('first run on SQLite', () => {
  let dir: string;
  let url: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'parley-first-run-'));
    url = `sqlite:${join(dir, 'parley.db')}`;
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('creates the demo workspace and prints a token with a curl line that works', async () => {
    const server = await ServerProcess.start(url);
    let exitCode;
    try {
      const [curlLine] = await server.waitForOutput(/^ *curl .*$/m);
      const announced = Number(/Created workspace "demo" with (\d+) conversations/.exec(server.stdout)?.[1]);
      const token = /^ {2}(prl_\S+)$/m.exec(server.stdout)?.[1];
      expect(curlLine).toContain(`Bearer ${token}`);
      expect(curlLine).toContain(`http://127.0.0.1:${server.port}/api/v1/conversations`);
      const perPage = Number(/per_page=(\d+)/.exec(curlLine)?.[1] ?? 15);

      // The line itself, through a shell, exactly as a newcomer pastes it.
      const { stdout } = await promisify(execFile)('sh', ['-c', curlLine.trim()]);
      const body = JSON.parse(stdout);
      expect(body).toMatchObject({ success: true, data: { current_page: 1, per_page: perPage, total: announced } });
      expect(announced).toBeGreaterThanOrEqual(100);
      expect(body.data.last_page).toBe(Math.ceil(announced / perPage));
      expect(body.data.data).toHaveLength(perPage);
      expect(body.data.data[0].contact.name).toEqual(expect.any(String));
    } finally {
      exitCode = await server.stop();
    }
    expect(exitCode).toBe(0);
  });

  it('does not seed again on the second start', async () => {
    const server = await ServerProcess.start(url);
    let exitCode;
    try {
      expect(await server.waitUntilListening()).toBe(401);
    } finally {
      exitCode = await server.stop();
    }
    expect(exitCode).toBe(0);
    expect(server.stdout).not.toMatch(/prl_|Created workspace/);

    const database = openDatabase({ dialect: 'sqlite', file: join(dir, 'parley.db') });
    try {
      const workspaces = await database.db.selectFrom('workspaces').select('subdomain').execute();
      const tokens = await database.db.selectFrom('api_tokens').select('name').execute();
      expect(workspaces).toEqual([{ subdomain: 'demo' }]);
      expect(tokens).toEqual([{ name: 'demo' }]);
    } finally {
      await database.close();
    }
  });
});

describe.skipIf(!postgresAvailable())('first run on PostgreSQL', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase('postgres');
  });
  afterAll(async () => {
    await database?.drop();
  });

  it('the server never seeds PostgreSQL, even an empty database', async () => {
    const server = await ServerProcess.start(database.url);
    let exitCode;
    try {
      expect(await server.waitUntilListening()).toBe(401);
    } finally {
      exitCode = await server.stop();
    }
    expect(exitCode).toBe(0);
    expect(server.stdout).not.toMatch(/prl_|Created workspace/);
    expect(await database.db.selectFrom('workspaces').select('id').execute()).toEqual([]);
  });

  it('seedDemoWorkspace leaves a database that has a workspace alone', async () => {
    await createWorkspace(database.db, 'acme', 'Acme');
    expect(await seedDemoWorkspace(database.db)).toBeNull();
    expect(await database.db.selectFrom('workspaces').select('subdomain').execute()).toEqual([{ subdomain: 'acme' }]);
    expect(await database.db.selectFrom('conversations').select('id').execute()).toEqual([]);
  });
});
