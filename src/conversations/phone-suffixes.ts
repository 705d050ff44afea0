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

/** One row of `contact_phone_suffixes` per contact of the workspace whose normalised number contains `phone`. */
export function phoneMatches(db: Kysely<Database>, workspaceId: number, phone: string) {
  const rest = sql`substr(${sql.ref('s.suffix')}, 2)`;
  const foundInRest = dialectOf(db) === 'postgres' ? sql<number>`strpos(${rest}, ${phone})` : sql<number>`instr(${rest}, ${phone})`;
  return db
    .selectFrom('contact_phone_suffixes as s')
    .where('s.workspace_id', '=', workspaceId)
    .where('s.suffix', '>=', phone)
    .where('s.suffix', '<', prefixEnd(phone))
    .where(sql<boolean>`${foundInRest} = 0`);
}

/**
 * The `count` contacts a fragment matches whose newest conversations come first in the list's
 * default order: the contacts of its first `count` conversations in that order are among them
 * (see the migration that keeps each contact's newest). Contacts without conversations are left out.
 */
export function newestPhoneContacts(db: Kysely<Database>, workspaceId: number, phone: string, count: number) {
  return phoneMatches(db, workspaceId, phone)
    .where('s.newest_id', 'is not', null)
    .select('s.contact_id')
    .orderBy('s.newest_created_at', 'desc')
    .orderBy('s.newest_id', 'desc')
    .limit(count);
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

/**
 * How many conversations of the workspace have a contact whose number contains `phone`; on
 * PostgreSQL, when `withContacts`, also the contacts it matches, as `listPhoneContacts` gives
 * them. Both come from one pass over the fragment's range, which the sum reads whole anyway:
 * listing them apart read it twice. Without them for a fragment asked alone in the default order,
 * whose page takes none (read through `newestPhoneContacts`, or walked): a common fragment's list
 * was built over tens of thousands of contacts only to be dropped as too long.
 */
export async function phoneTotalAndContacts(
  db: Kysely<Database>,
  workspaceId: number,
  phone: string,
  withContacts: boolean,
): Promise<{ total: number; contactIds?: number[] | null }> {
  if (dialectOf(db) === 'sqlite' || !withContacts) {
    const [row] = await runCompiled(db, 'phone total', phoneMatchParameters(workspaceId, phone), () =>
      phoneMatches(db, workspaceId, phone).select((eb) => eb.fn.sum<number | null>('s.conversations').as('total')),
    );
    return { total: Number(row?.total ?? 0) };
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
