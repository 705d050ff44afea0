import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import type { Dialect } from '../src/db/dialect.js';
import { ALL_CONVERSATIONS, type Dataset } from './dataset.js';
import type { Measurement, Timing } from './load.js';
import { ROOT } from './processes.js';
import { IMPORT_TARGET, RSS_TARGET_BYTES, type Shape, type Target } from './shapes.js';
import type { WriterStats } from './writer.js';

/** Judging results against the targets, and the markdown report kept in bench/results/. */

export interface Check {
  ok: boolean;
  /** The first failure, or an example request and its total. */
  detail: string;
  requests: number;
  /** Answers whose total was above 0. */
  nonEmpty: number;
}

export interface ShapeResult {
  shape: Shape;
  target: Target;
  check: Check;
  alone: Measurement;
  withWrites: Measurement;
  writer: WriterStats;
  /** req/s the shape is judged against: the mean of the ceiling's runs nearest before and after it. */
  ceiling: number;
}

export interface DialectRun {
  dialect: Dialect;
  quick: boolean;
  /** Only some shapes were measured (--only): the report gets a name of its own, so that it never replaces a whole run's. */
  partial: boolean;
  startedAt: Date;
  seconds: number;
  dataset: Dataset;
  timing: Timing;
  writeRate: number;
  /** The ceiling's runs, in order: before the first shape, then after each one or only after the last. */
  ceiling: { runs: Measurement[]; afterEachShape: boolean; bytes: number };
  shapes: ShapeResult[];
  peakRss: number | null;
  /** 1-minute load averages at the start and the end: other work on the machine shows here. */
  load: { start: number; end: number };
}

