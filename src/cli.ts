#!/usr/bin/env node
import { Command } from 'commander';
import type { Kysely, MigrationResultSet } from 'kysely';
import { ConfigError, type DatabaseTarget, loadConfig } from './config.js';
import { openDatabase } from './db/database.js';
import { isDatabaseUnavailable } from './db/dialect.js';
import { migrateToLatest } from './db/migrate.js';
import type { Database } from './db/tables.js';
import { toIso } from './shared/time.js';
import { createToken, listTokens, revokeToken } from './tokens/repository.js';
import { parseToken } from './tokens/token.js';
import { checkLabel, registerWorkspace, requireWorkspace, WorkspaceError } from './workspaces/service.js';

class CommandError extends Error {
  override name = 'CommandError';
}

interface Session {
  db: Kysely<Database>;
  target: DatabaseTarget;
  migrations: MigrationResultSet;
}

/** Every command migrates first, so that each one works on a fresh database; on an up-to-date one that is a few cheap queries. */
async function withDatabase(work: (session: Session) => Promise<void>): Promise<void> {
  const target = loadConfig().database;
  const database = openDatabase(target);
  try {
    await work({ db: database.db, target, migrations: await migrateToLatest(database.db) });
  } finally {
    await database.close();
  }
}

/** Where the data lives, without the credentials a PostgreSQL URL may carry. */
function describeTarget(target: DatabaseTarget): string {
  if (target.dialect === 'sqlite') return `SQLite database ${target.file}`;
  const url = new URL(target.url);
  return `PostgreSQL database ${url.pathname.slice(1) || '(default)'} on ${url.host}`;
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ');
  return [line(header), ...rows.map(line)].join('\n');
}

const example = (...lines: string[]) => `\nExample:\n${lines.map((line) => `  $ ${line}`).join('\n')}\n`;

async function migrateCommand() {
  await withDatabase(async ({ target, migrations }) => {
    for (const result of migrations.results ?? []) console.log(`Applied migration ${result.migrationName}`);
    console.log(`${describeTarget(target)} is up to date.`);
  });
}

async function createWorkspaceCommand(subdomain: string, options: { name?: string }) {
  await withDatabase(async ({ db }) => {
    const workspace = await registerWorkspace(db, subdomain, options.name ?? subdomain);
    console.log(`Created workspace "${workspace.subdomain}" (name "${workspace.name}", uuid ${workspace.uuid}).`);
    console.log(`Next, give it an API token: parley token create ${workspace.subdomain}`);
  });
}

async function createTokenCommand(subdomain: string, options: { name: string }) {
  await withDatabase(async ({ db }) => {
    const name = checkLabel('A token name', options.name);
    const workspace = await requireWorkspace(db, subdomain);
    const { token, id } = await createToken(db, workspace.id, name);
    // stdout carries the token alone, so that `$(parley token create …)` captures exactly it.
    console.log(token);
    console.error(`Created token "${name}" (id ${id}) for workspace "${subdomain}". It is shown only this once: store it now.`);
  });
}

async function listTokensCommand(subdomain: string) {
  await withDatabase(async ({ db }) => {
    const workspace = await requireWorkspace(db, subdomain);
    const tokens = await listTokens(db, workspace.id);
    if (tokens.length === 0) {
      console.log(`Workspace "${subdomain}" has no tokens.`);
      return;
    }
    const rows = tokens.map((t) => [
      t.id,
      t.name,
      toIso(t.created_at),
      t.revoked_at === null ? 'active' : `revoked at ${toIso(t.revoked_at)}`,
    ]);
    console.log(table(['ID', 'NAME', 'CREATED', 'STATUS'], rows));
  });
}

async function revokeTokenCommand(id: string) {
  // A whole token names its id too; accepting it spares looking the id up.
  const publicId = parseToken(id)?.publicId ?? id;
  await withDatabase(async ({ db }) => {
    if (!(await revokeToken(db, publicId))) throw new CommandError(`No active token has the id "${publicId}"`);
    console.log(`Revoked token ${publicId}.`);
  });
}

function buildProgram(): Command {
  const program = new Command('parley')
    .description('Administers a Parley server: its database, workspaces and API tokens.')
    .showHelpAfterError('(add --help for usage)')
    .addHelpText(
      'after',
      '\nThe database is the one the server uses: DATABASE_URL (sqlite:<file>, postgres://…), or ./data/parley.db when unset.\n' +
        'From a checkout, run it as: npm run parley -- <command>\n' +
        example('parley workspace create acme --name "Acme Inc"', 'parley token create acme --name ci'),
    );

  program
    .command('migrate')
    .description('Bring the database schema up to date (every command also does this first)')
    .addHelpText('after', example('DATABASE_URL=postgres://parley@localhost/parley parley migrate'))
    .action(migrateCommand);

  const workspace = program
    .command('workspace')
    .description('Manage workspaces (tenants)')
    .addHelpText('after', example('parley workspace create acme --name "Acme Inc"'));
  workspace
    .command('create')
    .description('Create a workspace, reached at https://<subdomain>.<base domain>/api/v1 when a base domain is set')
    .argument('<subdomain>', 'lowercase letters, digits and hyphens, at most 63')
    .option('--name <name>', 'display name (default: the subdomain)')
    .addHelpText('after', example('parley workspace create acme --name "Acme Inc"'))
    .action(createWorkspaceCommand);

  const token = program
    .command('token')
    .description("Manage a workspace's API tokens")
    .addHelpText('after', example('parley token create acme --name ci', 'parley token list acme', 'parley token revoke 3f2a9c0d1b4e5f67'));
  token
    .command('create')
    .description('Create an API token; prints only the token on stdout, shown this once')
    .argument('<subdomain>', 'the workspace the token gives access to')
    .option('--name <name>', 'what the token is for, shown by token list', 'default')
    .addHelpText('after', example('TOKEN=$(parley token create acme --name ci)'))
    .action(createTokenCommand);
  token
    .command('list')
    .description("List a workspace's tokens, active and revoked (never their secrets)")
    .argument('<subdomain>', 'the workspace')
    .addHelpText('after', example('parley token list acme'))
    .action(listTokensCommand);
  token
    .command('revoke')
    .description('Revoke a token at once: requests made with it get 401 from then on')
    .argument('<id>', 'the token id shown by token list (or the whole token)')
    .addHelpText('after', example('parley token revoke 3f2a9c0d1b4e5f67'))
    .action(revokeTokenCommand);

  return program;
}

/** PostgreSQL's answers to a wrong URL: bad credentials (class 28) or no such database (3D000). */
function refusedConnection(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('28') || code === '3D000');
}

function report(error: unknown) {
  process.exitCode = 1;
  if (error instanceof ConfigError || error instanceof WorkspaceError || error instanceof CommandError) {
    console.error(`parley: ${error.message}`);
  } else if (isDatabaseUnavailable(error) || refusedConnection(error)) {
    const { message, code } = error as { message?: string; code?: string };
    console.error(`parley: cannot use the database: ${message || code}`);
  } else {
    console.error('parley: unexpected error:', error);
  }
}

buildProgram().parseAsync().catch(report);
