import SQLite from 'better-sqlite3';
import pg from 'pg';
import { copyDatabase, dropDatabase, postgresUrl } from './postgres.js';

/**
 * The import's baseline: how fast the database itself writes the big workspace's rows, read from
 * the seeded dataset (derived tables included), into the same tables and indexes, over a copy of
 * the other workspaces, in one transaction. No triggers, no foreign key checks, no parsing, no
 * round trips: what writing those rows costs the engine alone, which an importer pays and more, so
 * the import's figure is judged against it as the list shapes are against the bare Fastify ceiling.
 */
export interface CopyFloor {
  conversations: number;
  seconds: number;
  perSecond: number;
  measuredAt: string;
}

/** A page cache large enough for every index touched (the import itself runs with 32 MiB): the engine at its best. */
const SQLITE_CACHE_KIB = 4 * 1024 * 1024;

const figure = (conversations: number, started: number): CopyFloor => {
  const seconds = (performance.now() - started) / 1000;
  return { conversations, seconds, perSecond: conversations / seconds, measuredAt: new Date().toISOString() };
};

/** A floor that copied fewer conversations than it counts would be no floor at all. */
function copiedAll(floor: CopyFloor, copied: number): CopyFloor {
  if (copied !== floor.conversations) throw new Error(`the copy floor copied ${copied} conversations, not ${floor.conversations}`);
  return floor;
}

/** `scratch` must not exist; the caller removes it after. */
export function sqliteCopyFloor(source: string, scratch: string, workspaceId: number, conversations: number): CopyFloor {
  const db = new SQLite(scratch);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = OFF');
    db.pragma(`cache_size = ${-SQLITE_CACHE_KIB}`);
    db.prepare('attach database ? as src').run(source);
    const schema = db
      .prepare<[], { sql: string }>(
        "select sql from src.sqlite_master where type in ('table', 'index') and sql is not null and name not like 'sqlite_%' order by rowid",
      )
      .all();
    for (const { sql } of schema) db.exec(sql);
    const tables = db
      .prepare<[], { name: string }>(
        "select m.name from src.sqlite_master m where m.type = 'table' and exists (select 1 from pragma_table_info(m.name, 'src') c where c.name = 'workspace_id') order by m.rowid",
      )
      .all()
      .map((row) => row.name);
    db.transaction(() => {
      db.exec('insert into main.workspaces select * from src.workspaces');
      for (const table of tables)
        db.prepare(`insert into main.${table} select * from src.${table} where workspace_id <> ?`).run(workspaceId);
    })();
    db.pragma('wal_checkpoint(TRUNCATE)');

    const started = performance.now();
    db.transaction(() => {
      for (const table of tables)
        db.prepare(`insert into main.${table} select * from src.${table} where workspace_id = ?`).run(workspaceId);
    })();
    const result = figure(conversations, started);
    const counted = db.prepare<[number], { copied: number }>('select count(*) as copied from main.conversations where workspace_id = ?');
    return copiedAll(result, counted.get(workspaceId)!.copied);
  } finally {
    db.close();
  }
}

/** The same on PostgreSQL, in a scratch copy of `template`: tables LIKE the real ones, with their indexes. */
export async function postgresCopyFloor(template: string, workspaceId: number, conversations: number): Promise<CopyFloor> {
  const scratch = `${template}_copy_floor`;
  await copyDatabase(template, scratch);
  const client = new pg.Client({ connectionString: postgresUrl(scratch), query_timeout: 1_800_000 });
  try {
    await client.connect();
    const { rows } = await client.query<{ name: string }>(
      "select table_name as name from information_schema.columns where table_schema = 'public' and column_name = 'workspace_id' order by table_name",
    );
    const tables = rows.map((row) => row.name);
    await client.query('create schema floor');
    for (const table of tables)
      await client.query(`create table floor.${table} (like public.${table} including defaults including indexes)`);
    await client.query('begin');
    for (const table of tables)
      await client.query(`insert into floor.${table} select * from public.${table} where workspace_id <> $1`, [workspaceId]);
    await client.query('commit');
    await client.query(`vacuum analyze ${tables.map((table) => `floor.${table}`).join(', ')}`);
    // The copy of the other workspaces is not the floor's to write out.
    await client.query('checkpoint');

    const started = performance.now();
    await client.query('begin');
    for (const table of tables)
      await client.query(`insert into floor.${table} select * from public.${table} where workspace_id = $1`, [workspaceId]);
    await client.query('commit');
    const result = figure(conversations, started);
    const counted = await client.query<{ copied: string }>('select count(*) as copied from floor.conversations where workspace_id = $1', [
      workspaceId,
    ]);
    return copiedAll(result, Number(counted.rows[0]!.copied));
  } finally {
    await client.end().catch(() => {});
    await dropDatabase(scratch);
  }
}
