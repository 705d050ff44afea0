import os from 'node:os';
import { parseArgs } from 'node:util';
import type { Dialect } from '../src/db/dialect.js';
import { startCeiling } from './ceiling.js';
import { checkShape } from './check.js';
import { type DatasetSize, prepareDataset, sizeLabel } from './dataset.js';
import { type Measurement, measure, type Timing } from './load.js';
import { type Parley, startParley } from './parley.js';
import { postgresReachable } from './postgres.js';
import { buildServer, killAllNow, peakRss, stopAll, waitUntilIdle } from './processes.js';
import { ceilingAverage, type DialectRun, failures, renderReport, type ShapeResult, writeReport } from './report.js';
import { type Samples, sampleWorkspace } from './samples.js';
import { LIST_PATH, type Shape, SHAPES, targetFor } from './shapes.js';
import { startWriter } from './writer.js';

const USAGE = `Usage: npm run bench -- [--quick] [--dialect sqlite|postgres|all] [--only shape,...] [--rebuild]

Measures GET /api/v1/conversations on a big seeded workspace against a bare-Fastify ceiling,
and writes bench/results/<date>-<dialect>[-quick][-partial].md.

  --quick      100,000 conversations (+ 4 x 5,000) and short runs: about two minutes per dialect
  --dialect    sqlite, postgres or all (default; PostgreSQL only when 127.0.0.1:5432 answers)
  --only       measure only these shapes (the report is then named -partial): ${SHAPES.map((shape) => shape.name).join(', ')}
  --rebuild    seed the dataset again even if the cached one is current`;

interface Profile {
  size: DatasetSize;
  timing: Timing;
  /** The whole command stops after this long, whatever it is doing. */
  deadlineMinutes: number;
  /** The ceiling measured after every shape, or only before the first and after the last. */
  ceilingAfterEachShape: boolean;
}

const PROFILES: Record<'full' | 'quick', Profile> = {
  full: {
    size: { big: 1_000_000, small: 50_000, smallCount: 4 },
    timing: { connections: 50, warmup: 2, duration: 8 },
    deadlineMinutes: 120,
    ceilingAfterEachShape: true,
  },
  // Ten more ceiling runs would take a quick run past its two minutes.
  quick: {
    size: { big: 100_000, small: 5_000, smallCount: 4 },
    timing: { connections: 50, warmup: 1, duration: 3 },
    deadlineMinutes: 15,
    ceilingAfterEachShape: false,
  },
};

const WRITES_PER_SECOND = 100;

const number = (value: number) => Math.round(value).toLocaleString('en');

function describe(label: string, m: Measurement, ceiling?: number): string {
  const ratio = ceiling ? `  ${((m.requestsPerSecond / ceiling) * 100).toFixed(1)} % of the last ceiling` : '';
  const problems = m.errors + m.non2xx > 0 ? `  ${m.errors} errors, ${m.non2xx} non-2xx` : '';
  if (m.requests === 0) return `  ${label.padEnd(38)} no request answered within the run${problems}`;
  return `  ${label.padEnd(38)} ${number(m.requestsPerSecond).padStart(7)} req/s  p50 ${m.p50} ms  p99 ${m.p99} ms${ratio}${problems}`;
}

/** A shape's correctness check, then its two runs: reads alone, and reads while the writer changes the workspace. */
async function measureShape(shape: Shape, dialect: Dialect, parley: Parley, samples: Samples, timing: Timing, ceiling: number) {
  const nextPath = shape.paths(samples);
  const check = await checkShape(parley.origin, parley.headers, nextPath);
  if (!check.ok) console.log(`  ${shape.name}: correctness check FAILED: ${check.detail}`);
  const alone = await measure(parley.origin, parley.headers, nextPath, timing);
  console.log(describe(`${shape.name}, reads`, alone, ceiling));

  const writer = startWriter(parley.origin, parley.token, samples, WRITES_PER_SECOND);
  let withWrites: Measurement;
  try {
    withWrites = await measure(parley.origin, parley.headers, nextPath, timing);
  } catch (error) {
    await writer.stop();
    throw error;
  }
  const writes = await writer.stop();
  console.log(describe(`${shape.name}, reads + writes`, withWrites, ceiling));
  const indent = ''.padEnd(40);
  console.log(
    `${indent}writes: ${writes.ok} ok, ${writes.errors} errors, ${writes.ratePerSecond.toFixed(1)} sent/s, p99 ${writes.p99.toFixed(1)} ms`,
  );
  if (writes.firstError) console.log(`${indent}first write error: ${writes.firstError}`);
  return { shape, target: targetFor(shape, dialect), check, alone, withWrites, writer: writes };
}

