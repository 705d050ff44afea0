import { type Kysely, sql } from 'kysely';
import { dialectOf } from '../dialect.js';

/**
 * Lets a bulk write (import, seed) add its contacts' phone suffixes itself, once per batch after
 * its conversations, instead of through the two insert triggers of `contact_phone_suffixes`.
 * Through them, each conversation added updated its contact's dozen rows, spread over the table,
 * one conversation at a time, and a contact added in the same batch had its rows inserted first
 * and then updated again for each of its conversations: measured in-process on SQLite, 42 % of
 * the time of a million lines into 200,000 conversations. The writer's one statement writes each
 * row once with the contact's count and newest conversation, read after all its batch's writes.
 *
 * The two triggers stand aside only inside a transaction that says so, and the writer says so
 * only around the writes whose suffixes it adds (see `Statements.withPhoneSuffixesAfter`): on
 * SQLite while `phone_suffixes_deferred` holds a row, which is the writer's own, uncommitted (no
 * other connection sees it) and deleted before it commits; on PostgreSQL while the
 * transaction-local setting `parley.phone_suffixes_deferred` is 'on'. Every other write, and every update or delete
 * in a bulk write, keeps the suffixes through the triggers as before.
 */

const SETTING = 'parley.phone_suffixes_deferred';
const TRIGGERS = [
  { name: 'contact_phone_suffixes_insert', table: 'contacts', fn: 'parley_contact_suffixes_insert' },
  { name: 'conversation_phone_suffixes_insert', table: 'conversations', fn: 'parley_conversation_suffixes_insert' },
] as const;
const SQLITE_WHEN = ' when not exists (select 1 from phone_suffixes_deferred) begin ';

export async function up(db: Kysely<unknown>): Promise<void> {
  if (dialectOf(db) === 'postgres') {
    await recreatePostgres(db, `when (current_setting('${SETTING}', true) is distinct from 'on')`);
  } else {
    await sql`create table phone_suffixes_deferred (deferred integer primary key)`.execute(db);
    await rewriteSqlite(db, (text) => text.replace(/^(create trigger \w+ after insert on \w+) begin /i, `$1${SQLITE_WHEN}`));
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  if (dialectOf(db) === 'postgres') {
    await recreatePostgres(db, '');
  } else {
    await rewriteSqlite(db, (text) => text.replace(SQLITE_WHEN, ' begin '));
    await sql`drop table phone_suffixes_deferred`.execute(db);
  }
}

/** PostgreSQL: the statement triggers again, their functions unchanged, with `when` before the function. */
async function recreatePostgres(db: Kysely<unknown>, when: string) {
  for (const { name, table, fn } of TRIGGERS) {
    await sql
      .raw(
        `drop trigger ${name} on ${table};
        create trigger ${name} after insert on ${table} referencing new table as new_rows
        for each statement ${when} execute function ${fn}()`,
      )
      .execute(db);
  }
}

/** SQLite: each trigger made again from its stored text, rewritten; the bodies stay as the earlier migrations wrote them. */
async function rewriteSqlite(db: Kysely<unknown>, rewrite: (text: string) => string) {
  for (const { name } of TRIGGERS) {
    const { rows } = await sql<{ sql: string }>`select sql from sqlite_master where type = 'trigger' and name = ${name}`.execute(db);
    const text = rows[0]?.sql;
    const rewritten = text === undefined ? undefined : rewrite(text);
    if (rewritten === undefined || rewritten === text) throw new Error(`trigger ${name} is not as the earlier migrations left it`);
    await sql.raw(`drop trigger ${name}`).execute(db);
    await sql.raw(rewritten).execute(db);
  }
}
