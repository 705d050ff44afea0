import type { Kysely, Transaction } from 'kysely';
import { refreshStaleBodies } from '../conversations/body.js';
import { type ConversationRecord, loadConversations } from '../conversations/load.js';
import { dialectOf, isUniqueViolation } from './dialect.js';
import type { Database } from './tables.js';

/** The tail of each workspace's queue of writers in this process. */
const writers = new Map<number, Promise<unknown>>();

/**
 * Runs `work` after this process's earlier writers to the same workspace have finished. On
 * PostgreSQL they would queue on the workspace row's lock anyway (see `bumpDataVersion`);
 * queueing here first means they wait without holding a pooled connection, so reads keep theirs.
 * SQLite's one connection already runs one transaction at a time, and there a queue would make
 * each writer wait for the connection only after the writer before it had it: behind a long
 * line of reads, writers could then fall behind a steady stream of writes.
 */
async function inTurn<T>(db: Kysely<Database>, workspaceId: number, work: () => Promise<T>): Promise<T> {
  if (dialectOf(db) === 'sqlite') return work();
  const run = (writers.get(workspaceId) ?? Promise.resolve()).then(work, work);
  const tail = run.catch(() => undefined);
  writers.set(workspaceId, tail);
  try {
    return await run;
  } finally {
    if (writers.get(workspaceId) === tail) writers.delete(workspaceId);
  }
}

/**
 * Marks the workspace's data as changed (see http/etag.ts). Taken first in every write
 * transaction, its row lock on PostgreSQL makes one workspace's writers, across processes, run
 * one after another in one order: no deadlocks, and ids committed in the order they were taken.
 */
export async function bumpDataVersion(trx: Transaction<Database>, workspaceId: number): Promise<void> {
  await trx
    .updateTable('workspaces')
    .set((eb) => ({ data_version: eb('data_version', '+', 1) }))
    .where('id', '=', workspaceId)
    .execute();
}

/**
 * Runs `work` as one write transaction on the workspace's data, the version bumped first and the
 * conversation bodies it made stale rebuilt last, so that no commit leaves one behind. Two
 * writers creating the same new uuid at once collide on a unique index; the loser runs again and
 * then finds the row the winner made.
 */
export async function writeTransaction<T>(
  db: Kysely<Database>,
  workspaceId: number,
  work: (trx: Transaction<Database>) => Promise<T>,
): Promise<T> {
  return (await transact(db, workspaceId, work, () => undefined)).result;
}

/**
 * A writeTransaction that answers with the conversation it wrote: `work` names it by id, and the
 * record comes back as committed, from the closing rebuild when the write changed its body
 * (else loaded): read once, in the transaction, whichever way. Every query saved here is a round
 * trip saved while the workspace's writers wait their turn.
 */
export async function writeConversation<T extends { conversationId: number | undefined }>(
  db: Kysely<Database>,
  workspaceId: number,
  work: (trx: Transaction<Database>) => Promise<T>,
): Promise<T & { record: ConversationRecord | undefined }> {
  const { result, record } = await transact(db, workspaceId, work, (done) => done.conversationId);
  return { ...result, record };
}

async function transact<T>(
  db: Kysely<Database>,
  workspaceId: number,
  work: (trx: Transaction<Database>) => Promise<T>,
  wantedOf: (result: T) => number | undefined,
): Promise<{ result: T; record: ConversationRecord | undefined }> {
  return inTurn(db, workspaceId, async () => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await db.transaction().execute(async (trx) => {
          await bumpDataVersion(trx, workspaceId);
          const result = await work(trx);
          const wanted = wantedOf(result);
          const rebuilt = await refreshStaleBodies(trx, workspaceId, wanted);
          const record = rebuilt ?? (wanted === undefined ? undefined : (await loadConversations(trx, workspaceId, [wanted]))[0]);
          return { result, record };
        });
      } catch (error) {
        if (attempt >= 3 || !isUniqueViolation(error)) throw error;
      }
    }
  });
}
