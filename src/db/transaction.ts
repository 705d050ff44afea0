import type { Kysely, Transaction } from 'kysely';
import { isUniqueViolation } from './dialect.js';
import type { Database } from './tables.js';

/**
 * Runs `work` in one transaction. Two writers creating the same new uuid at once collide on a
 * unique index; the loser runs again and then finds the row the winner made.
 */
export async function writeTransaction<T>(db: Kysely<Database>, work: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction().execute(work);
    } catch (error) {
      if (attempt >= 3 || !isUniqueViolation(error)) throw error;
    }
  }
}

/**
 * Marks the workspace's data as changed, inside the writing transaction (see http/etag.ts). Every
 * writer calls it before anything else: the row lock it takes on PostgreSQL makes one workspace's
 * writers queue in one order (no deadlocks) and commit in the order they took their ids.
 */
export async function bumpDataVersion(trx: Transaction<Database>, workspaceId: number): Promise<void> {
  await trx
    .updateTable('workspaces')
    .set((eb) => ({ data_version: eb('data_version', '+', 1) }))
    .where('id', '=', workspaceId)
    .execute();
}
