import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe } from 'vitest';
import { type Chromium, CHROMIUM_PATH, chromiumInstalled, launchChromium } from '../helpers/chromium.js';
import { parley, ROOT } from '../helpers/cli.js';
import { createTestDatabase, postgresAvailable, type TestDatabase } from '../helpers/databases.js';
import { type ServerProcess, startServer, stopServer } from '../helpers/server-process.js';
import { type Inbox, inboxSteps } from './inbox-steps.js';

/**
 * The web inbox, end to end: a real Parley process, Debian's Chromium, and the steps a user takes
 * (inbox-steps.ts), on the demo workspace of a first start on SQLite and on `parley seed` data on
 * PostgreSQL.
 */

if (!chromiumInstalled()) {
  if (process.env.CI === 'true')
    throw new Error(`${CHROMIUM_PATH} is missing (apt-get install -y chromium): CI requires the web inbox's end-to-end tests`);
  console.warn(`\n*** ${CHROMIUM_PATH} is missing (apt-get install -y chromium): SKIPPING the web inbox's end-to-end tests ***\n`);
}

async function checked(run: ReturnType<typeof parley>): Promise<string> {
  const { code, stdout, stderr } = await run;
  if (code !== 0) throw new Error(`parley exited with ${code}: ${stderr}`);
  return stdout.trim();
}

/** The token the first start prints, once it has printed it (just after it starts listening). */
async function demoToken(server: ServerProcess): Promise<string> {
  for (const deadline = Date.now() + 10_000; Date.now() < deadline; await new Promise((resolve) => setTimeout(resolve, 50))) {
    const token = /^ {2}(prl_\S+)$/m.exec(server.output())?.[1];
    if (token) return token;
  }
  throw new Error(`the first start printed no token:\n${server.output()}`);
}

describe.skipIf(!chromiumInstalled())('web inbox in Chromium', () => {
  let chromium: Chromium;

  beforeAll(async () => {
    // The page under test is the build; one made from older sources would test old code.
    await promisify(execFile)(process.execPath, ['--import', 'tsx', 'web/scripts/build.ts', '--if-stale'], { cwd: ROOT });
    chromium = await launchChromium();
  });
  afterAll(async () => {
    await chromium?.close();
  });

  describe('on SQLite, with the demo workspace of the first start', () => {
    let dir: string;
    let server: ServerProcess | undefined;
    let inbox: Inbox;

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'parley-e2e-'));
      const databaseUrl = `sqlite:${join(dir, 'parley.db')}`;
      server = await startServer({ DATABASE_URL: databaseUrl });
      const token = await demoToken(server);
      inbox = {
        base: `http://127.0.0.1:${server.port}`,
        token,
        revoke: () => checked(parley(databaseUrl, ['token', 'revoke', token])).then(() => {}),
      };
    });
    afterAll(async () => {
      await stopServer(server);
      rmSync(dir, { recursive: true, force: true });
    });

    inboxSteps(
      () => chromium,
      () => inbox,
      { checkPolling: true },
    );
  });

  describe.skipIf(!postgresAvailable())('on PostgreSQL, with `parley seed` data', () => {
    let database: TestDatabase;
    let server: ServerProcess | undefined;
    let inbox: Inbox;

    beforeAll(async () => {
      // The server seeds only SQLite; on PostgreSQL the same generator fills the workspace through the CLI.
      database = await createTestDatabase('postgres');
      await checked(parley(database.url, ['seed', 'inbox', '--conversations', '300']));
      const token = await checked(parley(database.url, ['token', 'create', 'inbox', '--name', 'e2e']));
      server = await startServer({ DATABASE_URL: database.url });
      inbox = {
        base: `http://127.0.0.1:${server.port}`,
        token,
        revoke: () => checked(parley(database.url, ['token', 'revoke', token])).then(() => {}),
      };
    });
    afterAll(async () => {
      await stopServer(server);
      await database?.drop();
    });

    // The polling step is the same code on either database; once is enough.
    inboxSteps(
      () => chromium,
      () => inbox,
      { checkPolling: false },
    );
  });
});