async function runDialect(dialect: Dialect, profile: Profile, options: { quick: boolean; rebuild: boolean; only: Set<string> | null }) {
  const startedAt = new Date();
  const loadAtStart = os.loadavg()[0]!;
  const { size, timing } = profile;
  console.log(`\n== ${dialect}: dataset ${sizeLabel(size)}`);
  const dataset = await prepareDataset(dialect, size, options);
  try {
    console.log(
      `  ${dataset.built ? 'seeded' : 'cached'}: import ${number(dataset.import.perSecond)} conversations/s (${dataset.import.seconds.toFixed(1)} s); copy floor ${number(dataset.copyFloor.perSecond)}/s`,
    );
    const samples = await sampleWorkspace(dataset.target, dataset.bigWorkspaceId);
    const parley = await startParley(dataset);
    const page = await fetch(`${parley.origin}${LIST_PATH}`, { headers: parley.headers, signal: AbortSignal.timeout(30_000) });
    if (page.status !== 200) throw new Error(`the default page answered ${page.status}: ${await page.text()}`);
    const ceilingServer = await startCeiling(Buffer.from(await page.arrayBuffer()), dialect);

    const ceilings: Measurement[] = [];
    const measureCeiling = async (label: string) => {
      await waitUntilIdle(parley.child.pid);
      const ceiling = await measure(ceilingServer.origin, parley.headers, () => LIST_PATH, timing);
      console.log(describe(`ceiling (${label})`, ceiling));
      ceilings.push(ceiling);
      return ceiling.requestsPerSecond;
    };

    let before = await measureCeiling('first');
    const chosen = SHAPES.filter((s) => options.only === null || options.only.has(s.name));
    const shapes: ShapeResult[] = [];
    let sinceLastCeiling: Omit<ShapeResult, 'ceiling'>[] = [];
    for (const [index, shape] of chosen.entries()) {
      sinceLastCeiling.push(await measureShape(shape, dialect, parley, samples, timing, before));
      if (!profile.ceilingAfterEachShape && index < chosen.length - 1) continue;
      const after = await measureCeiling(`after ${shape.name}`);
      shapes.push(...sinceLastCeiling.map((measured) => ({ ...measured, ceiling: (before + after) / 2 })));
      sinceLastCeiling = [];
      before = after;
    }

    const run: DialectRun = {
      dialect,
      quick: options.quick,
      partial: options.only !== null,
      startedAt,
      seconds: 0,
      dataset,
      timing,
      writeRate: WRITES_PER_SECOND,
      ceiling: { runs: ceilings, afterEachShape: profile.ceilingAfterEachShape, bytes: ceilingServer.bytes },
      shapes,
      peakRss: peakRss(parley.child.pid),
      load: { start: loadAtStart, end: os.loadavg()[0]! },
    };
    await parley.child.stop();
    await ceilingServer.child.stop();
    run.seconds = (Date.now() - startedAt.getTime()) / 1000;
    return run;
  } finally {
    await stopAll();
    await dataset.discard();
  }
}

function parseOptions() {
  try {
    return parseArgs({
      options: {
        quick: { type: 'boolean', default: false },
        dialect: { type: 'string', default: 'all' },
        only: { type: 'string' },
        rebuild: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

async function main(): Promise<number> {
  const { values } = parseOptions();
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (!['sqlite', 'postgres', 'all'].includes(values.dialect)) throw new UsageError(`--dialect must be sqlite, postgres or all`);
  const only = values.only === undefined ? null : new Set(values.only.split(',').map((name) => name.trim()));
  const unknown = [...(only ?? [])].filter((name) => !SHAPES.some((shape) => shape.name === name));
  if (unknown.length > 0) throw new UsageError(`unknown shape ${unknown.join(', ')}`);

  const profile = PROFILES[values.quick ? 'quick' : 'full'];
  const deadline = setTimeout(() => {
    console.error(`\nbench: still running after ${profile.deadlineMinutes} minutes; stopping everything`);
    killAllNow();
    process.exit(2);
  }, profile.deadlineMinutes * 60_000);
  deadline.unref();

  const dialects: Dialect[] = [];
  if (values.dialect !== 'postgres') dialects.push('sqlite');
  if (values.dialect !== 'sqlite') {
    if (await postgresReachable()) dialects.push('postgres');
    else if (values.dialect === 'postgres') throw new Error('PostgreSQL does not answer on 127.0.0.1:5432 (user postgres)');
    else console.log('PostgreSQL does not answer on 127.0.0.1:5432: measuring SQLite only');
  }

  console.log('Building the server (npm run build) …');
  buildServer();
  let failed = false;
  for (const dialect of dialects) {
    const run = await runDialect(dialect, profile, { quick: values.quick, rebuild: values.rebuild, only });
    console.log(`\n${renderReport(run)}`);
    console.log(`Ceiling average ${number(ceilingAverage(run))} req/s. Report: ${writeReport(run)}`);
    if (failures(run).length > 0) failed = true;
  }
  return failed ? 1 : 0;
}

class UsageError extends Error {}

process.on('exit', killAllNow);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.error(`\nbench: ${signal}, stopping the servers`);
    killAllNow();
    process.exit(130);
  });
}

// Exits explicitly: a pool or socket left open somewhere must not keep the benchmark running.
main()
  .then((code) => process.exit(code))
  .catch(async (error: unknown) => {
    if (error instanceof UsageError) console.error(`bench: ${error.message}\n\n${USAGE}`);
    else console.error('bench: failed:', error instanceof Error ? (error.stack ?? error.message) : error);
    await stopAll();
    process.exit(1);
  });
