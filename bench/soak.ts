import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { Command, InvalidArgumentError, Option } from 'commander';
import { CHANNELS, CONVERSATION_STATUSES } from '../src/conversations/schemas.js';
import { type Child, freePort, killAllNow, peakRss, ROOT, spawnTsx, stopAll, tail, waitUntilReady } from './processes.js';
import type { Samples } from './samples.js';
import { startWriter, type WriterStats } from './writer.js';

/**
 * `npm run soak -- --minutes N`: mixed reads and writes against one Parley for a long while, to
 * see that nothing fails and nothing leaks. Without --url it starts its own Parley on a temporary
 * SQLite file seeded with 20,000 conversations. The load is bounded (a rate and a number of
 * connections), and only ever sent to a loopback address.
 *
 * RSS is compared between the end of a warm-up (the heap, the JIT, the statement cache and the
 * database's page cache have grown to their working size by then) and the end of the run, each
 * the median of the last few samples so that one garbage collection does not decide.
 */

const SEED_CONVERSATIONS = 20_000;
const WORKSPACE = 'soak';
const REQUEST_TIMEOUT_MS = 10_000;
const RSS_GROWTH_LIMIT = 0.1;
/** Samples of the latencies kept for the percentiles: enough for p99, bounded for long runs. */
const RESERVOIR = 50_000;
const LOOPBACK = new Set(['127.0.0.1', '[::1]', 'localhost']);

const run = promisify(execFile);
const pick = <T>(values: readonly T[]): T => values[Math.floor(Math.random() * values.length)]!;
const number = (value: number, digits = 0) => value.toLocaleString('en', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
const clock = (seconds: number) => `${Math.floor(seconds / 60)}:${String(Math.floor(seconds % 60)).padStart(2, '0')}`;

function positive(name: string, max: number) {
  return (raw: string) => {
    const value = Number(raw);
    if (!Number.isFinite(value) || value <= 0 || value > max)
      throw new InvalidArgumentError(`${name} must be a number above 0 and at most ${max}`);
    return value;
  };
}

function loopbackUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new InvalidArgumentError('not a URL');
  }
  if (url.protocol !== 'http:') throw new InvalidArgumentError('only http:// is supported');
  // The soak sends thousands of requests a minute: never to another machine.
  if (!LOOPBACK.has(url.hostname))
    throw new InvalidArgumentError(`only loopback addresses (127.0.0.1, ::1, localhost), not ${url.hostname}`);
  return url.origin;
}

interface Options {
  minutes: number;
  warmup?: number;
  url?: string;
  token?: string;
  metricsToken?: string;
  readRate: number;
  writeRate: number;
  connections: number;
}

function parseOptions(): Options {
  const program = new Command('soak')
    .description('Mixed reads and writes against one Parley for N minutes; reports errors, throughput, latency and the server RSS')
    .addOption(
      new Option('--minutes <n>', 'how long to measure, after the warm-up; fractions allowed')
        .argParser(positive('--minutes', 24 * 60))
        .makeOptionMandatory(),
    )
    .addOption(
      new Option('--warmup <seconds>', 'load before the RSS baseline is taken (default: 60, or a fifth of --minutes if shorter)').argParser(
        positive('--warmup', 3600),
      ),
    )
    .addOption(
      new Option('--url <url>', 'a running Parley on a loopback address (default: start one on a temporary SQLite file)').argParser(
        loopbackUrl,
      ),
    )
    .addOption(new Option('--token <token>', 'an API token of a workspace with conversations (required with --url)'))
    .addOption(new Option('--metrics-token <token>', "the server's METRICS_TOKEN, if it has one (--url only: RSS comes from /metrics)"))
    .addOption(new Option('--read-rate <n>', 'reads per second, at most').argParser(positive('--read-rate', 10_000)).default(40))
    .addOption(
      new Option('--write-rate <n>', 'writes per second (PUT new, POST message, PATCH status), plus PUT updates at a tenth of it')
        .argParser(positive('--write-rate', 1000))
        .default(10),
    )
    .addOption(new Option('--connections <n>', 'reads in flight, at most').argParser(positive('--connections', 256)).default(8))
    .showHelpAfterError('(add --help for usage)');
  program.parse();
  const options = program.opts<Options>();
  if (options.url && !options.token) program.error('--url needs --token');
  if (!options.url && (options.token || options.metricsToken)) program.error('--token and --metrics-token go with --url');
  return { ...options, connections: Math.floor(options.connections) };
}

