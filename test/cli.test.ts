import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, buildApp } from '../src/app.js';
import { parseToken } from '../src/tokens/token.js';
import { registerWorkspace } from '../src/workspaces/service.js';
import { createTestDatabase, DIALECTS, postgresAvailable, type TestDatabase } from './helpers/databases.js';
import { parley, type Run } from './helpers/cli.js';

const ISO = '\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ';

/** A user error is one line on stderr, nothing on stdout, exit code 1: no stack trace. */
function expectUserError(run: Run, message: RegExp) {
  expect(run).toMatchObject({ code: 1, stdout: '' });
  expect(run.stderr).toMatch(/^parley: [^\n]+\n$/);
  expect(run.stderr).toMatch(message);
}

for (const dialect of DIALECTS) {
  describe.skipIf(dialect === 'postgres' && !postgresAvailable())(`parley CLI [${dialect}]`, () => {
    let database: TestDatabase;
    let app: App;
    const cli = (...args: string[]) => parley(database.url, args);
    const listWith = (token: string) =>
      app.inject({ method: 'GET', url: '/api/v1/conversations', headers: { authorization: `Bearer ${token}` } });

    beforeAll(async () => {
      database = await createTestDatabase(dialect);
      app = await buildApp({ config: { baseDomain: null }, db: database.db });
    });
    afterAll(async () => {
      await app?.close();
      await database?.drop();
    });

    it('doctor says what is fine and what is wrong, one line each, and exits 1 on a problem', async () => {
      const fine = await cli('doctor');
      expect(fine.code).toBe(0);
      expect(fine.stdout).toMatch(/^ok +configuration: /m);
      expect(fine.stdout).toMatch(/^ok +migrations: up to date$/m);
      expect(fine.stdout).not.toMatch(/^FAIL/m);

      const unreachable = await parley('postgres://postgres@127.0.0.1:1/nowhere', ['doctor']);
      expect(unreachable.code).toBe(1);
      expect(unreachable.stdout).toMatch(/^FAIL +database: cannot reach PostgreSQL database nowhere on 127\.0\.0\.1:1: .+$/m);
    });

    it('migrate reports an up-to-date database', async () => {
      const run = await cli('migrate');
      expect(run).toMatchObject({ code: 0, stderr: '' });
      expect(run.stdout).toMatch(/is up to date\.\n$/);
      expect(run.stdout).not.toContain('Applied');
    });

    it('workspace create makes a workspace once, and refuses a taken or malformed subdomain', async () => {
      const created = await cli('workspace', 'create', 'acme', '--name', 'Acme Inc');
      expect(created).toMatchObject({ code: 0, stderr: '' });
      expect(created.stdout).toMatch(/^Created workspace "acme" \(name "Acme Inc", uuid [0-9a-f-]{36}\)\.\n/);

      const [taken, malformed, hyphenated] = await Promise.all([
        cli('workspace', 'create', 'acme'),
        cli('workspace', 'create', 'Not_Valid'),
        cli('workspace', 'create', 'acme-'),
      ]);
      expectUserError(taken, /Workspace "acme" already exists/);
      expectUserError(malformed, /"Not_Valid" is not a valid subdomain/);
      expectUserError(hyphenated, /"acme-" is not a valid subdomain/);
    });

    it('token create prints only a working token, token list shows it without its secret, token revoke ends it', async () => {
      await registerWorkspace(database.db, 'tokens', 'Tokens');
      const created = await cli('token', 'create', 'tokens', '--name', 'ci');
      expect(created.code).toBe(0);
      expect(created.stdout).toMatch(/^prl_[0-9a-f]{16}_[A-Za-z0-9_-]{43}\n$/);
      const token = created.stdout.trim();
      const { publicId, secret } = parseToken(token)!;
      expect(created.stderr).toContain(publicId);
      expect((await listWith(token)).statusCode).toBe(200);

      const listed = await cli('token', 'list', 'tokens');
      expect(listed).toMatchObject({ code: 0, stderr: '' });
      expect(listed.stdout).toMatch(/^ID\s+NAME\s+CREATED\s+STATUS\n/);
      expect(listed.stdout).toMatch(new RegExp(`^${publicId}\\s+ci\\s+${ISO}\\s+active$`, 'm'));
      expect(listed.stdout).not.toContain(secret);

      const revoked = await cli('token', 'revoke', publicId);
      expect(revoked).toMatchObject({ code: 0, stdout: `Revoked token ${publicId}.\n` });
      const refused = await listWith(token);
      expect(refused.statusCode).toBe(401);
      expect(refused.json().error.code).toBe('INVALID_AUTH_TOKEN');

      const relisted = await cli('token', 'list', 'tokens');
      expect(relisted.stdout).toMatch(new RegExp(`^${publicId}\\s+ci\\s+${ISO}\\s+revoked at ${ISO}$`, 'm'));
      expectUserError(await cli('token', 'revoke', publicId), /No active token has the id/);
    });

    it('fails with one line and exit code 1 on an unknown workspace or token', async () => {
      const [create, list, revoke] = await Promise.all([
        cli('token', 'create', 'nowhere'),
        cli('token', 'list', 'nowhere'),
        cli('token', 'revoke', '0123456789abcdef'),
      ]);
      expectUserError(create, /No workspace has the subdomain "nowhere"/);
      expectUserError(list, /No workspace has the subdomain "nowhere"/);
      expectUserError(revoke, /No active token has the id "0123456789abcdef"/);
    });
  });
}

describe('parley CLI', () => {
  it('works on a fresh SQLite file: the first command migrates it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'parley-cli-'));
    try {
      const url = `sqlite:${join(dir, 'fresh.db')}`;
      const created = await parley(url, ['workspace', 'create', 'fresh']);
      expect(created).toMatchObject({ code: 0, stderr: '' });
      const migrated = await parley(url, ['migrate']);
      expect(migrated.stdout).toBe(`SQLite database ${join(dir, 'fresh.db')} is up to date.\n`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reports a bad DATABASE_URL in one line', async () => {
    expectUserError(await parley('mysql://localhost/parley', ['migrate']), /DATABASE_URL must start with/);
  });

  it('has help with an example for the program and every command', async () => {
    const commands = [
      [],
      ['migrate'],
      ['workspace'],
      ['workspace', 'create'],
      ['token'],
      ['token', 'create'],
      ['token', 'list'],
      ['token', 'revoke'],
    ];
    const helps = await Promise.all(commands.map((command) => parley('sqlite::memory:', [...command, '--help'])));
    for (const help of helps) {
      expect(help).toMatchObject({ code: 0, stderr: '' });
      expect(help.stdout).toMatch(/\nExample:\n {2}\$ .*\bparley /);
    }
    const [program, , workspace, , token] = helps.map((help) => help.stdout);
    for (const command of ['migrate', 'workspace', 'token']) expect(program).toMatch(new RegExp(`^ {2}${command}\\b`, 'm'));
    expect(workspace).toMatch(/^ {2}create\b/m);
    for (const command of ['create', 'list', 'revoke']) expect(token).toMatch(new RegExp(`^ {2}${command}\\b`, 'm'));
  });
});
