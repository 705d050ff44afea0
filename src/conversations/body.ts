import { type Kysely, sql } from 'kysely';
import { dialectOf } from '../db/dialect.js';
import type { Database } from '../db/tables.js';
import { type ConversationRecord, loadConversations } from './load.js';
import { presentConversation } from './present.js';

/**
 * Each conversation's JSON as the list shows it, kept in `conversations.body` (see the migration
 * that adds it for what marks one stale). Reading a page is then reading fifteen strings by id.
 */

const REFRESH_BATCH = 1000;

export const serialiseConversation = (record: ConversationRecord): string => JSON.stringify(presentConversation(record));

async function storeBodies(db: Kysely<Database>, bodies: [id: number, body: string][]) {
  if (dialectOf(db) === 'postgres') {
    const ids = bodies.map(([id]) => id);
    const texts = bodies.map(([, body]) => body);
    await sql`update conversations c set body = v.body from unnest(${ids}::bigint[], ${texts}::text[]) as v(id, body) where c.id = v.id`.execute(
      db,
    );
  } else {
    await sql`update conversations set body = j.value ->> 1 from json_each(${JSON.stringify(bodies)}) as j
      where conversations.id = j.value ->> 0`.execute(db);
  }
}

/**
 * Rebuilds every stale body of the workspace. Runs at the end of each write transaction (see
 * db/transaction.ts), where the stale ones are exactly those the write touched, found through a
 * partial index of NULL bodies and read whole by the same query. Returns the records it rebuilt
 * of the `wanted` conversations, by id: writers that answer with the conversation they wrote get
 * it from here instead of loading it again.
 */
export async function refreshStaleBodies(
  db: Kysely<Database>,
  workspaceId: number,
  wanted: ReadonlySet<number> = new Set(),
): Promise<Map<number, ConversationRecord>> {
  const found = new Map<number, ConversationRecord>();
  for (;;) {
    const records = await loadConversations(db, workspaceId, { stale: REFRESH_BATCH });
    if (records.length > 0) {
      await storeBodies(
        db,
        records.map((record) => [record.row.id, serialiseConversation(record)]),
      );
    }
    for (const record of records) if (wanted.has(record.row.id)) found.set(record.row.id, record);
    if (records.length < REFRESH_BATCH) return found;
  }
}

/** The workspaces with stale bodies, for start-up after a migration left some (see server.ts). */
export async function workspacesWithStaleBodies(db: Kysely<Database>): Promise<number[]> {
  const rows = await db.selectFrom('conversations').select('workspace_id').distinct().where('body', 'is', null).execute();
  return rows.map((row) => row.workspace_id);
}

/**
 * The bodies of these conversations of the workspace, in the order of `ids`. A stale one (only
 * possible before start-up has rebuilt what a migration left) is built from the tables instead.
 */
export async function readBodies(db: Kysely<Database>, workspaceId: number, ids: readonly number[]): Promise<string[]> {
  if (ids.length === 0) return [];
  const { rows } = await sql<{ id: number; body: string | null }>`select id, body from conversations
    where workspace_id = ${workspaceId} and id in (${sql.join(ids)})`.execute(db);
  const bodies = new Map(rows.map((row) => [row.id, row.body]));
  const stale = ids.filter((id) => bodies.get(id) === null);
  if (stale.length > 0) {
    for (const record of await loadConversations(db, workspaceId, stale)) bodies.set(record.row.id, serialiseConversation(record));
  }
  return ids.flatMap((id) => {
    const body = bodies.get(id);
    return typeof body === 'string' ? [body] : [];
  });
}