const number = (value: number, digits = 0) => value.toLocaleString('en', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const percent = (value: number) => `${number(value * 100, 1)} %`;
const megabytes = (bytes: number) => `${number(bytes / 1024 / 1024)} MB`;
const mark = (pass: boolean) => (pass ? 'pass' : '**miss**');

export const ceilingAverage = (run: DialectRun) =>
  run.ceiling.runs.reduce((sum, m) => sum + m.requestsPerSecond, 0) / Math.max(1, run.ceiling.runs.length);

/** Why a measurement cannot count, if it cannot: an answer that was an error is not a fast answer. */
function failureOf(measurement: Measurement): string | null {
  if (measurement.errors > 0 || measurement.non2xx > 0) {
    return `${measurement.errors} errors, ${measurement.non2xx} non-2xx (${JSON.stringify(measurement.statusCodes)})`;
  }
  return null;
}

export function passes(run: DialectRun, result: ShapeResult, measurement: Measurement, writer?: WriterStats): boolean {
  return (
    result.check.ok &&
    measurement.requests > 0 &&
    failureOf(measurement) === null &&
    (writer === undefined || writer.errors === 0) &&
    measurement.requestsPerSecond / result.ceiling >= result.target.ratio &&
    measurement.p99 <= result.target.p99
  );
}

/** What makes the run itself fail, as opposed to missing a target. */
export function failures(run: DialectRun): string[] {
  const found: string[] = [];
  for (const [index, measurement] of run.ceiling.runs.entries()) {
    const failure = failureOf(measurement);
    if (failure) found.push(`ceiling run ${index + 1}: ${failure}`);
  }
  for (const result of run.shapes) {
    const name = result.shape.name;
    if (!result.check.ok) found.push(`${name}: correctness check failed: ${result.check.detail}`);
    const alone = failureOf(result.alone);
    if (alone) found.push(`${name}, reads: ${alone}`);
    const withWrites = failureOf(result.withWrites);
    if (withWrites) found.push(`${name}, reads + writes: ${withWrites}`);
    if (result.writer.errors > 0) {
      found.push(
        `${name}: ${result.writer.errors} write errors ${JSON.stringify(result.writer.outcomes)}; first: ${result.writer.firstError}`,
      );
    }
  }
  return found;
}

function git(...args: string[]): string | null {
  try {
    return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

/**
 * The code measured, read when the run starts: the tree may change while it runs (a report of
 * the same day rewritten, work going on), and the results must name what was built and seeded.
 * Reports are left out: writing one does not change the code.
 */
const CODE = (() => {
  const commit = git('rev-parse', '--short', 'HEAD');
  const dirty = git('status', '--porcelain', '--untracked-files=no', '--', '.', ':(exclude)bench/results');
  return `${commit ?? 'unknown commit'}${dirty ? ' with uncommitted changes' : ''}`;
})();

function machine(): string[] {
  return [
    `- Machine: ${os.availableParallelism()} cores (${os.cpus()[0]?.model ?? 'unknown CPU'}), ${number(os.totalmem() / 1024 ** 3, 1)} GiB memory, Node ${process.version}, ${os.type()} ${os.release()}`,
    `- Code: ${CODE}`,
  ];
}

function table(header: string[], rows: string[][]): string[] {
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((row) => `| ${row.join(' | ')} |`)];
}

const targetText = (target: Target) => `≥ ${percent(target.ratio)}, p99 ≤ ${target.p99} ms`;

function resultRows(run: DialectRun): string[][] {
  const average = ceilingAverage(run);
  const rows: string[][] = [];
  for (const result of run.shapes) {
    for (const [mode, measurement, writer] of [
      ['reads', result.alone, undefined],
      ['reads + writes', result.withWrites, result.writer],
    ] as const) {
      rows.push([
        result.shape.name,
        mode,
        number(measurement.requestsPerSecond),
        // No answer at all within the run (every request slower than it) has no latency to show, and passes nothing.
        measurement.requests === 0 ? '—' : number(measurement.p50),
        measurement.requests === 0 ? 'none answered' : number(measurement.p99),
        `${measurement.errors} / ${measurement.non2xx}`,
        number(result.ceiling),
        percent(measurement.requestsPerSecond / result.ceiling),
        percent(measurement.requestsPerSecond / average),
        targetText(result.target),
        mark(passes(run, result, measurement, writer)),
      ]);
    }
  }
  return rows;
}

export function renderReport(run: DialectRun): string {
  const { dataset, timing } = run;
  const date = run.startedAt.toISOString().slice(0, 10);
  const ceiling = ceilingAverage(run);
  const importTarget = IMPORT_TARGET[run.dialect];
  const importPass = dataset.import.perSecond >= importTarget;
  const rssPass = run.peakRss !== null && run.peakRss <= RSS_TARGET_BYTES;
  const importerRss = dataset.import.peakRss ?? null;
  const importerRssPass = importerRss !== null && importerRss <= RSS_TARGET_BYTES;
  const { [ALL_CONVERSATIONS]: all, ...big } = dataset.counts;
  const counts = Object.entries(big)
    .map(([table, n]) => `${table} ${number(n)}`)
    .join(', ');
  const problems = failures(run);

  const lines = [
    `# List benchmark: ${run.dialect}, ${date}${run.quick ? ' (quick)' : ''}${run.partial ? ', some shapes only' : ''}`,
    '',
    ...machine(),
    `- Dataset: ${number(dataset.size.big)} conversations in the big workspace and ${dataset.size.smallCount} × ${number(dataset.size.small)} in small ones (${number(all ?? 0)} in all); rows of the big workspace: ${counts}`,
    `- Cache: key ${dataset.key}, ${dataset.built ? 'seeded by this run' : `reused (seeded ${dataset.builtAt})`}` +
      (dataset.analyzeSeconds !== null ? `; VACUUM ANALYZE after the import took ${number(dataset.analyzeSeconds, 1)} s` : ''),
    `- Import (big workspace, \`parley import\` of the built CLI reading the generated NDJSON on stdin): ${number(dataset.import.perSecond)} conversations/s (${number(dataset.import.conversations)} in ${number(dataset.import.seconds, 1)} s${dataset.built ? '' : `, measured ${dataset.import.measuredAt}`}); importer peak RSS (VmHWM) ${importerRss === null ? 'unknown' : megabytes(importerRss)}`,
    `- Copy floor (the import's baseline: the database itself copying the big workspace's rows, as seeded, into the same tables and indexes over the other workspaces, one transaction, no triggers, no foreign key checks, measured ${dataset.copyFloor.measuredAt}): ${number(dataset.copyFloor.perSecond)} conversations/s (${number(dataset.copyFloor.seconds, 1)} s); the import ran at ${percent(dataset.import.perSecond / dataset.copyFloor.perSecond)} of it`,
    `- Server: the compiled build (\`node dist/server.js\`), rate limit off, log level warn`,
    `- Load: autocannon, ${timing.connections} connections, ${timing.warmup} s warm-up then ${timing.duration} s measured per run; each request's values drawn at random from the big workspace's (up to 5,000 of each kind: paths repeat, and a repeat is answered from the response cache while no write has moved the workspace's version, or, for a list by task, agent, contact, campaign or phone fragment, while no write has named it); the big workspace's token`,
    `- Writer (reads + writes runs): ${run.writeRate} writes/s through the API to the big workspace: 20 % new conversations (PUT), 50 % new messages (POST …/messages), 30 % status changes (PATCH)`,
    `- Ceiling (bare Fastify serving a captured default page, ${number(run.ceiling.bytes)} bytes), measured before the first shape and after ${run.ceiling.afterEachShape ? 'each' : 'the last'}, once Parley had gone idle: ${run.ceiling.runs.map((m) => number(m.requestsPerSecond)).join(', ')} req/s; average ${number(ceiling)}. Each shape is judged against the mean of the runs nearest before and after it (the "ceiling" column), since the machine's speed can drift by a third within one run`,
    `- Server peak RSS (VmHWM): ${run.peakRss === null ? 'unknown' : megabytes(run.peakRss)}`,
    `- Duration of the run: ${number(run.seconds)} s; 1-minute load average ${number(run.load.start, 2)} at the start, ${number(run.load.end, 2)} at the end`,
    '',
    '## Results',
    '',
    ...table(
      ['shape', 'mode', 'req/s', 'p50 ms', 'p99 ms', 'errors / non-2xx', 'ceiling', 'of ceiling', 'of run average', 'target', 'result'],
      resultRows(run),
    ),
    '',
    '## Shapes and correctness checks',
    '',
    'Before its runs, each shape is asked a few times: every answer must be 200 with an integer `total`.',
    '',
    ...table(
      ['shape', 'request', 'check', 'answers with total > 0'],
      run.shapes.map((r) => [
        r.shape.name,
        `\`${r.shape.description}\``,
        r.check.ok ? `ok (${r.check.detail})` : `**failed**: ${r.check.detail}`,
        `${r.check.nonEmpty} of ${r.check.requests}`,
      ]),
    ),
    '',
    '## Writer',
    '',
    ...table(
      ['during shape', 'writes ok', 'errors', 'sent/s', 'p50 ms', 'p99 ms'],
      run.shapes.map((r) => [
        r.shape.name,
        number(r.writer.ok),
        String(r.writer.errors),
        number(r.writer.ratePerSecond, 1) + (r.writer.ratePerSecond < run.writeRate * 0.95 ? ' (**behind**)' : ''),
        number(r.writer.p50, 1),
        number(r.writer.p99, 1),
      ]),
    ),
    '',
    '## Targets',
    '',
    ...table(
      ['target', 'goal', 'reads', 'reads + writes'],
      [
        ...run.shapes.map((r) => [
          r.shape.name,
          targetText(r.target),
          mark(passes(run, r, r.alone)),
          mark(passes(run, r, r.withWrites, r.writer)),
        ]),
        ['import', `≥ ${number(importTarget)} conversations/s`, mark(importPass), ''],
        ['server RSS', `≤ ${megabytes(RSS_TARGET_BYTES)}`, mark(rssPass), ''],
        ['importer RSS', `≤ ${megabytes(RSS_TARGET_BYTES)}`, mark(importerRssPass), ''],
      ],
    ),
    '',
  ];
  if (problems.length > 0) lines.push('## Failures', '', ...problems.map((problem) => `- ${problem}`), '');
  return lines.join('\n');
}

/**
 * A day's second full report of a dialect and size gets its own name (`-2`, `-3`, …) rather than
 * replacing the first, which the repository may already keep; a partial one is scratch and does.
 */
export function writeReport(run: DialectRun): string {
  const dir = join(ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const stem = join(
    dir,
    `${run.startedAt.toISOString().slice(0, 10)}-${run.dialect}${run.quick ? '-quick' : ''}${run.partial ? '-partial' : ''}`,
  );
  let file = `${stem}.md`;
  for (let n = 2; !run.partial && existsSync(file); n++) file = `${stem}-${n}.md`;
  writeFileSync(file, renderReport(run));
  return file;
}
