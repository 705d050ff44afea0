import { CompiledQuery, type Kysely } from 'kysely';
import { MAX_PHONE_NUMBER } from '../conversations/schemas.js';
import { holdRestarts } from '../db/checkpointer.js';
import type { Dialect } from '../db/dialect.js';

/**
 * The bulk writer's dialect switch: the few statement shapes it needs, written once per dialect
 * as SQL text with parameters, run through Kysely's executor (in its transaction) without a
 * query builder, because compiling thousands of value nodes per batch would cost more than the
 * database's work. Either way a batch is one statement per table whatever its size, so no
 * parameter limit (SQLite's 32,766, PostgreSQL's 65,535) is ever near, and each statement's
 * text is the same from batch to batch (SQLite's statement cache prepares it once).
 *
 * - PostgreSQL: a set of values travels as one array parameter per column: `unnest($1::uuid[],
 *   …)` to insert, `= any($1::uuid[])` to match.
 * - SQLite: rows travel as one JSON array of arrays, read by `jsonb_each` (measured faster than
 *   multi-row VALUES with one variable per value, and than a statement per row, whose triggers
 *   cost most); a set to match is one JSON array, read by `json_each`.
 */

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any schema will do
type Db = Kysely<any>;

/** A column and its PostgreSQL type, which the array parameters are cast to. */
export type PgType = 'uuid' | 'text' | 'bigint' | 'integer';
export type Columns = Record<string, PgType>;

const PHONE_SUFFIXES_DEFERRED = 'parley.phone_suffixes_deferred';

/** Negative: KiB. */
const BULK_CACHE_KIB = -32 * 1024;
/** 1 GB of 4 KB pages. */
const BULK_CHECKPOINT_PAGES = 262_144;
const BULK_BUSY_TIMEOUT_MS = 60_000;

export class Statements {
  private readonly texts = new Map<string, string>();

  constructor(readonly dialect: Dialect) {}

  private cached(key: string, build: () => string): string {
    let text = this.texts.get(key);
    if (text === undefined) {
      text = build();
      this.texts.set(key, text);
    }
    return text;
  }

  /** `a is distinct from b`, for row values too: NULL is a value like any other here. */
  distinct(a: string, b: string): string {
    return this.dialect === 'postgres' ? `${a} is distinct from ${b}` : `${a} is not ${b}`;
  }

  /**
   * A condition `column` ∈ the set given as parameter `n` (1-based) of type `type`. SQLite's
   * parameters are positional: each statement uses each of its parameters once, in order.
   */
  inSet(column: string, n: number, type: PgType): string {
    return this.dialect === 'postgres' ? `${column} = any($${n}::${type}[])` : `${column} in (select value from json_each(?))`;
  }

  /** The parameter standing for the set `values` in `inSet`. */
  set(values: readonly unknown[]): unknown {
    return this.dialect === 'postgres' ? values : JSON.stringify(values);
  }

  /** Parameter `n` (1-based) in a statement written with `inSet`. */
  param(n: number): string {
    return this.dialect === 'postgres' ? `$${n}` : '?';
  }

