import { type Kysely, sql } from 'kysely';
import { dialectOf } from '../dialect.js';

/**
 * `phone_fragment_totals`: the totals of a workspace's common phone fragments (a country or area
 * code), kept so that a request for one reads a row instead of summing the fragment's range of
 * `contact_phone_suffixes`, which for such a fragment holds tens of thousands of contacts (2–4 ms
 * a sum at a million conversations, on SQLite). A fragment's row is added by the first request
 * that finds it common (see `keepPhoneTotal`); from then on triggers keep it exact in the writing
 * transaction, whichever write path wrote: its total is the number of conversations whose
 * contact's digits contain it, so it moves when a conversation is added, moved to another contact
 * or deleted, and when a contact is added, renumbered or deleted with conversations. A write
 * checks each of its workspace's kept fragments against its contact's digits: a workspace keeps
 * a bounded few (see `KEPT_PHONE_FRAGMENTS`), and one without any checks none.
 */

/** The six triggers: one per write to a contact or a conversation, and each one's PostgreSQL function. */
const TRIGGERS = (['contact', 'conversation'] as const).flatMap((row) =>
  (['insert', 'update', 'delete'] as const).map((event) => ({
    name: `${row}_phone_fragment_totals_${event}`,
    table: `${row}s`,
    event,
    fn: `parley_${row}_fragment_totals_${event}`,
  })),
);

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('phone_fragment_totals')
    .addColumn('workspace_id', 'integer', (c) => c.notNull().references('workspaces.id').onDelete('cascade'))
    .addColumn('fragment', 'text', (c) => c.notNull())
    .addColumn('conversations', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('phone_fragment_totals_pkey', ['workspace_id', 'fragment'])
    .execute();
  if (dialectOf(db) === 'postgres') await upPostgres(db);
  else await upSqlite(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  const postgres = dialectOf(db) === 'postgres';
  for (const { name, table } of TRIGGERS) await sql.raw(`drop trigger ${name}${postgres ? ` on ${table}` : ''}`).execute(db);
  if (postgres) await sql.raw(`drop function ${TRIGGERS.map(({ fn }) => fn).join(', ')}`).execute(db);
  await db.schema.dropTable('phone_fragment_totals').execute();
}

/** SQLite: row triggers. `instr` of a NULL number is NULL: a contact without one, or gone, matches nothing. */
async function upSqlite(db: Kysely<unknown>) {
  /** Moves by `by` the kept totals of `workspaceId` whose fragments `digits` contain. */
  const move = (workspaceId: string, digits: string, by: string) => `
    update phone_fragment_totals set conversations = conversations + ${by}
    where workspace_id = ${workspaceId} and instr(${digits}, fragment) > 0 and ${by} <> 0;`;
  const digitsOf = (contactId: string) => `(select phone_digits from contacts where id = ${contactId})`;
  const conversationsOf = (row: 'new' | 'old') =>
    `(select count(*) from conversations c where c.workspace_id = ${row}.workspace_id and c.contact_id = ${row}.id)`;

  for (const statement of [
    `create trigger contact_phone_fragment_totals_insert after insert on contacts
     begin ${move('new.workspace_id', 'new.phone_digits', conversationsOf('new'))} end`,
    `create trigger contact_phone_fragment_totals_update after update of phone_digits on contacts
     when old.phone_digits is not new.phone_digits
     begin ${move('old.workspace_id', 'old.phone_digits', `-${conversationsOf('old')}`)}
       ${move('new.workspace_id', 'new.phone_digits', conversationsOf('new'))} end`,
    `create trigger contact_phone_fragment_totals_delete after delete on contacts
     begin ${move('old.workspace_id', 'old.phone_digits', `-${conversationsOf('old')}`)} end`,
    `create trigger conversation_phone_fragment_totals_insert after insert on conversations
     begin ${move('new.workspace_id', digitsOf('new.contact_id'), '1')} end`,
    `create trigger conversation_phone_fragment_totals_update after update of contact_id on conversations
     when old.contact_id is not new.contact_id
     begin ${move('old.workspace_id', digitsOf('old.contact_id'), '-1')} ${move('new.workspace_id', digitsOf('new.contact_id'), '1')} end`,
    `create trigger conversation_phone_fragment_totals_delete after delete on conversations
     begin ${move('old.workspace_id', digitsOf('old.contact_id'), '-1')} end`,
  ]) {
    await sql.raw(statement).execute(db);
  }
}

/** PostgreSQL: statement triggers with transition tables, planned with nested loops only, as the suffixes' are. */
const NESTED_LOOPS = 'set enable_hashjoin = off set enable_mergejoin = off set jit = off';

async function upPostgres(db: Kysely<unknown>) {
  /**
   * `changes`: rows of (workspace_id, phone_digits, k), k conversations more (or fewer) whose
   * contact has those digits. Rows of workspaces that keep no fragment are dropped first, so a
   * write to one, an import's included, joins nothing further.
   */
  const move = (changes: string) => `
    update phone_fragment_totals t set conversations = t.conversations + x.k
    from (
      select f.workspace_id, f.fragment, sum(d.k) as k
      from (${changes}) d
      join phone_fragment_totals f on f.workspace_id = d.workspace_id and strpos(d.phone_digits, f.fragment) > 0
      where exists (select 1 from phone_fragment_totals w where w.workspace_id = d.workspace_id)
      group by f.workspace_id, f.fragment
    ) x
    where t.workspace_id = x.workspace_id and t.fragment = x.fragment and x.k <> 0;`;
  /** `rows` of conversations as (workspace_id, contact_id, k), with their contacts' digits. */
  const byContact = (rows: string) => `
    select c.workspace_id, ct.phone_digits, c.k
    from (select workspace_id, contact_id, sum(k) as k from (${rows}) r group by workspace_id, contact_id) c
    join contacts ct on ct.id = c.contact_id`;
  /** Contacts as `ct`, each with its conversations, `sign` 1 or -1. */
  const withConversations = (contacts: string, sign: 1 | -1) => `
    select ct.workspace_id, ct.phone_digits,
      ${sign} * (select count(*) from conversations c where c.workspace_id = ct.workspace_id and c.contact_id = ct.id) as k
    from ${contacts}`;
  const renumbered = (side: 'o' | 'n') =>
    `(select ${side}.* from old_rows o join new_rows n on n.id = o.id where o.phone_digits is distinct from n.phone_digits) as ct`;
  const moved = (side: 'o' | 'n', k: number) =>
    `select ${side}.workspace_id, ${side}.contact_id, ${k} as k from old_rows o join new_rows n on n.id = o.id
     where o.contact_id is distinct from n.contact_id`;

  const bodies: Record<(typeof TRIGGERS)[number]['fn'], string> = {
    parley_contact_fragment_totals_insert: move(withConversations('new_rows as ct', 1)),
    parley_contact_fragment_totals_update: move(
      `${withConversations(renumbered('o'), -1)} union all ${withConversations(renumbered('n'), 1)}`,
    ),
    parley_contact_fragment_totals_delete: move(withConversations('old_rows as ct', -1)),
    parley_conversation_fragment_totals_insert: move(byContact('select workspace_id, contact_id, 1 as k from new_rows')),
    parley_conversation_fragment_totals_update: move(byContact(`${moved('o', -1)} union all ${moved('n', 1)}`)),
    parley_conversation_fragment_totals_delete: move(byContact('select workspace_id, contact_id, -1 as k from old_rows')),
  };
  const transitions = {
    insert: 'new table as new_rows',
    update: 'old table as old_rows new table as new_rows',
    delete: 'old table as old_rows',
  };
  for (const { name, table, event, fn } of TRIGGERS) {
    await sql
      .raw(
        `create function ${fn}() returns trigger language plpgsql ${NESTED_LOOPS} as $$ begin ${bodies[fn]} return null; end $$;
         create trigger ${name} after ${event} on ${table} referencing ${transitions[event]} for each statement execute function ${fn}();`,
      )
      .execute(db);
  }
}
