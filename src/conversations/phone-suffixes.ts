import { type Kysely, sql } from 'kysely';
import { runCompiled } from '../db/compiled.js';
import { dialectOf } from '../db/dialect.js';
import type { Database } from '../db/tables.js';

/**
 * The phone filter through `contact_phone_suffixes` (see the migration that adds it): a fragment
 * is in a number exactly when it starts one of the number's suffixes, so the contacts it matches
 * are one range of that table's key, each read once: on the row where the fragment occurs for the
 * last time in the number, whose suffix does not hold it again after its first character.
 */

/**
 * The least string after every string that starts with `prefix`, in code point order, which is
 * the byte order of UTF-8 that SQLite's BINARY and PostgreSQL's "C" collations compare by: the
 * prefix with its last character moved one on (a last U+10FFFF is dropped first). A fragment
 * always holds a digit, so there is a character to move.
 */
export function prefixEnd(prefix: string): string {
  const characters = [...prefix];
  while (characters.length > 0) {
    const last = characters.pop()!.codePointAt(0)!;
    if (last < 0x10ffff) return characters.join('') + String.fromCodePoint(last === 0xd7ff ? 0xe000 : last + 1);
  }
  throw new Error('no string follows every string that starts with an empty prefix');
}

/** The parameters of `phoneMatches`, in its order. */
export const phoneMatchParameters = (workspaceId: number, phone: string) => [workspaceId, phone, prefixEnd(phone), phone];

/**
 * One row of `contact_phone_suffixes` per contact of the workspace whose normalised number contains `phone`.
 *
 * On PostgreSQL the fragment and its range's end are given through scalar subqueries, which hide
 * their values from the planner: it then plans a statement once for every fragment (a generic
 * plan) instead of again on each run. Each fragment's plan was the same range scan of the
 * table's key, and planning it again took 0.3–0.6 ms on the benchmark's million conversations,
 * more than most fragments take to run.
 */
export function phoneMatches(db: Kysely<Database>, workspaceId: number, phone: string) {
  const postgres = dialectOf(db) === 'postgres';
  const hidden = (value: string) => (postgres ? sql<string>`(select ${value}::text)` : sql<string>`${value}`);
  const rest = sql`substr(${sql.ref('s.suffix')}, 2)`;
  const foundInRest = postgres ? sql<number>`strpos(${rest}, ${hidden(phone)})` : sql<number>`instr(${rest}, ${phone})`;
  return db
    .selectFrom('contact_phone_suffixes as s')
    .where('s.workspace_id', '=', workspaceId)
    .where('s.suffix', '>=', hidden(phone))
    .where('s.suffix', '<', hidden(prefixEnd(phone)))
    .where(sql<boolean>`${foundInRest} = 0`);
}

/**
 * The `count` contacts a fragment matches whose newest conversations come first in the list's
 * default order: the contacts of its first `count` conversations in that order are among them
 * (see the migration that keeps each contact's newest). Contacts without conversations are left out.
 * `count` is written into the text, as the page size is: SQLite ran a phone page about a sixth
 * faster so than with it bound.
 */
export function newestPhoneContacts(db: Kysely<Database>, workspaceId: number, phone: string, count: number) {
  return phoneMatches(db, workspaceId, phone)
    .where('s.newest_id', 'is not', null)
    .select('s.contact_id')
    .orderBy('s.newest_created_at', 'desc')
    .orderBy('s.newest_id', 'desc')
    .limit(sql.lit(count));
}

/** Up to this many contacts matched by a phone fragment are listed in the queries. */
const LISTED_PHONE_CONTACTS = 5_000;

/**
 * On PostgreSQL, the contacts a fragment matches are looked up first and given to the queries as
 * an array, when there are not too many, as they were before the suffix table: its statements are
 * prepared and planned once for any fragment, and an array is estimated at a few ids, which the
 * page probes through the contact index. That is the path the benchmark measured. (A generic plan
 * of the subquery form, as SQLite runs it, also probed in `EXPLAIN`, but was not measured.)
 * Listed here only when the fragment's total was kept from an earlier request; otherwise the
 * statement that sums the total lists them too (`phoneTotalAndContacts`). Null: too many.
 */
export async function listPhoneContacts(db: Kysely<Database>, workspaceId: number, phone: string): Promise<number[] | null> {
  const rows = await runCompiled(db, 'phone contacts', [...phoneMatchParameters(workspaceId, phone), LISTED_PHONE_CONTACTS + 1], () =>
    phoneMatches(db, workspaceId, phone)
      .select('s.contact_id as id')
      .limit(LISTED_PHONE_CONTACTS + 1),
  );
  return rows.length <= LISTED_PHONE_CONTACTS ? rows.map((row) => row.id) : null;
}

/** A workspace keeps the totals of at most this many common fragments (see the migration that keeps them). */
const KEPT_PHONE_FRAGMENTS = 256;

/**
 * Workspaces found keeping as many fragments as they may, by database. Kept totals are never
 * dropped, so such a workspace's requests need not try again: each try summed the fragment's range
 * a second time and, on PostgreSQL, locked the table against the workspace's writes.
 */
const fullWorkspaces = new WeakMap<Kysely<Database>, Set<number>>();

/** How many fragments' totals the workspace keeps. */
const keptCount = (db: Kysely<Database>, workspaceId: number) =>
  db
    .selectFrom('phone_fragment_totals as k')
    .where('k.workspace_id', '=', workspaceId)
    .select((k) => k.fn.countAll<number>().as('n'));

