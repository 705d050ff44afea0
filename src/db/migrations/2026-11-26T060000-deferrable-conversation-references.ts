import { type Kysely, sql } from 'kysely';
import { dialectOf } from '../dialect.js';

/**
 * PostgreSQL: the foreign keys from calls, sessions and messages to their conversation become
 * DEFERRABLE (still INITIALLY IMMEDIATE, so every other write checks them as before). An import
 * then writes a new conversation's calls, sessions and tasks before the conversation itself, which
 * it inserts with its body in the one write (see bulk/writer.ts); otherwise each new row is
 * inserted with a NULL body and written again, index entries and all, when the body is rebuilt.
 * SQLite needs no change: `pragma defer_foreign_keys` does the same there for one transaction.
 */
const REFERENCING = ['calls', 'sessions', 'messages'];

async function constraintNames(db: Kysely<unknown>): Promise<{ table: string; name: string }[]> {
  const { rows } = await sql<{ table: string; name: string }>`
    select conrelid::regclass::text as "table", conname as name from pg_constraint
    where contype = 'f' and confrelid = 'conversations'::regclass
      and conrelid::regclass::text in (${sql.join(REFERENCING)})
    order by 1, 2`.execute(db);
  return rows;
}

async function alter(db: Kysely<unknown>, deferrable: 'deferrable initially immediate' | 'not deferrable') {
  if (dialectOf(db) !== 'postgres') return;
  for (const { table, name } of await constraintNames(db)) {
    await sql`alter table ${sql.table(table)} alter constraint ${sql.ref(name)} ${sql.raw(deferrable)}`.execute(db);
  }
}

export const up = (db: Kysely<unknown>) => alter(db, 'deferrable initially immediate');

export const down = (db: Kysely<unknown>) => alter(db, 'not deferrable');
