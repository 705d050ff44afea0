import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database, Workspace } from '../db/tables.js';
import { nowSeconds } from '../shared/time.js';

export const SUBDOMAIN = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

export async function createWorkspace(db: Kysely<Database>, subdomain: string, name: string): Promise<Workspace> {
  return db
    .insertInto('workspaces')
    .values({ uuid: randomUUID(), subdomain, name, created_at: nowSeconds() })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function findWorkspace(db: Kysely<Database>, subdomain: string): Promise<Workspace | undefined> {
  return db.selectFrom('workspaces').selectAll().where('subdomain', '=', subdomain).executeTakeFirst();
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
