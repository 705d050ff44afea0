import { type Kysely, sql } from 'kysely';
import { runCompiled } from '../db/compiled.js';
import { dialectOf } from '../db/dialect.js';
import { containing, containingPattern } from '../db/expressions.js';
import type { Database } from '../db/tables.js';

/**
 * A phone fragment's total, once counted, is kept and brought up to date by the requests that
 * follow, instead of counted again after every write: a common fragment (a country or area code)
 * matches tens of thousands of conversations, and counting them takes tens of milliseconds,
 * while a live workspace writes many times a second. Between two requests, the fragment's total
 * moves only by the conversations added since, which are the ones with a higher id than the
 * workspace's last when it was counted (its writes commit one at a time, drawing ids in that
 * order), unless a contact's number changed, or a conversation changed contact or was deleted:
 * those move `phone_version`, and the total is then counted again. Both marks are kept by
 * triggers (see the migration that adds them).
 */
export interface PhoneMarks {
  lastConversationId: number;
  phoneVersion: number;
}

interface Counted extends PhoneMarks {
  total: number;
}

const counted = new WeakMap<Kysely<Database>, Map<string, Counted>>();
const COUNTED_LIMIT = 5_000;
/** Past this many ids since the count, the conversations added are not read one by one: counting afresh is as cheap. */
const LARGEST_CATCH_UP = 20_000;

const keyOf = (workspaceId: number, phone: string) => `${workspaceId}:${phone}`;

/**
 * The fragment's total now, from the one kept and the conversations added since when nothing
 * else moved; otherwise the marks as they stand, under which the caller counts afresh (counting
 * only conversations up to `lastConversationId`) and then calls `keepPhoneTotal`.
 */
export async function phoneTotalNow(
  db: Kysely<Database>,
  workspaceId: number,
  phone: string,
): Promise<{ total: number; marks?: undefined } | { total?: undefined; marks: PhoneMarks }> {
  const dialect = dialectOf(db);
  const kept = counted.get(db)?.get(keyOf(workspaceId, phone));
  const marksOf = () =>
    db.selectFrom('workspaces as w').select(['w.last_conversation_id', 'w.phone_version']).where('w.id', '=', workspaceId);
  const [row] = !kept
    ? await runCompiled(db, 'phone marks', [workspaceId], () => marksOf().select(sql<number | null>`null`.as('added')))
    : await runCompiled(
        db,
        'phone marks and added',
        [kept.phoneVersion, kept.lastConversationId, workspaceId, kept.lastConversationId, containingPattern(dialect, phone), workspaceId],
        () =>
          marksOf().select(
            sql<
              number | null
            >`case when ${sql.ref('w.phone_version')} = ${kept.phoneVersion} and ${sql.ref('w.last_conversation_id')} - ${kept.lastConversationId} <= ${sql.lit(LARGEST_CATCH_UP)} then (${db
              .selectFrom('conversations as c')
              .innerJoin('contacts as ct', 'ct.id', 'c.contact_id')
              .select((eb) => eb.fn.countAll<number>().as('n'))
              // The unary plus keeps SQLite off the workspace's indexes: the new rows are a range of ids.
              .where(sql<number>`+${sql.ref('c.workspace_id')}`, '=', workspaceId)
              .where('c.id', '>', kept.lastConversationId)
              .where('c.id', '<=', sql.ref<number>('w.last_conversation_id'))
              .where(containing(dialect, 'ct.phone_digits', phone))}) end`.as('added'),
          ),
      );
  const marks: PhoneMarks = { lastConversationId: Number(row!.last_conversation_id), phoneVersion: Number(row!.phone_version) };
  if (kept && row!.added !== null) {
    const total = kept.total + Number(row!.added);
    keepPhoneTotal(db, workspaceId, phone, marks, total);
    return { total };
  }
  return { marks };
}

/**
 * Keeps `total`, counted under `marks`, for the next request that asks for the fragment alone.
 * The least recently asked goes first when the map is full: most fragments are asked once, while
 * the common ones, the dearest to count, come back again and again.
 */
export function keepPhoneTotal(db: Kysely<Database>, workspaceId: number, phone: string, marks: PhoneMarks, total: number): void {
  let totals = counted.get(db);
  if (!totals) counted.set(db, (totals = new Map()));
  const key = keyOf(workspaceId, phone);
  totals.delete(key);
  if (totals.size >= COUNTED_LIMIT) totals.delete(totals.keys().next().value!);
  totals.set(key, { ...marks, total });
}
