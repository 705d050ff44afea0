import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import { type Kysely, sql } from 'kysely';
import { seedWorkspace } from '../src/bulk/seed.js';
import { generateConversations } from '../src/demo/generator.js';
import type { DatabaseTarget } from '../src/config.js';
import { openDatabase } from '../src/db/database.js';
import type { Dialect } from '../src/db/dialect.js';
import { migrateToLatest } from '../src/db/migrate.js';
import type { Database } from '../src/db/tables.js';
import { createToken } from '../src/tokens/repository.js';
import { createWorkspace } from '../src/workspaces/repository.js';
import { type CopyFloor, postgresCopyFloor, sqliteCopyFloor } from './copy-floor.js';
import { copyDatabase, createDatabase, databaseExists, dropDatabase, postgresUrl } from './postgres.js';
import { peakRss, ROOT, spawnBuilt, tail } from './processes.js';

/**
 * The benchmark's data: one big workspace and a few small ones, seeded once and cached under
 * bench/.cache (a SQLite file, or a PostgreSQL database) with a manifest. Each run works on a
 * copy, so that the writes a run makes never leak into the next one's data.
 */

export const CACHE_DIR = join(ROOT, 'bench', '.cache');

export interface DatasetSize {
  big: number;
  small: number;
  smallCount: number;
}

export interface ImportFigure {
  conversations: number;
  seconds: number;
  perSecond: number;
  /** The importer's peak resident set size in bytes (VmHWM), null where /proc has no answer. */
  peakRss: number | null;
  /** ISO time of the seeding this figure comes from. */
  measuredAt: string;
}

interface Manifest {
  key: string;
  size: DatasetSize;
  builtAt: string;
  /** The big workspace's API token: a throwaway database's, kept so that cached runs can use it. */
  token: string;
  bigWorkspaceId: number;
  import: ImportFigure;
  /** Seconds spent after the import making PostgreSQL's statistics and visibility map current; null on SQLite. */
  analyzeSeconds: number | null;
  counts: Record<string, number>;
  /** Measured on the seeded data after it was built; absent from manifests written before it was. */
  copyFloor?: CopyFloor;
}

export interface Dataset {
  dialect: Dialect;
  size: DatasetSize;
  key: string;
  /** True when this run seeded the data; false when it reused the cache. */
  built: boolean;
  builtAt: string;
  import: ImportFigure;
  copyFloor: CopyFloor;
  analyzeSeconds: number | null;
  counts: Record<string, number>;
  token: string;
  bigWorkspaceId: number;
  /** DATABASE_URL of this run's working copy. */
  url: string;
  target: DatabaseTarget;
  /** Deletes the working copy. */
  discard(): Promise<void>;
}

function filesUnder(dir: string): string[] {
  return readdirSync(join(ROOT, dir))
    .filter((name) => name.endsWith('.ts'))
    .sort()
    .map((name) => join(dir, name));
}

/**
 * Changes whenever the size, the migrations (their list or any of them) or the seeder change;
 * the seeder being seed.ts, the import code it writes through (the rest of src/bulk), the
 * generator, and the write transaction with the conversation bodies it stores.
 */
export function cacheKey(size: DatasetSize): string {
  const hash = createHash('sha256').update(JSON.stringify(size));
  const sources = [
    'src/db/migrate.ts',
    ...filesUnder('src/db/migrations'),
    ...filesUnder('src/bulk'),
    'src/demo/generator.ts',
    'src/db/transaction.ts',
    'src/conversations/body.ts',
    'src/conversations/load.ts',
    'src/conversations/present.ts',
  ];
  for (const file of sources) {
    hash.update(`\0${file}\0`);
    if (existsSync(join(ROOT, file))) hash.update(readFileSync(join(ROOT, file)));
  }
  return hash.digest('hex').slice(0, 12);
}

export const sizeLabel = (size: DatasetSize) => `${size.big}+${size.smallCount}x${size.small}`;

function readManifest(file: string): Manifest | null {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Manifest;
  } catch {
    return null;
  }
}

function progressPrinter(label: string, total: number) {
  const started = performance.now();
  let shown = -1;
  return (done: number) => {
    const tenth = Math.floor((done / total) * 10);
    if (tenth === shown) return;
    shown = tenth;
    const seconds = (performance.now() - started) / 1000;
    const rate = seconds > 0 ? Math.round(done / seconds) : 0;
    console.log(`    ${label}: ${done.toLocaleString('en')} / ${total.toLocaleString('en')} (${rate.toLocaleString('en')}/s)`);
  };
}

