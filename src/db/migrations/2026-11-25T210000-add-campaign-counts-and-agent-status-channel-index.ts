import { type Kysely, sql } from 'kysely';
import { dialectOf } from '../dialect.js';

/**
 * Two more shapes of the list made cheap at a million conversations:
 *
 * - `campaign_counts`: conversations per (workspace, campaign), kept by triggers on
 *   conversations.campaign_id (itself copied from the call by triggers), so that the total of a
 *   campaign filter is one row instead of a count over up to tens of thousands of index entries.
 * - an index on (workspace, agent, status, channel, sort key): with all three filters a page is
 *   read straight from it, where the agent's index alone would visit every conversation of the
 *   agent to find the few of one status and channel.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('campaign_counts')
    .addColumn('workspace_id', 'bigint', (c) => c.notNull())
    .addColumn('campaign_id', 'bigint', (c) => c.notNull())
    .addColumn('n', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('campaign_counts_pk', ['workspace_id', 'campaign_id'])
    .execute();
  await sql`
    insert into campaign_counts (workspace_id, campaign_id, n)
    select workspace_id, campaign_id, count(*) from conversations where campaign_id is not null
    group by workspace_id, campaign_id`.execute(db);
  for (const sortKey of ['created_at', 'updated_at']) {
    await db.schema
      .createIndex(`conversations_agent_status_channel_${sortKey}`)
      .on('conversations')
      .columns(['workspace_id', 'agent_id', 'status', 'channel', sortKey, 'id'])
      .execute();
  }
  if (dialectOf(db) === 'postgres') await upPostgres(db);
  else await upSqlite(db);
}

const increment = (row: 'new' | 'old') => `
    insert into campaign_counts (workspace_id, campaign_id, n) values (${row}.workspace_id, ${row}.campaign_id, 1)
    on conflict (workspace_id, campaign_id) do update set n = n + 1;`;
const decrement = (row: 'new' | 'old') =>
  `update campaign_counts set n = n - 1 where workspace_id = ${row}.workspace_id and campaign_id = ${row}.campaign_id;`;

async function upSqlite(db: Kysely<unknown>) {
  const statements = [
    `create trigger campaign_counts_insert after insert on conversations when new.campaign_id is not null
     begin ${increment('new')} end`,
    `create trigger campaign_counts_delete after delete on conversations when old.campaign_id is not null
     begin ${decrement('old')} end`,
    `create trigger campaign_counts_update_old after update of workspace_id, campaign_id on conversations
     when old.campaign_id is not null and (old.campaign_id is not new.campaign_id or old.workspace_id is not new.workspace_id)
     begin ${decrement('old')} end`,
    `create trigger campaign_counts_update_new after update of workspace_id, campaign_id on conversations
     when new.campaign_id is not null and (old.campaign_id is not new.campaign_id or old.workspace_id is not new.workspace_id)
     begin ${increment('new')} end`,
  ];
  for (const statement of statements) await sql.raw(statement).execute(db);
}

/** Statement-level with transition tables, as the other counts: a bulk write adjusts each count once. */
async function upPostgres(db: Kysely<unknown>) {
  const adjust = (rows: string, sign: '+' | '-') => `
    insert into campaign_counts as c (workspace_id, campaign_id, n)
    select workspace_id, campaign_id, ${sign === '+' ? '' : '-'}count(*) from ${rows} where campaign_id is not null
    group by workspace_id, campaign_id
    on conflict (workspace_id, campaign_id) do update set n = c.n + excluded.n;`;
  const changed = (side: 'o' | 'n') => `(
    select ${side}.* from old_rows o join new_rows n on n.id = o.id
    where (o.workspace_id, o.campaign_id) is distinct from (n.workspace_id, n.campaign_id)) as changed`;
  await sql
    .raw(
      `
    create function parley_campaign_counts_insert() returns trigger language plpgsql as $$
    begin ${adjust('new_rows', '+')} return null; end $$;
    create function parley_campaign_counts_delete() returns trigger language plpgsql as $$
    begin ${adjust('old_rows', '-')} return null; end $$;
    create function parley_campaign_counts_update() returns trigger language plpgsql as $$
    begin ${adjust(changed('o'), '-')} ${adjust(changed('n'), '+')} return null; end $$;
    create trigger campaign_counts_insert after insert on conversations
      referencing new table as new_rows for each statement execute function parley_campaign_counts_insert();
    create trigger campaign_counts_delete after delete on conversations
      referencing old table as old_rows for each statement execute function parley_campaign_counts_delete();
    create trigger campaign_counts_update after update on conversations
      referencing old table as old_rows new table as new_rows for each statement execute function parley_campaign_counts_update();`,
    )
    .execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  const postgres = dialectOf(db) === 'postgres';
  const triggers = postgres
    ? ['campaign_counts_insert', 'campaign_counts_delete', 'campaign_counts_update']
    : ['campaign_counts_insert', 'campaign_counts_delete', 'campaign_counts_update_old', 'campaign_counts_update_new'];
  for (const trigger of triggers) await sql.raw(`drop trigger ${trigger}${postgres ? ' on conversations' : ''}`).execute(db);
  if (postgres)
    await sql`drop function parley_campaign_counts_insert, parley_campaign_counts_delete, parley_campaign_counts_update`.execute(db);
  for (const sortKey of ['created_at', 'updated_at']) await db.schema.dropIndex(`conversations_agent_status_channel_${sortKey}`).execute();
  await db.schema.dropTable('campaign_counts').execute();
}
