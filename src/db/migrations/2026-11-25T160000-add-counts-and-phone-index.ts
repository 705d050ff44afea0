import { type Kysely, sql } from 'kysely';
import { dialectOf } from '../dialect.js';

/**
 * Two structures that make the list fast at a million conversations, both kept exact by the
 * database itself in the writing transaction, whichever write path (API, import) wrote:
 *
 * - `conversation_counts`: how many conversations each (workspace, status, channel, agent) has.
 *   A `total` under any mix of those filters is a SUM over at most a few hundred rows instead of
 *   a COUNT over up to a million index entries. `agent_id` 0 stands for "no agent" so that the
 *   key has no NULL in it.
 * - a trigram index over contacts' normalised phone digits, so that a fragment anywhere in a
 *   number is found without scanning every contact: FTS5's trigram tokenizer on SQLite,
 *   pg_trgm's GIN index on PostgreSQL.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('conversation_counts')
    .addColumn('workspace_id', 'bigint', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('agent_id', 'bigint', (c) => c.notNull())
    .addColumn('n', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('conversation_counts_pk', ['workspace_id', 'status', 'channel', 'agent_id'])
    .execute();
  await sql`
    insert into conversation_counts (workspace_id, status, channel, agent_id, n)
    select workspace_id, status, channel, coalesce(agent_id, 0), count(*) from conversations
    group by workspace_id, status, channel, coalesce(agent_id, 0)`.execute(db);

  if (dialectOf(db) === 'sqlite') await upSqlite(db);
  else await upPostgres(db);
  await createPhoneTrigramIndex(db);
}

const increment = (row: 'new' | 'old') =>
  sql.raw(`
    insert into conversation_counts (workspace_id, status, channel, agent_id, n)
    values (${row}.workspace_id, ${row}.status, ${row}.channel, coalesce(${row}.agent_id, 0), 1)
    on conflict (workspace_id, status, channel, agent_id) do update set n = n + 1;`);

const decrement = (row: 'new' | 'old') =>
  sql.raw(`
    update conversation_counts set n = n - 1
    where workspace_id = ${row}.workspace_id and status = ${row}.status
      and channel = ${row}.channel and agent_id = coalesce(${row}.agent_id, 0);`);

async function upSqlite(db: Kysely<unknown>) {
  await sql`create trigger conversation_counts_insert after insert on conversations begin ${increment('new')} end`.execute(db);
  await sql`create trigger conversation_counts_delete after delete on conversations begin ${decrement('old')} end`.execute(db);
  await sql`
    create trigger conversation_counts_update after update of workspace_id, status, channel, agent_id on conversations
    when old.workspace_id is not new.workspace_id or old.status is not new.status
      or old.channel is not new.channel or old.agent_id is not new.agent_id
    begin ${decrement('old')} ${increment('new')} end`.execute(db);
}

/**
 * Statement-level triggers with transition tables: a bulk insert of thousands of rows adjusts
 * each count once per statement, not once per row.
 */
async function upPostgres(db: Kysely<unknown>) {
  const adjust = (rows: string, sign: '+' | '-') => `
    insert into conversation_counts as c (workspace_id, status, channel, agent_id, n)
    select workspace_id, status, channel, coalesce(agent_id, 0), ${sign === '+' ? '' : '-'}count(*) from ${rows}
    group by workspace_id, status, channel, coalesce(agent_id, 0)
    on conflict (workspace_id, status, channel, agent_id) do update set n = c.n + excluded.n;`;
  const changed = (side: 'o' | 'n') => `(
    select ${side}.* from old_rows o join new_rows n on n.id = o.id
    where (o.workspace_id, o.status, o.channel, coalesce(o.agent_id, 0))
      is distinct from (n.workspace_id, n.status, n.channel, coalesce(n.agent_id, 0))) as changed`;

  await sql
    .raw(
      `
    create function parley_counts_insert() returns trigger language plpgsql as $$
    begin ${adjust('new_rows', '+')} return null; end $$;
    create function parley_counts_delete() returns trigger language plpgsql as $$
    begin ${adjust('old_rows', '-')} return null; end $$;
    create function parley_counts_update() returns trigger language plpgsql as $$
    begin ${adjust(changed('o'), '-')} ${adjust(changed('n'), '+')} return null; end $$;
    create trigger conversation_counts_insert after insert on conversations
      referencing new table as new_rows for each statement execute function parley_counts_insert();
    create trigger conversation_counts_delete after delete on conversations
      referencing old table as old_rows for each statement execute function parley_counts_delete();
    create trigger conversation_counts_update after update on conversations
      referencing old table as old_rows new table as new_rows for each statement execute function parley_counts_update();`,
    )
    .execute(db);
}