export const ALL_CONVERSATIONS = 'conversations (all workspaces)';

async function countRows(db: Kysely<Database>, workspaceId: number): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  const all = await db
    .selectFrom('conversations')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  counts[ALL_CONVERSATIONS] = Number(all.n);
  for (const table of ['conversations', 'contacts', 'calls', 'tasks', 'sessions', 'messages', 'agents', 'campaigns'] as const) {
    const row = await db
      .selectFrom(table)
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('workspace_id', '=', workspaceId)
      .executeTakeFirstOrThrow();
    counts[table] = Number(row.n);
  }
  return counts;
}

/**
 * The big workspace goes in as a user would load it: `parley import <subdomain> -` of the built
 * CLI, in a process of its own, reading the generator's conversations as NDJSON on its standard
 * input. So the figure is the import's own (parsing and validating each line included) and its
 * peak RSS is the importer's alone; the lines are made here, on the other core.
 */
async function importThroughCli(target: DatabaseTarget, subdomain: string, count: number, now: Date): Promise<ImportFigure> {
  const log = join(CACHE_DIR, `import-${target.dialect}.log`);
  rmSync(log, { force: true });
  const url = target.dialect === 'sqlite' ? `sqlite:${target.file}` : target.url;
  const started = performance.now();
  const child = spawnBuilt('dist/cli.js', { DATABASE_URL: url }, log, ['import', subdomain, '-'], 'pipe');
  let ended = false;
  const exited = new Promise<string>((resolve) =>
    child.process.once('exit', (code, signal) => {
      ended = true;
      resolve(code === null ? `signal ${signal}` : `status ${code}`);
    }),
  );
  let peak: number | null = null;
  const sample = () => {
    const rss = peakRss(child.pid);
    if (rss !== null) peak = Math.max(peak ?? 0, rss);
  };
  const sampler = setInterval(sample, 200);
  try {
    const stdin = child.process.stdin!;
    // A write after the importer died fails with EPIPE; its exit status tells why.
    stdin.on('error', () => {});
    const printProgress = progressPrinter('big workspace (lines sent to parley import)', count);
    let sent = 0;
    for (const { uuid, body, messages } of generateConversations({ count, seed: 1, now, messages: true })) {
      if (!stdin.write(`${JSON.stringify({ uuid, ...body, messages })}\n`)) {
        await Promise.race([once(stdin, 'drain'), exited]);
        if (ended) break;
      }
      if (++sent % 1000 === 0) printProgress(sent);
    }
    stdin.end();
    const outcome = await exited;
    if (outcome !== 'status 0') throw new Error(`parley import exited with ${outcome}:\n${tail(log)}`);
  } finally {
    clearInterval(sampler);
  }
  const seconds = (performance.now() - started) / 1000;
  return { conversations: count, seconds, perSecond: count / seconds, peakRss: peak, measuredAt: new Date().toISOString() };
}

/** Seeds the small workspaces first, so the timed big import writes into tables and indexes that already hold data. */
async function seed(target: DatabaseTarget, size: DatasetSize, key: string): Promise<Manifest> {
  const database = openDatabase(target);
  try {
    const db = database.db;
    await migrateToLatest(db);
    const now = new Date();
    for (let i = 1; i <= size.smallCount; i++) {
      const workspace = await createWorkspace(db, `bench-small-${i}`, `Bench small ${i}`);
      await createToken(db, workspace.id, 'bench');
      await seedWorkspace(db, workspace.id, {
        conversations: size.small,
        seed: 1000 + i,
        now,
        onProgress: progressPrinter(`small workspace ${i}`, size.small),
      });
    }
    const big = await createWorkspace(db, 'bench-big', 'Bench big');
    const { token } = await createToken(db, big.id, 'bench');
    const imported = await importThroughCli(target, big.subdomain, size.big, now);

    let analyzeSeconds: number | null = null;
    if (database.dialect === 'postgres') {
      // A live server's autovacuum would have done this by now; doing it here keeps it from starting in the middle of a measurement.
      const analyzeStarted = performance.now();
      await sql`vacuum (analyze)`.execute(db);
      analyzeSeconds = (performance.now() - analyzeStarted) / 1000;
    }
    return {
      key,
      size,
      builtAt: new Date().toISOString(),
      token,
      bigWorkspaceId: big.id,
      import: imported,
      analyzeSeconds,
      counts: await countRows(db, big.id),
    };
  } finally {
    await database.close();
  }
}

