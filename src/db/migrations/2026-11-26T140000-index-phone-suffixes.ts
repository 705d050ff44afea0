import { type Kysely, sql } from 'kysely';
import { dialectOf } from '../dialect.js';
import { createPhoneTrigramIndex, dropPhoneTrigramIndex } from './2026-11-25T160000-add-counts-and-phone-index.js';
import * as addPhoneTotalMarks from './2026-11-26T080000-add-phone-total-marks.js';

/**
 * The phone filter's index, on both dialects alike: every suffix of each contact's phone digits,
 * one row each, with how many conversations the contact has. A fragment is in a number exactly
 * when it starts one of its suffixes, so the contacts a fragment matches are one range of the
 * primary key, and its `total` is the sum of that range's `conversations`, counting each contact
 * once: on the row where the fragment occurs for the last time, the one whose suffix does not
 * hold it again after its first character. Nothing else is stored: each row a conversation's
 * write updates is small, and so is the index its rows are spread over.
 *
 * It replaces the trigram indexes (FTS5, pg_trgm) and the marks that let a fragment's total be
 * kept between requests: with trigrams, a fragment made of common ones (a country or area code)
 * read long posting lists, and its total counted each contact's conversations, tens of
 * milliseconds per fragment at a million conversations; a range here reads only the matches.
 * Kept exact by triggers in the writing transaction, whichever write path wrote. The price is on
 * writes: a conversation added updates its contact's dozen rows, spread over the index (measured
 * at a million conversations on SQLite: about 100 µs each, and 100,000 more imported at 1,900/s
 * instead of 2,500/s with the trigram index).
 */

/** Phone numbers are at most 64 characters (the API's schema), so are their digits and suffixes. */
const MAX_DIGITS = 64;

/** The six triggers, one per write to a contact or a conversation, and each one's PostgreSQL function. */
const TRIGGERS = (['contact', 'conversation'] as const).flatMap((row) =>
  (['insert', 'update', 'delete'] as const).map((event) => ({
    name: `${row}_phone_suffixes_${event}`,
    table: `${row}s`,
    event,
    fn: `parley_${row}_suffixes_${event}`,
  })),
);