/**
 * The trigram index over contacts' phone digits. Exported for the migration that replaces it
 * with suffixes (2026-11-26T140000), whose `down` puts it back.
 */
export async function createPhoneTrigramIndex(db: Kysely<unknown>): Promise<void> {
  if (dialectOf(db) === 'postgres') {
    // btree_gin lets the trigram index lead with workspace_id, as every index here does.
    await sql`create extension if not exists pg_trgm`.execute(db);
    await sql`create extension if not exists btree_gin`.execute(db);
    await sql`create index contacts_phone_trigrams on contacts using gin (workspace_id, phone_digits gin_trgm_ops)`.execute(db);
    return;
  }
  // External content: the index holds trigrams only; the digits stay in contacts. case_sensitive 1
  // lets GLOB (whose wildcards are not % and _) use the index; the digits are stored lower-cased.
  await sql`
    create virtual table contacts_phone_fts using fts5(
      phone_digits, content = 'contacts', content_rowid = 'id', tokenize = 'trigram case_sensitive 1', detail = 'full')`.execute(db);
  await sql`insert into contacts_phone_fts (contacts_phone_fts) values ('rebuild')`.execute(db);
  await sql`
    create trigger contacts_phone_insert after insert on contacts begin
      insert into contacts_phone_fts (rowid, phone_digits) values (new.id, new.phone_digits);
    end`.execute(db);
  await sql`
    create trigger contacts_phone_delete after delete on contacts begin
      insert into contacts_phone_fts (contacts_phone_fts, rowid, phone_digits) values ('delete', old.id, old.phone_digits);
    end`.execute(db);
  await sql`
    create trigger contacts_phone_update after update of phone_digits on contacts
    when old.phone_digits is not new.phone_digits begin
      insert into contacts_phone_fts (contacts_phone_fts, rowid, phone_digits) values ('delete', old.id, old.phone_digits);
      insert into contacts_phone_fts (rowid, phone_digits) values (new.id, new.phone_digits);
    end`.execute(db);
}

export async function dropPhoneTrigramIndex(db: Kysely<unknown>): Promise<void> {
  if (dialectOf(db) === 'postgres') {
    await sql`drop index contacts_phone_trigrams`.execute(db);
    return;
  }
  for (const trigger of ['contacts_phone_insert', 'contacts_phone_delete', 'contacts_phone_update']) {
    await sql`drop trigger ${sql.raw(trigger)}`.execute(db);
  }
  await sql`drop table contacts_phone_fts`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await dropPhoneTrigramIndex(db);
  for (const trigger of ['conversation_counts_insert', 'conversation_counts_delete', 'conversation_counts_update']) {
    await sql`drop trigger ${sql.raw(trigger)}${sql.raw(dialectOf(db) === 'postgres' ? ' on conversations' : '')}`.execute(db);
  }
  if (dialectOf(db) === 'postgres') {
    await sql`drop function parley_counts_insert, parley_counts_delete, parley_counts_update`.execute(db);
  }
  await db.schema.dropTable('conversation_counts').execute();
}
