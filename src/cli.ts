#!/usr/bin/env node
import { createReadStream, statSync } from 'node:fs';
import { Command, Option } from 'commander';
import type { Kysely, MigrationResultSet } from 'kysely';
import { exportNdjson } from './bulk/export.js';
import { FILTER_OPTIONS, FilterError, type FilterQuery, filtersFromQuery } from './bulk/filters.js';
import { importNdjson } from './bulk/import.js';
import { readLines } from './bulk/lines.js';
import { conversations as countOf, Progress } from './bulk/progress.js';
import { DEFAULT_SEED, seedWorkspace, startOfUtcDay } from './bulk/seed.js';
import { writeOutput } from './bulk/output.js';
import { accessSync, constants as fsConstants, existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { ConfigError, configProblems, type DatabaseTarget, loadConfig, parseDatabaseUrl } from './config.js';
import { openDatabase } from './db/database.js';
import { isDatabaseUnavailable } from './db/dialect.js';
import { migrateToLatest, pendingMigrations } from './db/migrate.js';
import type { Database } from './db/tables.js';
import { keepHeapNearLiveSize } from './shared/heap.js';
import { toIso } from './shared/time.js';
import { createToken, listTokens, revokeToken } from './tokens/repository.js';
import { parseToken } from './tokens/token.js';
import { countWorkspaces, findWorkspace } from './workspaces/repository.js';
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

const number = new Intl.NumberFormat('en-US');

/** Exit status of an import that rejected some lines (and imported the others): told apart from a failed command (1). */
const SOME_LINES_REJECTED = 2;

async function importCommand(subdomain: string, file: string) {
  keepHeapNearLiveSize();
  let size: number | undefined;
  if (file !== '-') {
    try {
      const stats = statSync(file);
      if (stats.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
      size = stats.size;
    } catch (error) {
      const { code, message } = error as NodeJS.ErrnoException;
      throw new CommandError(
        `Cannot read ${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : message}`,
      );
    }
  }
  await withDatabase(async ({ db }) => {
    const workspace = await requireWorkspace(db, subdomain);
    const input = file === '-' ? process.stdin : createReadStream(file, { highWaterMark: 1 << 20 });
    const progress = new Progress(process.stderr, { verb: 'Imported' });
    const fraction = () => (size && 'bytesRead' in input ? input.bytesRead / size : undefined);
    const result = await importNdjson(db, workspace.id, readLines(input), {
      onProgress: (imported) => progress.update(imported, fraction()),
      onReject: (line) => progress.log(`parley: line ${line.line}: ${line.reason}`),
    });
    progress.finish();
    const rejected = result.rejectedCount === 0 ? '' : `; ${number.format(result.rejectedCount)} rejected (see above)`;
    console.log(
      `Imported ${countOf(result.imported)} into workspace "${subdomain}" in ${progress.elapsed().toFixed(1)} s ` +
        `(${number.format(progress.averageRate())}/s)${rejected}.`,
    );
    if (result.rejectedCount > 0) process.exitCode = SOME_LINES_REJECTED;
  });
}

type ExportOptions = Record<string, string | undefined>;

async function exportCommand(subdomain: string, options: ExportOptions) {
  const query: FilterQuery = {};
  for (const [option, parameter] of Object.entries(FILTER_OPTIONS)) {
    query[parameter] = options[option.replace(/-(.)/g, (_, letter: string) => letter.toUpperCase())];
  }
  let filters;
  try {
    filters = filtersFromQuery(query);
  } catch (error) {
    if (error instanceof FilterError) throw new CommandError(error.message);
    throw error;
  }
  await withDatabase(async ({ db, target }) => {
    const workspace = await requireWorkspace(db, subdomain);
    // One snapshot for the whole walk: a conversation written meanwhile is either wholly in or out.
    const begin = db.startTransaction();
    const snapshot = await (
      target.dialect === 'postgres' ? begin.setIsolationLevel('repeatable read').setAccessMode('read only') : begin
    ).execute();
    try {
      await writeOutput(process.stdout, exportNdjson(snapshot, workspace.id, filters));
    } finally {
      await snapshot.rollback().execute();
    }
  });
}

function parseCount(value: string): number {
  const count = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(count))
    throw new CommandError(`--conversations must be a whole number, got "${value}"`);
  return count;
}

async function seedCommand(subdomain: string, options: { conversations: string; seed: string; now?: string }) {
  keepHeapNearLiveSize();
  const conversations = parseCount(options.conversations);
  const seed = Number(options.seed);
  if (!/^-?\d+$/.test(options.seed) || !Number.isSafeInteger(seed))
    throw new CommandError(`--seed must be an integer, got "${options.seed}"`);
  const now = options.now === undefined ? startOfUtcDay() : new Date(options.now);
  if (Number.isNaN(now.getTime()))
    throw new CommandError(`--now must be a date and time such as 2026-11-25T12:00:00Z, got "${options.now}"`);
  await withDatabase(async ({ db }) => {
    let workspace = await findWorkspace(db, subdomain);
    if (!workspace) {
      try {
        workspace = await registerWorkspace(db, subdomain, subdomain);
        console.log(`Created workspace "${subdomain}".`);
      } catch (error) {
        // Created by another process in between: seed it all the same.
        workspace = error instanceof WorkspaceError ? await findWorkspace(db, subdomain) : undefined;
        if (!workspace) throw error;
      }
    }
    const progress = new Progress(process.stderr, { verb: 'Seeded' });
    await seedWorkspace(db, workspace.id, {
      conversations,
      seed,
      now,
      onProgress: (done) => progress.update(done, conversations === 0 ? 1 : done / conversations),
    });
    progress.finish();
    console.log(
      `Seeded workspace "${subdomain}" with ${countOf(conversations)} (seed ${seed}, up to ${toIso(Math.floor(now.getTime() / 1000))}) ` +
        `in ${progress.elapsed().toFixed(1)} s (${number.format(progress.averageRate())}/s).`,
    );
  });
}

type Verdict = 'ok' | 'note' | 'FAIL';

/** Settles with `promise`, or fails after `ms`: a PostgreSQL host that drops packets would otherwise keep doctor waiting for minutes. */
function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms / 1000} s`)), ms);
    timer.unref();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const reason = (error: unknown) => {
  const { message, code } = (error ?? {}) as { message?: string; code?: string };
  return (message || code || String(error)).split('\n')[0]!;
};

/** The nearest folder that exists on the way up to `path`: where a missing SQLite file would be created. */
function existingAncestor(path: string): string {
  let dir = dirname(path);
  while (!existsSync(dir) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}

function writable(path: string): boolean {
  try {
    accessSync(path, fsConstants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** One line per check, `ok`, `note` (worth knowing, not wrong) or `FAIL`; exit status 1 when anything failed. Changes nothing. */
async function doctorCommand() {
  let failures = 0;
  const say = (verdict: Verdict, line: string) => {
    if (verdict === 'FAIL') failures++;
    console.log(`${verdict.padEnd(4)}  ${line}`);
  };

  const problems = configProblems();
  for (const problem of problems) say('FAIL', `configuration: ${problem}`);
  if (problems.length === 0) {
    const config = loadConfig();
    const metrics = config.metrics.enabled ? `on${config.metrics.token ? ' (METRICS_TOKEN required)' : ''}` : 'off';
    const domain = config.baseDomain ? `, workspaces at <subdomain>.${config.baseDomain}` : '';
    say('ok', `configuration: listens on ${config.host}:${config.port}, log level ${config.logLevel}, /metrics ${metrics}${domain}`);
  }
  let target: DatabaseTarget | null = null;
  try {
    target = parseDatabaseUrl(process.env.DATABASE_URL);
  } catch {
    // Already reported as a configuration problem.
  }
  if (target) await checkDatabase(target, say);

  if (failures > 0) {
    process.exitCode = 1;
    console.log(`${failures} problem${failures === 1 ? '' : 's'} found.`);
  } else {
    console.log('No problems found.');
  }
}

async function checkDatabase(target: DatabaseTarget, say: (verdict: Verdict, line: string) => void) {
  const where = describeTarget(target);
  if (target.dialect === 'sqlite' && target.file !== ':memory:') {
    if (!existsSync(target.file)) {
      const dir = existingAncestor(target.file);
      if (writable(dir)) say('note', `database: ${where} does not exist yet; the first start (or parley migrate) creates it`);
      else say('FAIL', `database: ${where} does not exist, and it cannot be created: ${dir} is not writable`);
      return;
    }
    // WAL mode writes its -wal and -shm files beside the database: the folder must be writable too.
    const unwritable = [target.file, dirname(target.file)].filter((path) => !writable(path));
    if (unwritable.length > 0) say('FAIL', `database: ${where} is not writable: no write permission on ${unwritable.join(' and ')}`);
    else say('ok', `database: ${where} is writable`);
  }

  let database;
  try {
    database = openDatabase(target);
  } catch (error) {
    say('FAIL', `database: cannot open ${where}: ${reason(error)}`);
    return;
  }
  try {
    const started = performance.now();
    let pending: string[];
    try {
      pending = await within(pendingMigrations(database.db), 10_000);
    } catch (error) {
      say('FAIL', `database: cannot reach ${where}: ${reason(error)}`);
      return;
    }
    say('ok', `database: ${where} answers (${Math.round(performance.now() - started)} ms)`);
    if (pending.length > 0) {
      say(
        'FAIL',
        `migrations: ${pending.length} not applied (${pending.join(', ')}); run parley migrate, or start the server, which applies them`,
      );
    } else {
      say('ok', 'migrations: up to date');
    }
    try {
      const count = await within(countWorkspaces(database.db), 10_000);
      if (count > 0) say('ok', `workspaces: ${count}`);
      else say('note', 'workspaces: none yet; create one with parley workspace create <subdomain>');
    } catch (error) {
      // Without the core tables there is nothing to count; the migrations line already says why.
      if (pending.length === 0) say('FAIL', `workspaces: cannot count them: ${reason(error)}`);
    }
  } finally {
    await within(database.close(), 5_000).catch(() => {});
  }
}

/** Each command's example, by its full name; `parley --help` lists them all. */
const COMMAND_EXAMPLES: Record<string, string> = {
  migrate: 'parley migrate',
  'workspace create': 'parley workspace create acme --name "Acme Inc"',
  'token create': 'TOKEN=$(parley token create acme --name ci)',
  'token list': 'parley token list acme',
  'token revoke': 'parley token revoke 3f2a9c0d1b4e5f67',
  import: 'parley import acme conversations.ndjson',
  export: 'parley export acme --channel whatsapp > acme.ndjson',
  seed: 'parley seed acme --conversations 100000 --seed 7',
  doctor: 'parley doctor',
};

/** The commands that do something (not the groups such as `token`), by full name, in the order of the help. */
function leafCommands(command: Command, prefix = ''): string[] {
  return command.commands.flatMap((sub) => {
    const name = `${prefix}${sub.name()}`;
    return sub.commands.length > 0 ? leafCommands(sub, `${name} `) : [name];
  });
}

function examplesSection(program: Command): string {
  const names = leafCommands(program).filter((name) => name !== 'help');
  const width = Math.max(...names.map((name) => name.length));
  const lines = names.map((name) => `  ${name.padEnd(width)}  $ ${COMMAND_EXAMPLES[name] ?? `parley ${name} --help`}`);
  return `\nEvery command, with an example:\n${lines.join('\n')}\n`;
}

function buildProgram(): Command {
  const program = new Command('parley')
    .description('Administers a Parley server: its database, workspaces, API tokens and data.')
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

  program
    .command('import')
    .description('Import conversations from NDJSON (one per line, as the list shows them, optionally with "messages")')
    .argument('<subdomain>', 'the workspace to import into')
    .argument('<file>', 'the NDJSON file, or - for standard input')
    .addHelpText(
      'after',
      '\nEach line is written as a PUT of it would write it, plus its messages; importing a file again changes nothing.\n' +
        'A bad line is reported on stderr with its number and reason and skipped; the others land. Exit status 2 when any line was rejected.\n' +
        example('parley import acme conversations.ndjson', 'parley export acme | parley import acme-copy -'),
    )
    .action(importCommand);

  const exporter = program
    .command('export')
    .description("Write a workspace's conversations, with their messages, as NDJSON on stdout, oldest first")
    .argument('<subdomain>', 'the workspace to export');
  const filterHelp: Record<keyof typeof FILTER_OPTIONS, string> = {
    phone: 'part of the contact phone number; spaces, -, (, ), . and a leading + are ignored',
    'contact-uuid': "the contact's uuid",
    'agent-uuid': "the agent's uuid; several, comma-separated, match any",
    'campaign-uuid': "the campaign of the conversation's call",
    'task-uuid': "a task of the conversation's call",
    channel: 'one or more channels, comma-separated, any case',
    status: 'Active or Closed, or both comma-separated',
    'created-from': 'created at or after this time',
    'created-to': 'created at or before this time',
    'updated-since': 'updated at or after this time',
  };
  for (const [option, help] of Object.entries(filterHelp)) exporter.addOption(new Option(`--${option} <value>`, help));
  exporter
    .addHelpText(
      'after',
      "\nThe filters mean what the list's query parameters of the same names mean.\n" +
        example('parley export acme > acme.ndjson', 'parley export acme --channel whatsapp,sms --created-from 2026-11-01T00:00:00Z'),
    )
    .action(exportCommand);

  program
    .command('seed')
    .description('Fill a workspace with realistic generated conversations (created if missing); the same seed gives the same data')
    .argument('<subdomain>', 'the workspace to seed')
    .requiredOption('--conversations <n>', 'how many conversations')
    .option('--seed <s>', 'any integer', String(DEFAULT_SEED))
    .option('--now <time>', 'the data spans the 90 days before this time (default: the start of today, UTC)')
    .addHelpText('after', example('parley seed acme --conversations 100000 --seed 7'))
    .action(seedCommand);

  program
    .command('doctor')
    .description('Check the configuration and the database, one line each; exit status 1 if anything is wrong. Changes nothing')
    .addHelpText(
      'after',
      '\nChecks: the environment parses; the database answers; for SQLite, its file and folder are writable; migrations are applied; workspaces.\n' +
        example('parley doctor', 'DATABASE_URL=postgres://parley@db.internal/parley parley doctor'),
    )
    .action(doctorCommand);

  program.addHelpText('after', () => examplesSection(program));
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
