import { type RawBuilder, sql } from 'kysely';
import { type Dialect, escapeGlob, escapeLike } from './dialect.js';
import { UUID_PATTERN } from '../shared/schemas.js';

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

/** The one parameter that carries a list of ids in `idAmong`. */
export const idListParameter = (dialect: Dialect, ids: readonly number[] | readonly string[]): unknown =>
  dialect === 'sqlite' ? JSON.stringify(ids) : ids;

/**
 * `column` among `ids`, as one parameter whatever their number: one statement text to prepare
 * and keep (a list of placeholders would be a new statement for every length), and each id is
 * then looked up through the column's index.
 */
export function idAmong(dialect: Dialect, column: string, ids: readonly number[]): RawBuilder<boolean> {
  return among(dialect, column, ids, sql`bigint[]`);
}

/** `idAmong` for a text column, such as tokens' public ids. */
export function textIdAmong(dialect: Dialect, column: string, ids: readonly string[]): RawBuilder<boolean> {
  return among(dialect, column, ids, sql`text[]`);
}

function among(dialect: Dialect, column: string, ids: readonly number[] | readonly string[], arrayType: RawBuilder<unknown>) {
  const ref = sql.ref(column);
  const list = idListParameter(dialect, ids);
  return dialect === 'sqlite'
    ? sql<boolean>`${ref} in (select value from json_each(${list}))`
    : sql<boolean>`${ref} = any(${list}::${arrayType})`;
}

/**
 * A text column holding a uuid (`tasks.third_party_id`), as a value comparable with a uuid column
 * and its index: lower-cased on SQLite, where uuids are stored lower-case; on PostgreSQL cast to
 * `uuid` when it has a uuid's form and NULL (matching nothing) when not, where a cast would fail.
 */
export function uuidOfText(dialect: Dialect, column: string): RawBuilder<string | null> {
  const ref = sql.ref(column);
  return dialect === 'sqlite'
    ? sql<string | null>`lower(${ref})`
    : sql<string | null>`case when ${ref} ~ ${sql.lit(UUID_PATTERN)} then ${ref}::uuid end`;
}

/** The pattern `containing` binds: `fragment` anywhere in the text, its wildcard characters taken literally. */
export const containingPattern = (dialect: Dialect, fragment: string): string =>
  dialect === 'sqlite' ? `*${escapeGlob(fragment)}*` : `%${escapeLike(fragment)}%`;

/** `column` contains `fragment`, case-sensitively on both dialects (SQLite's LIKE ignores case, its GLOB does not). */
export function containing(dialect: Dialect, column: string, fragment: string): RawBuilder<boolean> {
  const ref = sql.ref(column);
  const pattern = containingPattern(dialect, fragment);
  return dialect === 'sqlite' ? sql<boolean>`${ref} glob ${pattern}` : sql<boolean>`${ref} like ${pattern} escape '\\'`;
}