function removeSqliteFiles(file: string) {
  for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(file + suffix, { force: true });
}

/** Measures the import's baseline on the cached data once, and keeps it in the manifest. */
async function ensureCopyFloor(
  manifest: Manifest,
  manifestFile: string,
  measure: (workspaceId: number, conversations: number) => CopyFloor | Promise<CopyFloor>,
) {
  if (manifest.copyFloor) return;
  console.log("  measuring the copy floor (the database copying the big workspace's rows itself) …");
  manifest.copyFloor = await measure(manifest.bigWorkspaceId, manifest.counts.conversations!);
  writeFileSync(manifestFile, JSON.stringify(manifest, null, 2));
}

async function prepareSqlite(size: DatasetSize, key: string, rebuild: boolean) {
  const label = sizeLabel(size);
  const file = join(CACHE_DIR, `sqlite-${label}-${key}.db`);
  const manifestFile = `${file}.json`;
  let manifest = rebuild ? null : readManifest(manifestFile);
  const built = !(manifest?.key === key && existsSync(file));
  if (built) {
    for (const name of readdirSync(CACHE_DIR)) {
      if (name.startsWith(`sqlite-${label}-`)) rmSync(join(CACHE_DIR, name), { force: true });
    }
    const building = join(CACHE_DIR, `sqlite-${label}-building.db`);
    removeSqliteFiles(building);
    manifest = await seed({ dialect: 'sqlite', file: building }, size, key);
    renameSync(building, file);
    writeFileSync(manifestFile, JSON.stringify(manifest, null, 2));
  }
  await ensureCopyFloor(manifest!, manifestFile, (workspaceId, conversations) => {
    const scratch = join(CACHE_DIR, `sqlite-${label}-copy-floor.db`);
    removeSqliteFiles(scratch);
    try {
      return sqliteCopyFloor(file, scratch, workspaceId, conversations);
    } finally {
      removeSqliteFiles(scratch);
    }
  });

  const copy = join(CACHE_DIR, `sqlite-${label}-run.db`);
  removeSqliteFiles(copy);
  copyFileSync(file, copy);
  const target: DatabaseTarget = { dialect: 'sqlite', file: copy };
  return { manifest: manifest!, built, target, url: `sqlite:${copy}`, discard: async () => removeSqliteFiles(copy) };
}

async function preparePostgres(size: DatasetSize, key: string, rebuild: boolean, quick: boolean) {
  const name = quick ? 'parley_bench_quick' : 'parley_bench';
  const manifestFile = join(CACHE_DIR, `postgres-${name}.json`);
  let manifest = rebuild ? null : readManifest(manifestFile);
  const built = !(manifest?.key === key && (await databaseExists(name)));
  if (built) {
    // The manifest is written last: a build that was cut short leaves none, and is redone.
    rmSync(manifestFile, { force: true });
    await dropDatabase(name);
    await createDatabase(name);
    manifest = await seed({ dialect: 'postgres', url: postgresUrl(name) }, size, key);
    writeFileSync(manifestFile, JSON.stringify(manifest, null, 2));
  }
  await ensureCopyFloor(manifest!, manifestFile, (workspaceId, conversations) => postgresCopyFloor(name, workspaceId, conversations));

  const copy = `${name}_run`;
  await copyDatabase(name, copy);
  const url = postgresUrl(copy);
  const target: DatabaseTarget = { dialect: 'postgres', url };
  return { manifest: manifest!, built, target, url, discard: () => dropDatabase(copy) };
}

export async function prepareDataset(dialect: Dialect, size: DatasetSize, options: { rebuild: boolean; quick: boolean }): Promise<Dataset> {
  mkdirSync(CACHE_DIR, { recursive: true });
  const key = cacheKey(size);
  const prepared =
    dialect === 'sqlite'
      ? await prepareSqlite(size, key, options.rebuild)
      : await preparePostgres(size, key, options.rebuild, options.quick);
  const { manifest } = prepared;
  return {
    dialect,
    size,
    key,
    built: prepared.built,
    builtAt: manifest.builtAt,
    import: manifest.import,
    copyFloor: manifest.copyFloor!,
    analyzeSeconds: manifest.analyzeSeconds,
    counts: manifest.counts,
    token: manifest.token,
    bigWorkspaceId: manifest.bigWorkspaceId,
    url: prepared.url,
    target: prepared.target,
    discard: prepared.discard,
  };
}
