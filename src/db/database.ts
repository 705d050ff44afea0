import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, PostgresDialect, type SqliteDatabase, SqliteDialect } from 'kysely';
import pg from 'pg';
import type { DatabaseTarget } from '../config.js';
import { FALLBACK_AUTOCHECKPOINT_PAGES, startCheckpointer } from './checkpointer.js';
import type { Dialect } from './dialect.js';
import type { Database } from './tables.js';

export interface DatabaseHandle {
  db: Kysely<Database>;
  dialect: Dialect;
  close(): Promise<void>;
}

const INT8_OID = 20;

const STATEMENT_CACHE_SIZE = 200;

/**
 * better-sqlite3 behind Kysely, with prepared statements reused by their SQL text: Kysely's
 * driver prepares every statement on every call, which costs more than running most of ours.
 * Safe because the driver runs one statement at a time on its single connection.
 */
function withStatementCache(sqlite: SQLite.Database): SqliteDatabase {
  const statements = new Map<string, SQLite.Statement>();
  return {
    close: () => sqlite.close(),
    prepare(sql: string) {
      let statement = statements.get(sql);
      if (statement) {
        statements.delete(sql);
      } else {
        statement = sqlite.prepare(sql);
        if (statements.size >= STATEMENT_CACHE_SIZE) statements.delete(statements.keys().next().value!);
      }
      statements.set(sql, statement);
      return statement;
    },
  };
}

function openSqlite(file: string, { sqlitePageCacheMiB }: OpenOptions): DatabaseHandle {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const sqlite = new SQLite(file);
  // WAL lets readers go on while a write commits; NORMAL sync is durable across process crashes in WAL mode.
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  // Negative: KiB.
  if (sqlitePageCacheMiB !== undefined) sqlite.pragma(`cache_size = ${-sqlitePageCacheMiB * 1024}`);
  // Planner statistics, refreshed when stale and bounded in cost: without them SQLite guesses
  // index choices on a million rows.
  sqlite.pragma('analysis_limit = 1000');
  sqlite.pragma('optimize = 0x10002');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) });
  if (file === ':memory:') return { db, dialect: 'sqlite', close: () => db.destroy() };

  // See checkpointer.ts; should its worker fail, this connection checkpoints again as SQLite would.
  sqlite.pragma('wal_autocheckpoint = 0');
  const checkpointer = startCheckpointer(file, () => {
    if (sqlite.open) sqlite.pragma(`wal_autocheckpoint = ${FALLBACK_AUTOCHECKPOINT_PAGES}`);
  });
  return {
    db,
    dialect: 'sqlite',
    close: async () => {
      await checkpointer.stop();
      // The last connection to close checkpoints what is left and removes the log.
      await db.destroy();
    },
  };
}

function openPostgres(url: string, { postgresPoolSize = 10 }: OpenOptions): DatabaseHandle {
  const pool = new pg.Pool({
    connectionString: url,
    max: postgresPoolSize,
    // Without it a request waits as long as the OS takes to give up on an unreachable server; 503 fast instead.
    connectionTimeoutMillis: 2000,
    // Counts and epoch seconds are int8; every value Parley stores fits a JS number exactly.
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === INT8_OID ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
    },
  });
  // An idle client whose server connection drops (a restart, a failover) is discarded by the pool;
  // without a listener that 'error' event would crash the process instead.
  pool.on('error', () => {});
  pool.on('connect', preparingStatements);
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return { db, dialect: 'postgres', close: () => db.destroy() };
}

const PREPARED = /^\s*(select|insert|update|delete|with)\b/i;

/**
 * Statement names by text, so that the hot path does not hash the same text on every call.
 * Bounded: a text with a list of placeholders differs with the list's length.
 */
const statementNames = new Map<string, string>();
const MAX_STATEMENT_NAMES = 1000;

function statementName(text: string): string {
  let name = statementNames.get(text);
  if (name === undefined) {
    name = `p${createHash('sha1').update(text).digest('base64url')}`;
    if (statementNames.size >= MAX_STATEMENT_NAMES) statementNames.clear();
    statementNames.set(text, name);
  }
  return name;
}

/**
 * Sends each query as a named prepared statement, named by its text, so that PostgreSQL plans it
 * once per connection instead of on every call: with the conversations table's indexes, planning
 * costs more than running most of Parley's queries. Only data statements: a schema change in a
 * migration is never kept. Kysely's driver calls `query(text, values)`; anything else passes through.
 */
function preparingStatements(client: pg.PoolClient) {
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  (client as { query: unknown }).query = (...args: unknown[]) => {
    const [text, values] = args;
    if (args.length === 2 && typeof text === 'string' && Array.isArray(values) && PREPARED.test(text)) {
      return query({ name: statementName(text), text, values });
    }
    return query(...args);
  };
}

export interface OpenOptions {
  /** SQLite: the connection's page cache, in MiB, instead of SQLite's 2 MB. */
  sqlitePageCacheMiB?: number;
  /** PostgreSQL: at most this many connections (10). */
  postgresPoolSize?: number;
}

export function openDatabase(target: DatabaseTarget, options: OpenOptions = {}): DatabaseHandle {
  return target.dialect === 'sqlite' ? openSqlite(target.file, options) : openPostgres(target.url, options);
}