/** The server under test: its origin, a token, and how to read its RSS. */
interface Target {
  origin: string;
  token: string;
  description: string;
  rss(): Promise<number>;
  /** Peak RSS as the kernel counted it (VmHWM), when the process is ours. */
  peak(): number | null;
  close(): Promise<void>;
}

function vmRss(pid: number): number {
  const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!match) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(match[1]) * 1024;
}

/** A Parley of our own on a fresh SQLite file, seeded through the CLI as an operator would. */
async function ownParley(): Promise<Target> {
  const dir = mkdtempSync(join(tmpdir(), 'parley-soak-'));
  const env = { ...process.env, DATABASE_URL: `sqlite:${join(dir, 'soak.db')}` };
  const cli = (args: string[]) => run(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], { cwd: ROOT, env, maxBuffer: 1 << 20 });
  let child: Child | null = null;
  try {
    console.log(`Seeding ${number(SEED_CONVERSATIONS)} conversations into ${dir}/soak.db …`);
    await cli(['seed', WORKSPACE, '--conversations', String(SEED_CONVERSATIONS), '--seed', '7']);
    const token = (await cli(['token', 'create', WORKSPACE, '--name', 'soak'])).stdout.trim();
    const port = await freePort();
    child = spawnTsx(
      'src/server.ts',
      {
        DATABASE_URL: env.DATABASE_URL,
        HOST: '127.0.0.1',
        PORT: String(port),
        LOG_LEVEL: 'warn',
        RATE_LIMIT_PER_MINUTE: '0',
        METRICS: 'off',
      },
      join(dir, 'server.log'),
    );
    const origin = `http://127.0.0.1:${port}`;
    await waitUntilReady(child, `${origin}/api/v1/conversations?per_page=1`, { authorization: `Bearer ${token}` }, 60_000);
    const server = child;
    return {
      origin,
      token,
      description: `its own Parley (pid ${server.pid}, SQLite, ${number(SEED_CONVERSATIONS)} conversations, log ${server.log})`,
      rss: async () => vmRss(server.pid),
      peak: () => peakRss(server.pid),
      close: async () => {
        await server.stop();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    if (child) console.error(tail(child.log));
    await child?.stop();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

/** Someone else's Parley: RSS comes from its /metrics. */
async function runningParley(origin: string, token: string, metricsToken: string | undefined): Promise<Target> {
  const rss = async () => {
    const response = await fetch(`${origin}/metrics`, {
      headers: metricsToken ? { authorization: `Bearer ${metricsToken}` } : {},
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const text = await response.text();
    const line = text.split('\n').find((candidate) => candidate.startsWith('process_resident_memory_bytes '));
    if (!response.ok || !line) {
      throw new Error(
        `${origin}/metrics answered ${response.status} without process_resident_memory_bytes: the soak needs it for RSS (METRICS=on)`,
      );
    }
    return Number(line.split(' ')[1]);
  };
  try {
    await rss();
  } catch (error) {
    // undici hides the reason in `cause`, or in its `errors` when localhost resolved to two addresses.
    const cause = (error as { cause?: { code?: string; message?: string; errors?: { code?: string }[] } }).cause;
    throw new Error(`cannot use ${origin}: ${cause?.code ?? cause?.errors?.[0]?.code ?? cause?.message ?? (error as Error).message}`);
  }
  return { origin, token, description: `${origin}`, rss, peak: () => null, close: async () => {} };
}

interface Conversation {
  uuid: string;
  agent_uuid: string | null;
  campaign_uuid: string | null;
  task_uuids: string[];
  contact: { uuid: string; phone_number: string | null };
}

/** Real values from the workspace, through the API (a --url server's database is not ours to open): a few pages spread over it. */
async function sampleThroughApi(target: Target): Promise<Samples> {
  const headers = { authorization: `Bearer ${target.token}` };
  const page = async (n: number) => {
    const response = await fetch(`${target.origin}/api/v1/conversations?per_page=100&page=${n}`, { headers });
    if (!response.ok) throw new Error(`sampling: GET /api/v1/conversations answered ${response.status}: ${await response.text()}`);
    return (await response.json()) as { data: { data: Conversation[]; last_page: number } };
  };
  const first = await page(1);
  const lastPage = first.data.last_page;
  const conversations = [...first.data.data];
  for (let i = 1; i < 10 && i < lastPage; i++) conversations.push(...(await page(1 + Math.floor((i / 10) * lastPage))).data.data);
  if (conversations.length === 0) throw new Error('the workspace has no conversations to read and write');
  const distinct = (values: (string | null)[]) => [...new Set(values.filter((value): value is string => value !== null))];
  const samples: Samples = {
    conversations: distinct(conversations.map((c) => c.uuid)),
    contacts: distinct(conversations.map((c) => c.contact.uuid)),
    phoneDigits: distinct(conversations.map((c) => (c.contact.phone_number ?? '').replace(/\D/g, ''))).filter((d) => d.length >= 7),
    agents: distinct(conversations.map((c) => c.agent_uuid)),
    campaigns: distinct(conversations.map((c) => c.campaign_uuid)),
    tasks: distinct(conversations.flatMap((c) => c.task_uuids)),
  };
  for (const [name, values] of Object.entries(samples)) {
    if (values.length === 0) throw new Error(`the workspace has no ${name} to sample`);
  }
  return samples;
}

/** Percentiles from a bounded uniform sample of every latency seen (Algorithm R). */
class Latencies {
  private kept: number[] = [];
  private seen = 0;
  add(ms: number) {
    this.seen++;
    if (this.kept.length < RESERVOIR) this.kept.push(ms);
    else {
      const slot = Math.floor(Math.random() * this.seen);
      if (slot < RESERVOIR) this.kept[slot] = ms;
    }
  }
  percentile(p: number): number {
    if (this.kept.length === 0) return 0;
    const sorted = [...this.kept].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
  }
}

/** Errors by kind (`GET list: 500`, `PUT update: timeout`, …) with the first example of each. */
class Errors {
  readonly byKind = new Map<string, { count: number; example: string }>();
  total = 0;
  add(kind: string, example: string) {
    this.total++;
    const entry = this.byKind.get(kind);
    if (entry) entry.count++;
    else this.byKind.set(kind, { count: 1, example: example.slice(0, 300) });
  }
}

interface Phase {
  started: number;
  reads: number;
  updates: number;
  /** Every GET, the updates' included. */
  readLatencies: Latencies;
  updateLatencies: Latencies;
}

const newPhase = (): Phase => ({
  started: performance.now(),
  reads: 0,
  updates: 0,
  readLatencies: new Latencies(),
  updateLatencies: new Latencies(),
});

/** One read (or a read-modify-write) as a client of the API does them, with values drawn from the workspace. */
function readShapes(samples: Samples) {
  const isoMinutesAgo = (minutes: number) => new Date(Date.now() - minutes * 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const fragment = () => {
    const digits = pick(samples.phoneDigits);
    const length = 4 + Math.floor(Math.random() * 4);
    const start = Math.floor(Math.random() * Math.max(1, digits.length - length));
    return digits.slice(start, start + length);
  };
  const list = '/api/v1/conversations';
  const conversation = () => `${list}/${pick(samples.conversations)}`;
  return {
    'list default': () => list,
    'list status+channel': () => `${list}?status=${pick(CONVERSATION_STATUSES)}&channel=${pick(CHANNELS).toLowerCase()},sms`,
    'list agent': () => `${list}?agent_uuid=${pick(samples.agents)}&per_page=50`,
    'list contact': () => `${list}?contact_uuid=${pick(samples.contacts)}`,
    'list campaign': () => `${list}?campaign_uuid=${pick(samples.campaigns)}&sort_by=updated_at`,
    'list task': () => `${list}?task_uuid=${pick(samples.tasks)}`,
    'list phone': () => `${list}?phone=${fragment()}`,
    'list page 100': () => `${list}?page=100&per_page=20`,
    'list updated_since': () => `${list}?updated_since=${isoMinutesAgo(10)}&sort_by=updated_at&sort_dir=asc`,
    'list created range': () => `${list}?created_from=${isoMinutesAgo(60 * 24 * 30)}&created_to=${isoMinutesAgo(60 * 24 * 7)}`,
    'list cursor': () => `${list}?cursor=&per_page=25`,
    detail: conversation,
    messages: () => `${conversation()}/messages?per_page=50`,
    sessions: () => `${conversation()}/sessions`,
    analytics: () => `/api/v1/analytics/messages?from=${isoMinutesAgo(60 * 24 * 90)}&to=${isoMinutesAgo(0)}&limit=200`,
  } satisfies Record<string, () => string>;
}

async function main() {
  const options = parseOptions();
  const warmupSeconds = options.warmup ?? Math.min(60, (options.minutes * 60) / 5);
  const measuredSeconds = options.minutes * 60;

  const target = options.url ? await runningParley(options.url, options.token!, options.metricsToken) : await ownParley();
  try {
    const samples = await sampleThroughApi(target);
    const shapes = Object.entries(readShapes(samples));
    const headers = { authorization: `Bearer ${target.token}` };
    const errors = new Errors();
    const etags = new Map<string, string>();
    let phase = newPhase();
    let stopping = false;
    let inFlight = 0;
    /** Across both phases, for the progress lines. */
    let readsSoFar = 0;

    console.log(`Soak: ${clock(measuredSeconds)} measured after a ${number(warmupSeconds, 1)} s warm-up, against ${target.description}`);
    console.log(
      `  load: reads at most ${options.readRate}/s over at most ${options.connections} connections (${shapes.length} shapes, ` +
        `conditional GETs included); writes ${options.writeRate}/s (PUT new 20 %, POST message 50 %, PATCH status 30 %) ` +
        `plus PUT updates at ${number(options.writeRate / 10, 1)}/s`,
    );

    /** A request that counts: 2xx, or 304 to a conditional GET, is fine; anything else is an error of its kind. */
    async function call(kind: string, method: string, path: string, body?: unknown, extra: Record<string, string> = {}) {
      const began = performance.now();
      try {
        const response = await fetch(`${target.origin}${path}`, {
          method,
          headers: { ...headers, ...extra, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        });
        const text = await response.text();
        (method === 'GET' ? phase.readLatencies : phase.updateLatencies).add(performance.now() - began);
        if (response.ok || response.status === 304) return { response, text };
        errors.add(`${kind}: ${response.status}`, `${method} ${path}: ${text}`);
      } catch (error) {
        const cause = (error as { cause?: { code?: string } }).cause?.code;
        const name = (error as Error).name === 'TimeoutError' ? 'timeout' : (cause ?? (error as Error).name);
        errors.add(`${kind}: ${name}`, `${method} ${path}: ${(error as Error).message}`);
      }
      return null;
    }

    async function read() {
      const [name, path] = pick(shapes);
      const url = path();
      // Half of the list and detail reads poll with the ETag they were last given, as a syncing client does.
      const etag = Math.random() < 0.5 ? etags.get(name) : undefined;
      const answer = await call(`GET ${name}`, 'GET', url, undefined, etag ? { 'if-none-match': etag } : {});
      const fresh = answer?.response.headers.get('etag');
      if (fresh) etags.set(name, fresh);
      if (answer) {
        phase.reads++;
        readsSoFar++;
      }
    }

    /**
     * Read, change, write back, as a client editing a conversation does: the object as read, with
     * another status. Without the keys the writer's messages move meanwhile (timestamp, sessions),
     * which the PUT would otherwise set back; without updated_at, which the change moves.
     */
    async function update() {
      const uuid = pick(samples.conversations);
      const answer = await call('GET detail (update)', 'GET', `/api/v1/conversations/${uuid}`);
      if (!answer) return;
      const { uuid: _, timestamp: _t, session_uuids: _s, updated_at: _u, ...conversation } = JSON.parse(answer.text).data;
      const status = conversation.status === 'Active' ? 'Closed' : 'Active';
      if (await call('PUT update', 'PUT', `/api/v1/conversations/${uuid}`, { ...conversation, status })) phase.updates++;
    }

    // Due by the clock, like the writer: a late tick catches up rather than lowering the rate.
    let launchedReads = 0;
    let launchedUpdates = 0;
    const started = performance.now();
    const ticker = setInterval(() => {
      if (stopping) return;
      const seconds = (performance.now() - started) / 1000;
      while (launchedReads < Math.floor(seconds * options.readRate) && inFlight < options.connections) {
        launchedReads++;
        inFlight++;
        void read().finally(() => inFlight--);
      }
      while (launchedUpdates < Math.floor((seconds * options.writeRate) / 10)) {
        launchedUpdates++;
        void update();
      }
      // Reads the server could not keep up with are skipped, not owed: the rate is a ceiling.
      launchedReads = Math.max(launchedReads, Math.floor(seconds * options.readRate) - options.connections);
    }, 10);

    const rssSamples: { at: number; bytes: number }[] = [];
    const sampleEvery = Math.min(2, (warmupSeconds + measuredSeconds) / 20) * 1000;
    const sampleRss = async () => {
      try {
        rssSamples.push({ at: performance.now(), bytes: await target.rss() });
      } catch (error) {
        errors.add('RSS sample', (error as Error).message);
      }
    };
    const sampler = setInterval(() => void sampleRss(), sampleEvery);
    const median = (from: number, to: number) => {
      const window = rssSamples.filter((sample) => sample.at >= from && sample.at <= to).slice(-5);
      const sorted = window.map((sample) => sample.bytes).sort((a, b) => a - b);
      return sorted.length ? sorted[Math.floor(sorted.length / 2)]! : NaN;
    };

    let writer = startWriter(target.origin, target.token, samples, options.writeRate);
    const progressEvery = Math.min(30, Math.max(5, measuredSeconds / 10)) * 1000;
    let lastProgress = { at: performance.now(), reads: 0 };
    const progress = setInterval(() => {
      const now = performance.now();
      const rate = (readsSoFar - lastProgress.reads) / ((now - lastProgress.at) / 1000);
      lastProgress = { at: now, reads: readsSoFar };
      const rss = rssSamples.at(-1)?.bytes;
      console.log(
        `  [${clock((now - started) / 1000)}] reads ${number(rate, 1)}/s  errors ${errors.total}  RSS ${rss === undefined ? '?' : mb(rss)}`,
      );
    }, progressEvery);

    await sleep(warmupSeconds * 1000);
    // The warm-up's writes count for errors only; the measured phase gets a writer of its own, for clean figures.
    const warmupWrites = await writer.stop();
    for (const [outcome, count] of Object.entries(warmupWrites.outcomes)) {
      if (!/^2\d\d$/.test(outcome)) errors.add(`write (warm-up): ${outcome}`, `${count}x; first: ${warmupWrites.firstError}`);
    }
    await sampleRss();
    const baselineAt = performance.now();
    const rssStart = median(started, baselineAt);
    console.log(`  warm-up done: RSS baseline ${mb(rssStart)}; measuring`);
    writer = startWriter(target.origin, target.token, samples, options.writeRate);
    phase = newPhase();

    await sleep(measuredSeconds * 1000);
    const measuredFor = (performance.now() - phase.started) / 1000;
    const readsDone = phase.reads;
    stopping = true;
    clearInterval(ticker);
    const writes: WriterStats = await writer.stop();
    const drainDeadline = Date.now() + REQUEST_TIMEOUT_MS;
    while (inFlight > 0 && Date.now() < drainDeadline) await sleep(20);
    clearInterval(progress);
    clearInterval(sampler);
    await sampleRss();
    const rssEnd = median(baselineAt, performance.now());
    const peak = Math.max(...rssSamples.map((sample) => sample.bytes), target.peak() ?? 0);
    for (const [outcome, count] of Object.entries(writes.outcomes)) {
      if (!/^2\d\d$/.test(outcome)) errors.add(`write: ${outcome}`, `${count}x; first: ${writes.firstError}`);
    }

    const growth = rssEnd / rssStart - 1;
    console.log('\nResult');
    console.log(`  measured     ${number(measuredFor, 1)} s (after ${number(warmupSeconds, 1)} s of warm-up under the same load)`);
    const ms = (latencies: Latencies) => `p50 ${number(latencies.percentile(50), 1)} ms  p99 ${number(latencies.percentile(99), 1)} ms`;
    console.log(`  reads        ${number(readsDone)} (${number(readsDone / measuredFor, 1)}/s)  ${ms(phase.readLatencies)}`);
    const written = writes.ok + phase.updates;
    console.log(
      `  writes       ${number(written)} (${number(written / measuredFor, 1)}/s)  p50 ${number(writes.p50, 1)} ms  p99 ${number(writes.p99, 1)} ms; ` +
        `sent: PUT new ${writes.byKind.put}, POST message ${writes.byKind.message}, PATCH status ${writes.byKind.status}; ` +
        `PUT updates ${phase.updates} (${ms(phase.updateLatencies)})`,
    );
    console.log(`  errors       ${errors.total}`);
    for (const [kind, { count, example }] of errors.byKind) console.log(`    ${kind}: ${count}  e.g. ${example}`);
    console.log(
      `  RSS          start ${mb(rssStart)}  end ${mb(rssEnd)}  peak ${mb(peak)}  growth ${growth >= 0 ? '+' : ''}${(growth * 100).toFixed(1)} % ` +
        `(limit ${RSS_GROWTH_LIMIT * 100} %; start and end: medians of the last ${Math.min(5, rssSamples.length)} samples, one every ${number(sampleEvery / 1000, 1)} s)`,
    );
    const problems = [
      ...(errors.total > 0 ? [`${errors.total} errors`] : []),
      // NaN (no sample) fails too: a soak that could not watch the memory proved nothing about it.
      ...(growth < RSS_GROWTH_LIMIT ? [] : [`RSS growth ${(growth * 100).toFixed(1)} % is not under ${RSS_GROWTH_LIMIT * 100} %`]),
    ];
    console.log(problems.length > 0 ? `\nFAIL: ${problems.join('; ')}` : '\nPASS');
    return problems.length > 0 ? 1 : 0;
  } finally {
    await target.close();
  }
}

process.on('exit', killAllNow);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.error(`\nsoak: ${signal}, stopping`);
    killAllNow();
    process.exit(130);
  });
}

main()
  .then((code) => process.exit(code))
  .catch(async (error: unknown) => {
    console.error('soak: failed:', error instanceof Error ? error.message : error);
    await stopAll();
    process.exit(1);
  });
