import pg from 'pg';

/** The local PostgreSQL the benchmark may use: loopback, user postgres, trust authentication. */
export const POSTGRES_ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

export function postgresUrl(database: string): string {
  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${database}`;
  return url.toString();
}

async function onAdmin<T>(run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL, connectionTimeoutMillis: 3000, query_timeout: 600_000 });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end().catch(() => {});
  }
}

export async function postgresReachable(): Promise<boolean> {
  try {
    await onAdmin((client) => client.query('select 1'));
    return true;
  } catch {
    return false;
  }
}

/** Database names are ours (parley_bench…), never user input; quoting keeps them exact all the same. */
const quoted = (name: string) => `"${name.replaceAll('"', '""')}"`;

export async function databaseExists(name: string): Promise<boolean> {
  return onAdmin(async (client) => (await client.query('select 1 from pg_database where datname = $1', [name])).rowCount === 1);
}

export async function createDatabase(name: string): Promise<void> {
  await onAdmin((client) => client.query(`create database ${quoted(name)}`));
}

export async function dropDatabase(name: string): Promise<void> {
  await onAdmin((client) => client.query(`drop database if exists ${quoted(name)} with (force)`));
}

/**
 * A fresh copy of `template` named `name`. PostgreSQL 15 copies through the WAL by default,
 * which takes minutes for a few GB; FILE_COPY copies the files, in seconds.
 */
export async function copyDatabase(template: string, name: string): Promise<void> {
  await onAdmin(async (client) => {
    await client.query(`drop database if exists ${quoted(name)} with (force)`);
    const version = Number((await client.query<{ v: string }>("select current_setting('server_version_num') as v")).rows[0]?.v ?? 0);
    const strategy = version >= 150000 ? ' strategy file_copy' : '';
    await client.query(`create database ${quoted(name)} template ${quoted(template)}${strategy}`);
  });
}
