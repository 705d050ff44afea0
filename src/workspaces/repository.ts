import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database, Workspace } from '../db/tables.js';
import { nowSeconds } from '../shared/time.js';

export const SUBDOMAIN = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * Named, never `*`: on PostgreSQL statements are prepared once per connection (db/database.ts),
 * and a prepared `*` fails once a migration from another process adds a column.
 */
const COLUMNS = ['id', 'uuid', 'subdomain', 'name', 'created_at', 'data_version'] as const;

export async function createWorkspace(db: Kysely<Database>, subdomain: string, name: string): Promise<Workspace> {
  return db
    .insertInto('workspaces')
    .values({ uuid: randomUUID(), subdomain, name, created_at: nowSeconds() })
    .returning(COLUMNS)
    .executeTakeFirstOrThrow();
}

export async function findWorkspace(db: Kysely<Database>, subdomain: string): Promise<Workspace | undefined> {
  return db.selectFrom('workspaces').select(COLUMNS).where('subdomain', '=', subdomain).executeTakeFirst();
}

export async function countWorkspaces(db: Kysely<Database>): Promise<number> {
  const { count } = await db
    .selectFrom('workspaces')
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .executeTakeFirstOrThrow();
  return Number(count);
}

export async function hasAnyWorkspace(db: Kysely<Database>): Promise<boolean> {
  return (await db.selectFrom('workspaces').select('id').limit(1).executeTakeFirst()) !== undefined;
}
