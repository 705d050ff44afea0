import { type Kysely, sql } from 'kysely';
import { dialectOf } from '../dialect.js';
import * as indexPhoneSuffixes from './2026-11-26T140000-index-phone-suffixes.js';

/**
 * Each row of `contact_phone_suffixes` also holds its contact's newest conversation, by the
 * list's default order (`created_at`, then id): `newest_created_at` and `newest_id`, NULL while
 * the contact has none. The first page of a phone fragment in that order then needs only the
 * contacts whose newest conversations come first: the top k conversations belong to at most k
 * contacts, and each of those contacts' newest is at least as new as the conversation of it on
 * the page, so they are among the k contacts with the newest ones. The fragment's range is read
 * once, as its total reads it, and a few contacts' conversations after it, where gathering read
 * every match (measured on the benchmark's million conversations, 1,000–7,000 matches: 1.85 ms
 * a page gathered, 0.24 ms this way).
 *
 * Kept by the same triggers as the counts, rewritten here: the contact's newest is looked up again
 * through the contact's index when a conversation is added (on SQLite, compared instead), moved,
 * re-dated or deleted. Down rebuilds the table as the migration that made it left it.
 */

/** The six triggers of the migration that made the table, by the same names (its `down` drops them by name). */
const TRIGGERS = (['contact', 'conversation'] as const).flatMap((row) =>
  (['insert', 'update', 'delete'] as const).map((event) => ({
    name: `${row}_phone_suffixes_${event}`,
    table: `${row}s`,
    event,
    fn: `parley_${row}_suffixes_${event}`,
  })),
);

/** The newest conversation of a contact, as (created_at, id); no row when it has none. */
const newestOf = (workspaceId: string, contactId: string) => `
  select c.created_at, c.id from conversations c where c.workspace_id = ${workspaceId} and c.contact_id = ${contactId}
  order by c.created_at desc, c.id desc limit 1`;

