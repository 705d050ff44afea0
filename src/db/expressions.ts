import { type RawBuilder, sql } from 'kysely';

/**
 * `column` moved forward to `value`, never back; NULL counts as "no value yet". Written as CASE
 * because the two-argument max/min of SQLite is GREATEST/LEAST in PostgreSQL, and in one UPDATE
 * so that concurrent writers cannot move it back.
 */
export function atLeast(column: string, value: number): RawBuilder<number> {
  const ref = sql.ref(column);
  return sql<number>`case when ${ref} is null or ${ref} < ${value} then ${value} else ${ref} end`;
}

/** `column` moved back to `value`, never forward; NULL counts as "no value yet". */
export function atMost(column: string, value: number): RawBuilder<number> {
  const ref = sql.ref(column);
  return sql<number>`case when ${ref} is null or ${ref} > ${value} then ${value} else ${ref} end`;
}