  /**
   * SQLite only, for the length of a bulk write:
   * - a page cache that holds most of a batch's dirty pages (the default 2 MB spills them to the
   *   WAL mid-transaction, again and again; 32 MB keeps an import of a million lines under 300 MB
   *   of memory);
   * - the copying of the WAL back into the database left to the checkpointer's worker, on the
   *   other core, with the RESTARTs of this file's workers held (see `holdRestarts`); the
   *   connection's own checkpoint only bounds the log, at 1 GB. Measured, 300,000 lines into 200,000, five runs of each
   *   alternated: 124 s on average when the connection checkpointed every 64 MB itself, 107 s so;
   * - a busy timeout long enough to wait out another process's checkpoint of a whole batch.
   *
   * Returns what puts the connection and the worker back as they were.
   */
  async widenForBulk(db: Db): Promise<() => Promise<void>> {
    if (this.dialect !== 'sqlite') return async () => {};
    const bulk = { cache_size: BULK_CACHE_KIB, wal_autocheckpoint: BULK_CHECKPOINT_PAGES, busy_timeout: BULK_BUSY_TIMEOUT_MS };
    const before: [string, unknown][] = [];
    for (const [name, value] of Object.entries(bulk)) {
      // One row of one column, named after the pragma or not (busy_timeout's is "timeout").
      const [row] = await this.run<object>(db, `pragma ${name}`, []);
      before.push([name, Object.values(row!)[0]]);
      await this.run(db, `pragma ${name} = ${value}`, []);
    }
    const [main] = await this.run<{ file: string }>(db, "select file from pragma_database_list where name = 'main'", []);
    const releaseRestarts = holdRestarts(main!.file);
    return async () => {
      releaseRestarts();
      for (const [name, value] of before) await this.run(db, `pragma ${name} = ${Number(value)}`, []);
    };
  }

  /**
   * Brings the planner's statistics of the tables an import fills up to date, outside any
   * transaction. Best effort: without the right to (PostgreSQL wants the tables' owner) the import
   * goes on with the plans it has. SQLite's `optimize` analyses only the tables that changed much.
   */
  async refreshStatistics(db: Db): Promise<void> {
    const text = this.dialect === 'postgres' ? 'analyze conversations, contacts, calls, tasks, sessions, messages' : 'pragma optimize';
    await this.run(db, text, []).catch(() => {});
  }

  /**
   * `count` unused ids of `table` (an AUTOINCREMENT table on SQLite), ascending: for rows inserted
   * with their ids given. The caller holds the write lock (SQLite) or draws from the sequence
   * (PostgreSQL), so no other writer takes them.
   */
  async nextIds(db: Db, table: string, count: number): Promise<number[]> {
    if (count === 0) return [];
    if (this.dialect === 'postgres') {
      const rows = await this.run<{ id: string }>(
        db,
        `select nextval(pg_get_serial_sequence('${table}', 'id')) as id from generate_series(1, $1)`,
        [count],
      );
      return rows.map((row) => Number(row.id)).sort((a, b) => a - b);
    }
    const [row] = await this.run<{ seq: number }>(
      db,
      `select coalesce((select seq from sqlite_sequence where name = '${table}'), 0) as seq`,
      [],
    );
    return Array.from({ length: count }, (_, i) => row!.seq + 1 + i);
  }

  /**
   * Whether a batch inserts its new conversations after their calls, sessions and tasks (see
   * `deferReferences`), each row once and with its body, rather than first with a NULL body set
   * by an UPDATE at the end. PostgreSQL checks a deferred reference by the parent's key at
   * commit, and spares each new row a second version with its 16 index entries. SQLite, while a
   * deferred violation is counted, searches every child table for each parent row inserted, by
   * indexes that lead with workspace_id: a skip-scan at best, a full scan without statistics.
   */
  get newConversationsLast(): boolean {
    return this.dialect === 'postgres';
  }

  /** PostgreSQL: the references made DEFERRABLE (see the migration that does so) are checked at commit, for the rest of the transaction. */
  async deferReferences(db: Db): Promise<void> {
    await this.run(db, 'set constraints all deferred', []);
  }

  /**
   * Runs `work` with the phone suffixes of the contacts and conversations it inserts left to this
   * (see the migration that defers them), then writes those of the contacts it returns as the
   * triggers keep them: a row per suffix of each contact's digits, with the contact's count of
   * conversations and its newest one, read now that the writes are done, so that each row is
   * written once, or not at all where it already holds that. `work` must return every contact it
   * inserted and every contact of a conversation it inserted.
   */
  async withPhoneSuffixesAfter(db: Db, work: () => Promise<readonly number[]>): Promise<void> {
    const setting = (value: string) => `select set_config('${PHONE_SUFFIXES_DEFERRED}', '${value}', true)`;
    const [defer, end] =
      this.dialect === 'postgres'
        ? [setting('on'), setting('off')]
        : ['insert into phone_suffixes_deferred (deferred) values (1)', 'delete from phone_suffixes_deferred'];
    await this.run(db, defer, []);
    const contactIds = await work();
    if (contactIds.length > 0) {
      const text = this.cached('phone suffixes', () => this.addPhoneSuffixesText());
      await this.run(db, text, [this.set(contactIds)]);
    }
    await this.run(db, end, []);
  }