export async function up(db: Kysely<unknown>): Promise<void> {
  const postgres = dialectOf(db) === 'postgres';
  for (const { name, table } of TRIGGERS) await sql.raw(`drop trigger ${name}${postgres ? ` on ${table}` : ''}`).execute(db);
  if (postgres) await sql.raw(`drop function ${TRIGGERS.map(({ fn }) => fn).join(', ')}`).execute(db);
  for (const column of ['newest_created_at', 'newest_id']) {
    await db.schema.alterTable('contact_phone_suffixes').addColumn(column, 'bigint').execute();
  }
  if (postgres) await upPostgres(db);
  else await upSqlite(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await indexPhoneSuffixes.down(db);
  await indexPhoneSuffixes.up(db);
}

/** SQLite: row triggers, as before; positions 1‥64 of a number from a JSON array (a trigger may not hold a CTE). */
async function upSqlite(db: Kysely<unknown>) {
  await sql
    .raw(`update contact_phone_suffixes as s set (newest_created_at, newest_id) = (${newestOf('s.workspace_id', 's.contact_id')})`)
    .execute(db);

  const positions = `json_each('${JSON.stringify(Array.from({ length: 64 }, (_, i) => i + 1))}')`;
  const suffixesOf = (digits: string) => `${positions} p where p.value <= length(${digits})`;
  const addSuffixes = (row: 'new' | 'old') => `
    insert into contact_phone_suffixes (workspace_id, suffix, contact_id, conversations, newest_created_at, newest_id)
    select ${row}.workspace_id, substr(${row}.phone_digits, p.value), ${row}.id, k.n, w.created_at, w.id
    from (select count(*) as n from conversations c where c.workspace_id = ${row}.workspace_id and c.contact_id = ${row}.id) k
      left join (${newestOf(`${row}.workspace_id`, `${row}.id`)}) w on 1,
      ${suffixesOf(`${row}.phone_digits`)};`;
  const removeSuffixes = (row: 'new' | 'old') => `
    delete from contact_phone_suffixes
    where workspace_id = ${row}.workspace_id and contact_id = ${row}.id
      and suffix in (select substr(${row}.phone_digits, p.value) from ${suffixesOf(`${row}.phone_digits`)});`;
  /** Each of the contact's suffixes by its primary key: the contact's digits give them. */
  const contactSuffixes = (row: 'new' | 'old') => `
    where workspace_id = ${row}.workspace_id and contact_id = ${row}.contact_id
      and suffix in (
        select substr(ct.phone_digits, p.value) from contacts ct, ${suffixesOf('ct.phone_digits')} and ct.id = ${row}.contact_id);`;
  // A new conversation is the newest when it comes after the newest so far; SET reads the values before the update.
  const comesAfterNewest =
    'newest_id is null or new.created_at > newest_created_at or (new.created_at = newest_created_at and new.id > newest_id)';
  const added = `
    update contact_phone_suffixes set conversations = conversations + 1,
      newest_created_at = case when ${comesAfterNewest} then new.created_at else newest_created_at end,
      newest_id = case when ${comesAfterNewest} then new.id else newest_id end
    ${contactSuffixes('new')}`;
  const recounted = (row: 'new' | 'old', by: '+ 1' | '- 1') => `
    update contact_phone_suffixes set conversations = conversations ${by},
      (newest_created_at, newest_id) = (${newestOf(`${row}.workspace_id`, `${row}.contact_id`)})
    ${contactSuffixes(row)}`;

  for (const statement of [
    `create trigger contact_phone_suffixes_insert after insert on contacts begin ${addSuffixes('new')} end`,
    `create trigger contact_phone_suffixes_update after update of phone_digits on contacts
     when old.phone_digits is not new.phone_digits begin ${removeSuffixes('old')} ${addSuffixes('new')} end`,
    `create trigger contact_phone_suffixes_delete after delete on contacts begin ${removeSuffixes('old')} end`,
    `create trigger conversation_phone_suffixes_insert after insert on conversations begin ${added} end`,
    // Moved or re-dated: both contacts' newest looked up again (one contact twice when only the date moved).
    `create trigger conversation_phone_suffixes_update after update of contact_id, created_at on conversations
     when old.contact_id is not new.contact_id or old.created_at is not new.created_at
     begin ${recounted('old', '- 1')} ${recounted('new', '+ 1')} end`,
    `create trigger conversation_phone_suffixes_delete after delete on conversations begin ${recounted('old', '- 1')} end`,
  ]) {
    await sql.raw(statement).execute(db);
  }
}

/**
 * PostgreSQL: statement triggers with transition tables, as before, planned with nested loops
 * only (see the migration that made the table). The newest conversations join the count in the
 * primary key's INCLUDE, so that a fragment's top contacts are read from the index alone, as its
 * sum is.
 */
const NESTED_LOOPS = 'set enable_hashjoin = off set enable_mergejoin = off set jit = off';

async function upPostgres(db: Kysely<unknown>) {
  const suffixesOf = (row: string) => `cross join lateral generate_series(1, length(${row}.phone_digits)) p`;
  const newest = (workspaceId: string, contactId: string) => `left join lateral (${newestOf(workspaceId, contactId)}) w on true`;
  const addSuffixes = (rows: string) => `
    insert into contact_phone_suffixes (workspace_id, suffix, contact_id, conversations, newest_created_at, newest_id)
    select ct.workspace_id, substr(ct.phone_digits, p), ct.id, k.n, w.created_at, w.id
    from ${rows}
    cross join lateral (select count(*) as n from conversations c where c.workspace_id = ct.workspace_id and c.contact_id = ct.id) k
    ${newest('ct.workspace_id', 'ct.id')}
    ${suffixesOf('ct')};`;
  const byKeys = (keys: string) => `with x as materialized (${keys})`;
  const atKeys = 's.workspace_id = x.workspace_id and s.suffix = x.suffix and s.contact_id = x.contact_id';
  const removeSuffixes = (rows: string) => `
    ${byKeys(`select ct.workspace_id, substr(ct.phone_digits, p) as suffix, ct.id as contact_id from ${rows} ${suffixesOf('ct')}`)}
    delete from contact_phone_suffixes s using x where ${atKeys};`;
  /**
   * `changes`: rows of (workspace_id, contact_id, k), k the change in the contact's conversations,
   * 0 for one whose newest may have changed alone (a conversation re-dated).
   */
  const recount = (changes: string) => `
    ${byKeys(`
      select d.workspace_id, substr(ct.phone_digits, p) as suffix, d.contact_id, d.k, w.created_at, w.id
      from (select workspace_id, contact_id, sum(k) as k from (${changes}) changes group by workspace_id, contact_id) d
      join contacts ct on ct.id = d.contact_id
      ${newest('d.workspace_id', 'd.contact_id')}
      ${suffixesOf('ct')}`)}
    update contact_phone_suffixes s set conversations = s.conversations + x.k, newest_created_at = x.created_at, newest_id = x.id
    from x where ${atKeys};`;
  const renumbered = (side: 'o' | 'n') =>
    `(select ${side}.* from old_rows o join new_rows n on n.id = o.id where o.phone_digits is distinct from n.phone_digits) as ct`;
  const moved = (side: 'o' | 'n', k: number) =>
    `select ${side}.workspace_id, ${side}.contact_id, ${k} as k from old_rows o join new_rows n on n.id = o.id
     where o.contact_id is distinct from n.contact_id`;
  const redated = `select n.workspace_id, n.contact_id, 0 as k from old_rows o join new_rows n on n.id = o.id
     where o.contact_id = n.contact_id and o.created_at is distinct from n.created_at`;

  const bodies: Record<(typeof TRIGGERS)[number]['fn'], string> = {
    parley_contact_suffixes_insert: addSuffixes('new_rows as ct'),
    parley_contact_suffixes_update: `${removeSuffixes(renumbered('o'))} ${addSuffixes(renumbered('n'))}`,
    parley_contact_suffixes_delete: removeSuffixes('old_rows as ct'),
    parley_conversation_suffixes_insert: recount('select workspace_id, contact_id, 1 as k from new_rows'),
    parley_conversation_suffixes_update: recount(`${moved('o', -1)} union all ${moved('n', 1)} union all ${redated}`),
    parley_conversation_suffixes_delete: recount('select workspace_id, contact_id, -1 as k from old_rows'),
  };
  const transitions = {
    insert: 'new table as new_rows',
    update: 'old table as old_rows new table as new_rows',
    delete: 'old table as old_rows',
  };
  const triggers = TRIGGERS.map(
    ({ name, table, event, fn }) => `
    create function ${fn}() returns trigger language plpgsql ${NESTED_LOOPS} as $$ begin ${bodies[fn]} return null; end $$;
    create trigger ${name} after ${event} on ${table} referencing ${transitions[event]} for each statement execute function ${fn}();`,
  ).join('');

  await sql
    .raw(
      `
    alter table contact_phone_suffixes drop constraint contact_phone_suffixes_pkey;
    update contact_phone_suffixes s set newest_created_at = w.created_at, newest_id = w.id
    from (select distinct on (contact_id) contact_id, created_at, id from conversations order by contact_id, created_at desc, id desc) w
    where s.contact_id = w.contact_id;
    alter table contact_phone_suffixes add primary key (workspace_id, suffix, contact_id) include (conversations, newest_created_at, newest_id);
    ${triggers}`,
    )
    .execute(db);
}
