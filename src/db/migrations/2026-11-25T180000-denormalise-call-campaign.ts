import { type Kysely, sql } from 'kysely';
import { dialectOf } from '../dialect.js';

/**
 * `conversations.campaign_id` copies the campaign of the conversation's call (a conversation
 * has at most one call), so that the campaign filter reads one index in the list's order instead
 * of joining calls and sorting every match. Triggers on calls keep it exact for every write path.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const postgres = dialectOf(db) === 'postgres';
  await db.schema
    .alterTable('conversations')
    .addColumn('campaign_id', postgres ? 'bigint' : 'integer')
    .execute();
  await sql`
    update conversations set campaign_id = (select calls.campaign_id from calls where calls.conversation_id = conversations.id)
    where exists (select 1 from calls where calls.conversation_id = conversations.id)`.execute(db);
  for (const sortKey of ['created_at', 'updated_at']) {
    await db.schema
      .createIndex(`conversations_campaign_${sortKey}`)
      .on('conversations')
      .columns(['workspace_id', 'campaign_id', sortKey, 'id'])
      .execute();
  }
  if (postgres) await upPostgres(db);
  else await upSqlite(db);
}

async function upSqlite(db: Kysely<unknown>) {
  await sql`
    create trigger calls_campaign_insert after insert on calls begin
      update conversations set campaign_id = new.campaign_id where id = new.conversation_id;
    end`.execute(db);
  await sql`
    create trigger calls_campaign_update after update of campaign_id, conversation_id on calls begin
      update conversations set campaign_id = null where id = old.conversation_id;
      update conversations set campaign_id = new.campaign_id where id = new.conversation_id;
    end`.execute(db);
  await sql`
    create trigger calls_campaign_delete after delete on calls begin
      update conversations set campaign_id = null where id = old.conversation_id;
    end`.execute(db);
}

/** Statement-level, like the counts: a bulk write of calls updates their conversations in one statement. */
async function upPostgres(db: Kysely<unknown>) {
  await sql
    .raw(
      `
    create function parley_call_campaign_set() returns trigger language plpgsql as $$
    begin
      update conversations c set campaign_id = n.campaign_id from new_rows n
      where c.id = n.conversation_id and c.campaign_id is distinct from n.campaign_id;
      return null;
    end $$;
    create function parley_call_campaign_clear() returns trigger language plpgsql as $$
    begin
      update conversations c set campaign_id = null from old_rows o
      where c.id = o.conversation_id and c.campaign_id is not null
        and not exists (select 1 from calls k where k.conversation_id = o.conversation_id);
      return null;
    end $$;
    create trigger calls_campaign_insert after insert on calls
      referencing new table as new_rows for each statement execute function parley_call_campaign_set();
    create trigger calls_campaign_update after update on calls
      referencing new table as new_rows for each statement execute function parley_call_campaign_set();
    create trigger calls_campaign_update_old after update on calls
      referencing old table as old_rows for each statement execute function parley_call_campaign_clear();
    create trigger calls_campaign_delete after delete on calls
      referencing old table as old_rows for each statement execute function parley_call_campaign_clear();`,
    )
    .execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  const postgres = dialectOf(db) === 'postgres';
  for (const trigger of ['calls_campaign_insert', 'calls_campaign_update', 'calls_campaign_update_old', 'calls_campaign_delete']) {
    if (postgres || trigger !== 'calls_campaign_update_old') {
      await sql.raw(`drop trigger if exists ${trigger}${postgres ? ' on calls' : ''}`).execute(db);
    }
  }
  if (postgres) await sql`drop function parley_call_campaign_set, parley_call_campaign_clear`.execute(db);
  for (const sortKey of ['created_at', 'updated_at']) await db.schema.dropIndex(`conversations_campaign_${sortKey}`).execute();
  await db.schema.alterTable('conversations').dropColumn('campaign_id').execute();
}
