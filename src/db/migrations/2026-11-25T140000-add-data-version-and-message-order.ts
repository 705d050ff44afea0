import type { Kysely } from 'kysely';

/**
 * `workspaces.data_version` moves with every write to a workspace's data, in the same
 * transaction, so a conditional GET can answer 304 without reading the data it guards.
 * `messages_order` serves walks over a workspace's messages in insertion order.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('workspaces')
    .addColumn('data_version', 'bigint', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema.createIndex('messages_order').on('messages').columns(['workspace_id', 'id']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('messages_order').execute();
  await db.schema.alterTable('workspaces').dropColumn('data_version').execute();
}