export async function up(db: Kysely<unknown>): Promise<void> {
  await addPhoneTotalMarks.down(db);
  await dropPhoneTrigramIndex(db);
  if (dialectOf(db) === 'postgres') await upPostgres(db);
  else await upSqlite(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  const postgres = dialectOf(db) === 'postgres';
  for (const { name, table } of TRIGGERS) {
    await sql`drop trigger ${sql.raw(name)}${sql.raw(postgres ? ` on ${table}` : '')}`.execute(db);
  }
  if (postgres) await sql`drop function ${sql.raw(TRIGGERS.map(({ fn }) => fn).join(', '))}`.execute(db);
  await db.schema.dropTable('contact_phone_suffixes').execute();
  await createPhoneTrigramIndex(db);
  await addPhoneTotalMarks.up(db);
}

/** SQLite: row triggers; a trigger may not hold a CTE, so the positions 1‥64 come from a JSON array. */
async function upSqlite(db: Kysely<unknown>) {
  await sql`
    create table contact_phone_suffixes (
      workspace_id integer not null,
      suffix text not null,
      contact_id integer not null,
      conversations integer not null,
      primary key (workspace_id, suffix, contact_id)
    ) without rowid`.execute(db);

  const positions = `json_each('${JSON.stringify(Array.from({ length: MAX_DIGITS }, (_, i) => i + 1))}')`;
  /** The suffixes of `row`'s digits, as `p.value` (the position) joined to the row. */
  const suffixesOf = (digits: string) => `${positions} p where p.value <= length(${digits})`;
  const addSuffixes = (row: 'new' | 'old') => `
    insert into contact_phone_suffixes (workspace_id, suffix, contact_id, conversations)
    select ${row}.workspace_id, substr(${row}.phone_digits, p.value), ${row}.id, k.n
    from (select count(*) as n from conversations c where c.workspace_id = ${row}.workspace_id and c.contact_id = ${row}.id) k,
      ${suffixesOf(`${row}.phone_digits`)};`;
  const removeSuffixes = (row: 'new' | 'old') => `
    delete from contact_phone_suffixes
    where workspace_id = ${row}.workspace_id and contact_id = ${row}.id
      and suffix in (select substr(${row}.phone_digits, p.value) from ${suffixesOf(`${row}.phone_digits`)});`;
  // Each of the contact's suffixes by its primary key: the contact's digits give them.
  const moveCount = (row: 'new' | 'old', by: '+ 1' | '- 1') => `
    update contact_phone_suffixes set conversations = conversations ${by}
    where workspace_id = ${row}.workspace_id and contact_id = ${row}.contact_id
      and suffix in (
        select substr(ct.phone_digits, p.value) from contacts ct, ${suffixesOf('ct.phone_digits')} and ct.id = ${row}.contact_id);`;

  for (const statement of [
    `create trigger contact_phone_suffixes_insert after insert on contacts begin ${addSuffixes('new')} end`,
    `create trigger contact_phone_suffixes_update after update of phone_digits on contacts
     when old.phone_digits is not new.phone_digits begin ${removeSuffixes('old')} ${addSuffixes('new')} end`,
    `create trigger contact_phone_suffixes_delete after delete on contacts begin ${removeSuffixes('old')} end`,
    `create trigger conversation_phone_suffixes_insert after insert on conversations begin ${moveCount('new', '+ 1')} end`,
    `create trigger conversation_phone_suffixes_update after update of contact_id on conversations
     when old.contact_id is not new.contact_id begin ${moveCount('old', '- 1')} ${moveCount('new', '+ 1')} end`,
    `create trigger conversation_phone_suffixes_delete after delete on conversations begin ${moveCount('old', '- 1')} end`,
  ]) {
    await sql.raw(statement).execute(db);
  }

  await sql
    .raw(
      `
    insert into contact_phone_suffixes (workspace_id, suffix, contact_id, conversations)
    select ct.workspace_id, substr(ct.phone_digits, p.value), ct.id, coalesce(n.conversations, 0)
    from contacts ct
    join ${positions} p on p.value <= length(ct.phone_digits)
    left join (select contact_id, count(*) as conversations from conversations group by contact_id) n on n.contact_id = ct.id`,
    )
    .execute(db);
}

/**
 * PostgreSQL: statement triggers with transition tables, so that an import's batch adjusts each
 * contact's suffixes once. "C" collation: the fragment's range is a range of bytes, as on SQLite.
 * The key includes the count, so that a fragment's sum is read from the index alone, as SQLite's
 * WITHOUT ROWID table reads it (measured on the benchmark's million: 3.45 ms a phone request
 * in-process instead of 5.38, the sums' heap reads gone), at the price of a new index entry for
 * each count moved.
 *
 * Their functions plan with nested loops only. The planner takes `generate_series` for a
 * thousand rows, so a batch of a thousand conversations looked like a million suffixes to update,
 * and it hashed the whole table for them (a sequential scan of 3.4 million rows, with JIT, per
 * batch); each contact's dozen rows are a dozen probes of the primary key (measured: 0.17 s for
 * such a batch at a million conversations).
 */
const NESTED_LOOPS = 'set enable_hashjoin = off set enable_mergejoin = off set jit = off';

async function upPostgres(db: Kysely<unknown>) {
  const suffixesOf = (row: string) => `cross join lateral generate_series(1, length(${row}.phone_digits)) p`;
  const addSuffixes = (rows: string) => `
    insert into contact_phone_suffixes (workspace_id, suffix, contact_id, conversations)
    select ct.workspace_id, substr(ct.phone_digits, p), ct.id, k.n
    from ${rows}
    cross join lateral (select count(*) as n from conversations c where c.workspace_id = ct.workspace_id and c.contact_id = ct.id) k
    ${suffixesOf('ct')};`;
  // The keys are made first, in a materialised CTE: joined as they are made, the primary key was
  // probed by workspace and contact alone, the suffix coming later in the join.
  const byKeys = (keys: string) => `with x as materialized (${keys})`;
  const atKeys = 's.workspace_id = x.workspace_id and s.suffix = x.suffix and s.contact_id = x.contact_id';
  const removeSuffixes = (rows: string) => `
    ${byKeys(`select ct.workspace_id, substr(ct.phone_digits, p) as suffix, ct.id as contact_id from ${rows} ${suffixesOf('ct')}`)}
    delete from contact_phone_suffixes s using x where ${atKeys};`;
  /** `deltas`: rows of (workspace_id, contact_id, k), k the change in the contact's conversations. */
  const moveCounts = (deltas: string) => `
    ${byKeys(`
      select d.workspace_id, substr(ct.phone_digits, p) as suffix, d.contact_id, d.k
      from (select workspace_id, contact_id, sum(k) as k from (${deltas}) changes group by workspace_id, contact_id) d
      join contacts ct on ct.id = d.contact_id ${suffixesOf('ct')}
      where d.k <> 0`)}
    update contact_phone_suffixes s set conversations = s.conversations + x.k from x where ${atKeys};`;
  const renumbered = (side: 'o' | 'n') =>
    `(select ${side}.* from old_rows o join new_rows n on n.id = o.id where o.phone_digits is distinct from n.phone_digits) as ct`;
  const moved = (side: 'o' | 'n', k: number) =>
    `select ${side}.workspace_id, ${side}.contact_id, ${k} as k from old_rows o join new_rows n on n.id = o.id
     where o.contact_id is distinct from n.contact_id`;

  const bodies: Record<(typeof TRIGGERS)[number]['fn'], string> = {
    parley_contact_suffixes_insert: addSuffixes('new_rows as ct'),
    parley_contact_suffixes_update: `${removeSuffixes(renumbered('o'))} ${addSuffixes(renumbered('n'))}`,
    parley_contact_suffixes_delete: removeSuffixes('old_rows as ct'),
    parley_conversation_suffixes_insert: moveCounts('select workspace_id, contact_id, 1 as k from new_rows'),
    parley_conversation_suffixes_update: moveCounts(`${moved('o', -1)} union all ${moved('n', 1)}`),
    parley_conversation_suffixes_delete: moveCounts('select workspace_id, contact_id, -1 as k from old_rows'),
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
    create table contact_phone_suffixes (
      workspace_id bigint not null,
      suffix text collate "C" not null,
      contact_id bigint not null,
      conversations integer not null,
      primary key (workspace_id, suffix, contact_id) include (conversations)
    );
    ${triggers}
    insert into contact_phone_suffixes (workspace_id, suffix, contact_id, conversations)
    select ct.workspace_id, substr(ct.phone_digits, p), ct.id, coalesce(n.conversations, 0)
    from contacts ct ${suffixesOf('ct')}
    left join (select contact_id, count(*) as conversations from conversations group by contact_id) n on n.contact_id = ct.id;`,
    )
    .execute(db);
}
