import { type Kysely, sql } from 'kysely';
import { dialectOf } from '../dialect.js';

/**
 * Two marks on each workspace that let a phone fragment's total, once counted, be brought up to
 * date instead of counted again (removed, with the code that read them, by the migration that
 * indexes phone suffixes):
 * - `last_conversation_id`, the highest id of its conversations. A workspace's writes commit one
 *   at a time and draw ids in that order, so every conversation committed after it was read has
 *   a higher id;
 * - `phone_version`, moved by anything else that can change which conversations a fragment
 *   matches: a contact's number changed, a conversation given another contact, or deleted.
 * Kept by triggers, so no write path can forget them. On PostgreSQL the insert trigger runs once
 * per statement: an import's batch moves the mark once.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const postgres = dialectOf(db) === 'postgres';
  for (const column of ['last_conversation_id', 'phone_version']) {
    await db.schema
      .alterTable('workspaces')
      .addColumn(column, 'bigint', (c) => c.notNull().defaultTo(0))
      .execute();
  }
  await sql`
    update workspaces set last_conversation_id = coalesce((select max(id) from conversations where workspace_id = workspaces.id), 0)`.execute(
    db,
  );
  if (!postgres) {
    const moveVersion = (row: 'new' | 'old') =>
      sql.raw(`update workspaces set phone_version = phone_version + 1 where id = ${row}.workspace_id;`);
    await sql`
      create trigger conversations_last_id after insert on conversations begin
        update workspaces set last_conversation_id = new.id where id = new.workspace_id and last_conversation_id < new.id;
      end`.execute(db);
    await sql`
      create trigger contacts_phone_version after update of phone_digits on contacts
      when old.phone_digits is not new.phone_digits begin ${moveVersion('new')} end`.execute(db);
    await sql`
      create trigger conversations_contact_version after update of contact_id on conversations
      when old.contact_id is not new.contact_id begin ${moveVersion('new')} end`.execute(db);
    await sql`create trigger conversations_delete_version after delete on conversations begin ${moveVersion('old')} end`.execute(db);
    return;
  }
  await sql
    .raw(
      `
    create function parley_last_conversation_id() returns trigger language plpgsql as $$
    begin
      update workspaces w set last_conversation_id = n.id
      from (select workspace_id, max(id) as id from new_rows group by workspace_id) n
      where w.id = n.workspace_id and w.last_conversation_id < n.id;
      return null;
    end $$;
    create trigger conversations_last_id after insert on conversations
      referencing new table as new_rows for each statement execute function parley_last_conversation_id();
    create function parley_phone_version() returns trigger language plpgsql as $$
    begin
      update workspaces set phone_version = phone_version + 1 where id = old.workspace_id;
      return null;
    end $$;
    create trigger contacts_phone_version after update of phone_digits on contacts
      for each row when (old.phone_digits is distinct from new.phone_digits) execute function parley_phone_version();
    create trigger conversations_contact_version after update of contact_id on conversations
      for each row when (old.contact_id is distinct from new.contact_id) execute function parley_phone_version();
    create trigger conversations_delete_version after delete on conversations
      for each row execute function parley_phone_version();`,
    )
    .execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  const postgres = dialectOf(db) === 'postgres';
  for (const [trigger, table] of [
    ['conversations_last_id', 'conversations'],
    ['contacts_phone_version', 'contacts'],
    ['conversations_contact_version', 'conversations'],
    ['conversations_delete_version', 'conversations'],
  ] as const) {
    await sql`drop trigger ${sql.raw(trigger)}${sql.raw(postgres ? ` on ${table}` : '')}`.execute(db);
  }
  if (postgres) {
    await sql`drop function parley_last_conversation_id()`.execute(db);
    await sql`drop function parley_phone_version()`.execute(db);
  }
  for (const column of ['phone_version', 'last_conversation_id']) await db.schema.alterTable('workspaces').dropColumn(column).execute();
}