/** The fragment's kept total, when its workspace keeps one. */
const keptTotal = (db: Kysely<Database>, workspaceId: number, phone: string) =>
  db
    .selectFrom('phone_fragment_totals as k')
    .where('k.workspace_id', '=', workspaceId)
    .where('k.fragment', '=', phone)
    .select('k.conversations');

/**
 * How many conversations of the workspace have a contact whose number contains `phone`: its
 * kept total, or else the sum of its range (`kept` says which). On PostgreSQL, when
 * `withContacts`, the sum also gives the contacts it matches, as `listPhoneContacts` gives them:
 * both come from one pass over the fragment's range, which the sum reads whole anyway. Without
 * them for a fragment asked alone in the default order, whose page takes none (read through
 * `newestPhoneContacts`, or walked): a common fragment's list was built over tens of thousands of
 * contacts only to be dropped as too long. With them, no kept total is looked for (`kept` undefined).
 */
export async function phoneTotalAndContacts(
  db: Kysely<Database>,
  workspaceId: number,
  phone: string,
  withContacts: boolean,
): Promise<{ total: number; kept?: boolean; contactIds?: number[] | null }> {
  if (dialectOf(db) === 'sqlite' || !withContacts) {
    const [row] = await runCompiled(
      db,
      'phone total',
      [workspaceId, phone, workspaceId, phone, ...phoneMatchParameters(workspaceId, phone)],
      // The range is summed only when no kept total is found: an uncorrelated subquery in a CASE
      // is run when its branch is taken, on both dialects.
      () =>
        db.selectNoFrom((eb) => [
          keptTotal(db, workspaceId, phone).as('kept'),
          eb
            .case()
            .when(eb.not(eb.exists(keptTotal(db, workspaceId, phone))))
            .then(phoneMatches(db, workspaceId, phone).select((m) => m.fn.sum<number | null>('s.conversations').as('total')))
            .end()
            .as('summed'),
        ]),
    );
    const kept = row?.kept != null;
    return { total: Number((kept ? row.kept : row?.summed) ?? 0), kept };
  }
  const [row] = await runCompiled(
    db,
    'phone total and contacts',
    [LISTED_PHONE_CONTACTS, ...phoneMatchParameters(workspaceId, phone)],
    () =>
      phoneMatches(db, workspaceId, phone).select((eb) => [
        eb.fn.sum<number | null>('s.conversations').as('total'),
        // NULL here means too many; array_agg of no rows is NULL too, hence the empty array.
        sql<
          string[] | null
        >`case when count(*) <= ${LISTED_PHONE_CONTACTS} then coalesce(array_agg(${sql.ref('s.contact_id')}), '{}') end`.as('ids'),
      ]),
  );
  return { total: Number(row?.total ?? 0), contactIds: row?.ids ? row.ids.map(Number) : null };
}

/**
 * Keeps a common fragment's total from now on, unless its workspace keeps as many as it may: the
 * sum of its range, written in one statement, as the triggers will move it. On PostgreSQL, taken
 * under a lock that waits for the writes in flight, whose triggers' updates of the table hold a
 * lock it conflicts with, and holds back those that come after: the sum then counts every write
 * committed before the row, and the triggers move it for every write after. Given up, for a later
 * request to try again, when the lock is not had soon (on SQLite, within its busy timeout): a long
 * import may be holding it, and the total read already stands.
 */
export async function keepPhoneTotal(db: Kysely<Database>, workspaceId: number, phone: string): Promise<void> {
  let full = fullWorkspaces.get(db);
  if (!full) fullWorkspaces.set(db, (full = new Set()));
  if (full.has(workspaceId)) return;
  const keep = (trx: Kysely<Database>) =>
    runCompiled(
      trx,
      'keep phone total',
      [workspaceId, phone, ...phoneMatchParameters(workspaceId, phone), workspaceId, KEPT_PHONE_FRAGMENTS],
      () =>
        trx
          .insertInto('phone_fragment_totals')
          .columns(['workspace_id', 'fragment', 'conversations'])
          .expression(
            phoneMatches(trx, workspaceId, phone)
              .select((eb) => [
                eb.cast<number>(eb.val(workspaceId), 'integer').as('workspace_id'),
                eb.cast<string>(eb.val(phone), 'text').as('fragment'),
                eb.fn.coalesce(eb.fn.sum<number>('s.conversations'), sql.lit(0)).as('conversations'),
              ])
              .having(() => keptCount(trx, workspaceId), '<', KEPT_PHONE_FRAGMENTS),
          )
          .onConflict((oc) => oc.columns(['workspace_id', 'fragment']).doNothing())
          .returning('fragment'),
    );
  let added;
  try {
    if (dialectOf(db) === 'sqlite') added = await keep(db);
    else {
      added = await db.transaction().execute(async (trx) => {
        await sql`set local lock_timeout = '50ms'`.execute(trx);
        await sql`lock table phone_fragment_totals in share row exclusive mode`.execute(trx);
        return keep(trx);
      });
    }
  } catch (error) {
    if (!LOCK_NOT_HAD.has(String((error as { code?: unknown }).code))) throw error;
    return;
  }
  // Nothing added: the workspace is full, or another request kept the fragment meanwhile.
  if (added.length === 0 && (await keptFragments(db, workspaceId)) >= KEPT_PHONE_FRAGMENTS) full.add(workspaceId);
}

async function keptFragments(db: Kysely<Database>, workspaceId: number): Promise<number> {
  const [row] = await runCompiled(db, 'kept phone fragments', [workspaceId], () => keptCount(db, workspaceId));
  return Number(row?.n ?? 0);
}

/** PostgreSQL's lock_not_available, SQLite's busy. */
const LOCK_NOT_HAD = new Set(['55P03', 'SQLITE_BUSY']);
