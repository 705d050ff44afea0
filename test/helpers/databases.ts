import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { openDatabase, type DatabaseHandle } from '../../src/db/database.js';
import type { Dialect } from '../../src/db/dialect.js';
import { migrateToLatest } from '../../src/db/migrate.js';

export const DIALECTS: Dialect[] = ['sqlite', 'postgres'];

export const postgresAvailable = () => inject('postgresUrl') !== null;

async function onAdmin<T>(run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: inject('postgresUrl')! });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

export interface TestDatabase extends DatabaseHandle {
  /** A URL for DATABASE_URL that reaches this same database from another process. */
  url: string;
  /** Closes the handle and deletes the database. */
  drop(): Promise<void>;
}

/** A fresh, migrated database of its own: a temporary SQLite file, or a uniquely named PostgreSQL database. */
export async function createTestDatabase(dialect: Dialect): Promise<TestDatabase> {
  const name = `parley_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  if (dialect === 'sqlite') {
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = mkdtempSync(join(tmpdir(), 'parley-test-'));
    const file = join(dir, `${name}.db`);
    const handle = openDatabase({ dialect: 'sqlite', file });
    await migrateToLatest(handle.db);
    return {
      ...handle,
      url: `sqlite:${file}`,
      drop: async () => {
        await handle.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  await onAdmin((client) => client.query(`create database ${name}`));
  const url = new URL(inject('postgresUrl')!);
  url.pathname = `/${name}`;
  const handle = openDatabase({ dialect: 'postgres', url: url.toString() });
  await migrateToLatest(handle.db);
  return {
    ...handle,
    url: url.toString(),
    drop: async () => {
      await handle.close();
      await onAdmin((client) => client.query(`drop database if exists ${name} with (force)`));
    },
  };
}