  /** Each contact's totals are read once (a materialised CTE) before they are spread over its suffixes. */
  private addPhoneSuffixesText(): string {
    const ofContact = 'from conversations c where c.workspace_id = ct.workspace_id and c.contact_id = ct.id';
    const positions =
      this.dialect === 'postgres'
        ? 'cross join lateral generate_series(1, length(k.phone_digits)) p'
        : `join json_each('${JSON.stringify(Array.from({ length: MAX_PHONE_NUMBER }, (_, i) => i + 1))}') p on p.value <= length(k.phone_digits)`;
    const position = this.dialect === 'postgres' ? 'p' : 'p.value';
    const values = (table: string) => `(${table}.conversations, ${table}.newest_created_at, ${table}.newest_id)`;
    return `
      with k as materialized (
        select ct.workspace_id, ct.id, ct.phone_digits, (select count(*) ${ofContact}) as n,
          (select c.id ${ofContact} order by c.created_at desc, c.id desc limit 1) as newest_id
        from contacts ct where ${this.inSet('ct.id', 1, 'bigint')})
      insert into contact_phone_suffixes (workspace_id, suffix, contact_id, conversations, newest_created_at, newest_id)
      select k.workspace_id, substr(k.phone_digits, ${position}), k.id, k.n, w.created_at, k.newest_id
      from k left join conversations w on w.id = k.newest_id ${positions}
      where true
      on conflict (workspace_id, suffix, contact_id) do update
      set conversations = excluded.conversations, newest_created_at = excluded.newest_created_at, newest_id = excluded.newest_id
      where ${this.distinct(values('contact_phone_suffixes'), values('excluded'))}`;
  }

  /** Runs `text` (parameters written with `param`/`inSet`) and returns its rows. */
  async run<R>(db: Db, text: string, parameters: readonly unknown[]): Promise<R[]> {
    const result = await db.executeQuery<R>(CompiledQuery.raw(text, parameters as unknown[]));
    return result.rows;
  }

  /**
   * `insert into table (columns) <rows> <tail>` for any number of rows, as few statements as
   * the dialect allows; the rows any `returning` in `tail` gives, all together. `rows` hold the
   * values in the order of `columns`.
   */
  async insert<R = never>(db: Db, table: string, columns: Columns, rows: readonly unknown[][], tail = ''): Promise<R[]> {
    if (rows.length === 0) return [];
    const names = Object.keys(columns);
    if (this.dialect === 'postgres') {
      const text = this.cached(`${table}|${tail}`, () => {
        const arrays = Object.values(columns).map((type, i) => `$${i + 1}::${type}[]`);
        return `insert into ${table} (${names.join(', ')}) select * from unnest(${arrays.join(', ')}) ${tail}`;
      });
      const parameters = names.map((_, i) => rows.map((row) => row[i]));
      return this.run<R>(db, text, parameters);
    }
    // Rows travel as one JSON array of arrays; `where true` tells SQLite's parser that an
    // ON CONFLICT in `tail` belongs to the INSERT, not to the SELECT.
    const text = this.cached(`${table}|${tail}`, () => {
      const values = names.map((_, i) => `value ->> ${i}`).join(', ');
      return `insert into ${table} (${names.join(', ')}) select ${values} from jsonb_each(?) where true ${tail}`;
    });
    return this.run<R>(db, text, [JSON.stringify(rows)]);
  }
}
