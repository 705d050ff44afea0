import { type Kysely, sql } from 'kysely';
import { runCompiled } from '../db/compiled.js';
import { dialectOf } from '../db/dialect.js';
import { idAmong, idListParameter } from '../db/expressions.js';
import type { Database } from '../db/tables.js';
import { type ConversationRecord, loadConversations } from './load.js';
import { presentConversation } from './present.js';

/**
 * Each conversation's JSON as the list shows it, kept in `conversations.body` (see the migration
 * that adds it for what marks one stale). Reading a page is then reading fifteen strings by id.
 */

const REFRESH_BATCH = 1000;

export const serialiseConversation = (record: ConversationRecord): string => JSON.stringify(presentConversation(record));

/** Sets these conversations' bodies, whatever their number, in one statement. */
export async function storeBodies(db: Kysely<Database>, bodies: [id: number, body: string][]) {
  if (bodies.length === 0) return;
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
 * partial index of NULL bodies and read whole by the same query. Returns the record of the
 * `wanted` conversation if it rebuilt that one: a writer that answers with the conversation it
 * wrote gets it from here instead of loading it again.
 */
export async function refreshStaleBodies(
  db: Kysely<Database>,
  workspaceId: number,
  wanted?: number,
): Promise<ConversationRecord | undefined> {
  let found: ConversationRecord | undefined;
  for (;;) {
    const records = await loadConversations(db, workspaceId, { stale: REFRESH_BATCH });
    if (records.length > 0) {
      await storeBodies(
        db,
        records.map((record) => [record.row.id, serialiseConversation(record)]),
      );
    }
    found ??= records.find((record) => record.row.id === wanted);
    if (records.length < REFRESH_BATCH) return found;
  }
}

/** The workspaces with stale bodies, for start-up after a migration left some (see server.ts). */
export async function workspacesWithStaleBodies(db: Kysely<Database>): Promise<number[]> {
  const rows = await db.selectFrom('conversations').select('workspace_id').distinct().where('body', 'is', null).execute();
  return rows.map((row) => row.workspace_id);
}

/**
 * The bodies of these rows, in their order, a stale one (NULL: only possible before start-up has
 * rebuilt what a migration left) built from the tables instead.
 */
export async function completeBodies(
  db: Kysely<Database>,
  workspaceId: number,
  rows: readonly { id: number; body: string | null }[],
): Promise<string[]> {
  const stale = rows.filter((row) => row.body === null).map((row) => row.id);
  const built = new Map<number, string>();
  if (stale.length > 0) {
    for (const record of await loadConversations(db, workspaceId, stale)) built.set(record.row.id, serialiseConversation(record));
  }
  return rows.flatMap((row) => {
    const body = row.body ?? built.get(row.id);
    return body === undefined ? [] : [body];
  });
}

/** The stored rows of these conversations of the workspace, in the order of `ids`; an id not found is left out. */
export async function storedBodies(
  db: Kysely<Database>,
  workspaceId: number,
  ids: readonly number[],
): Promise<{ id: number; body: string | null }[]> {
  if (ids.length === 0) return [];
  const dialect = dialectOf(db);
  const rows = await runCompiled(db, 'bodies by id', [workspaceId, idListParameter(dialect, ids)], () =>
    db
      .selectFrom('conversations as c')
      .select(['c.id', 'c.body'])
      .where('c.workspace_id', '=', workspaceId)
      .where(idAmong(dialect, 'c.id', ids)),
  );
  const byId = new Map(rows.map((row) => [row.id, row]));
  return ids.flatMap((id) => byId.get(id) ?? []);
}

/** The bodies of these conversations of the workspace, in the order of `ids` (see `completeBodies`). */
export async function readBodies(db: Kysely<Database>, workspaceId: number, ids: readonly number[]): Promise<string[]> {
  return completeBodies(db, workspaceId, await storedBodies(db, workspaceId, ids));
}
