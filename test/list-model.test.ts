import fc from 'fast-check';
import type { LightMyRequestResponse } from 'fastify';
import { expect, it } from 'vitest';
import { describeEachDialect, type TestWorkspace, toQueryString } from './helpers/app.js';
import { type Answer, ConversationsModel, type ListQuery } from './model/conversations.js';
import {
  bodyOf,
  INVALID,
  type QueryRecipe,
  resolveFilters,
  uuidOf,
  type WorkspacePlan,
  workspacePlan,
  writesOf,
} from './model/generate.js';

/**
 * Parley's list against the reference model (test/model/), on random workspaces written through
 * `PUT /api/v1/conversations/{uuid}` and random queries between those writes: every answer must be
 * the model's, whole, whether the response cache kept it or not.
 *
 * Each run prints its seed; `FC_SEED=<seed>` repeats it, and `FC_SEED=<seed> FC_PATH=<path>`
 * (both printed by fast-check on a failure) replays just the shrunk counterexample.
 * `FC_RUNS` sets the number of workspaces per dialect, `FC_SHRINK_SECONDS` the time shrinking may take.
 */
const SEED = process.env.FC_SEED !== undefined ? Number(process.env.FC_SEED) : Math.floor(Math.random() * 2 ** 31);
const PATH = process.env.FC_PATH;
const WORKSPACES = Number(process.env.FC_RUNS ?? 50);
const QUERIES_PER_WORKSPACE = 45;
/** List requests compared per dialect in a full run: the issue asks for 1,000 per CI run; each dialect makes them on its own. */
const MIN_QUERIES = 1_000;
/** Shrinking replays a whole workspace per step: this long at most, then the smallest failure found so far is reported. */
const SHRINK_SECONDS = Number(process.env.FC_SHRINK_SECONDS ?? 45);
/** Longest a cursor walk goes (each page counts as a query). */
const MAX_CURSOR_PAGES = 12;

interface Stats {
  workspaces: number;
  writes: number;
  queries: number;
  /** Answers with at least one conversation: proof that the queries find things, not just empty pages. */
  nonEmpty: number;
  rejected: number;
  phoneMatches: number;
  cursorPages: number;
  /** Pages asked again after the writes that followed them. */
  askedAgain: number;
  details: number;
}

/** Differences between an answer and the model's, as `path: got …, expected …` lines; key order included. */
function differences(actual: unknown, expected: unknown, path = '$', out: string[] = []): string[] {
  if (out.length >= 8) return out;
  const show = (value: unknown) => (value === undefined ? 'nothing' : JSON.stringify(value)?.slice(0, 200));
  if (expected !== null && typeof expected === 'object' && 'asymmetricMatch' in expected) {
    if (!(expected as { asymmetricMatch(value: unknown): boolean }).asymmetricMatch(actual)) {
      out.push(`${path}: got ${show(actual)}, expected ${String(expected)}`);
    }
  } else if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) out.push(`${path}: got ${show(actual)}, expected an array`);
    else {
      if (actual.length !== expected.length) out.push(`${path}: got ${actual.length} items, expected ${expected.length}`);
      const uuids = (list: unknown[]) => list.map((item) => (item as { uuid?: unknown })?.uuid);
      if (expected.some((item) => item && typeof item === 'object' && 'uuid' in item)) {
        const [got, want] = [uuids(actual), uuids(expected)];
        if (JSON.stringify(got) !== JSON.stringify(want)) out.push(`${path} uuids: got ${show(got)}, expected ${show(want)}`);
      }
      expected.forEach((item, i) => i < actual.length && differences(actual[i], item, `${path}[${i}]`, out));
    }
  } else if (expected !== null && typeof expected === 'object') {
    if (actual === null || typeof actual !== 'object' || Array.isArray(actual))
      out.push(`${path}: got ${show(actual)}, expected an object`);
    else {
      const [got, want] = [Object.keys(actual), Object.keys(expected)];
      if (got.join() !== want.join()) out.push(`${path} keys: got ${got.join(', ')}, expected ${want.join(', ')}`);
      for (const key of want)
        differences((actual as Record<string, unknown>)[key], (expected as Record<string, unknown>)[key], `${path}.${key}`, out);
    }
  } else if (!Object.is(actual, expected)) {
    out.push(`${path}: got ${show(actual)}, expected ${show(expected)}`);
  }
  return out;
}

/** Throws, naming the request and where the answer differs, unless Parley answered what the model answers. */
function compare(request: string, response: LightMyRequestResponse, expected: Answer) {
  let body: unknown;
  try {
    body = JSON.parse(response.body);
  } catch {
    body = response.body;
  }
  const diff = differences({ status: response.statusCode, body }, { status: expected.status, body: expected.body });
  if (diff.length > 0) throw new Error(`${request} differs from the model:\n  ${diff.join('\n  ')}`);
  return body;
}

/** Where in the list a recipe's page lands: inside it, just past its end or far past it. */
function pageOf(recipe: QueryRecipe, total: number, perPage: number): string | undefined {
  const last = Math.max(1, Math.ceil(total / perPage));
  switch (recipe.page.mode) {
    case 'omit':
      return undefined;
    case 'inside':
      return String(1 + (recipe.page.n % last));
    case 'past':
      return String(last + 1 + (recipe.page.n % 2));
    default:
      return String([1_000, 2_147_483_647][recipe.page.n % 2]);
  }
}

/**
 * Asks a recipe's query, then makes the writes `then` makes; a page (not a cursor walk) is asked
 * again after them, so that an answer the response cache kept across writes is held to the model too.
 */
async function runQuery(
  ws: TestWorkspace,
  model: ConversationsModel,
  plan: WorkspacePlan,
  recipe: QueryRecipe,
  stats: Stats,
  then: () => Promise<void>,
) {
  const query: ListQuery = resolveFilters(recipe, plan.salt, model.known);
  const invalid = recipe.invalid === undefined ? undefined : INVALID[recipe.invalid]!;
  const url = (q: ListQuery) => `/api/v1/conversations${toQueryString(q)}`;
  const count = (body: unknown, expected: Answer) => {
    stats.queries++;
    if (expected.status !== 200) stats.rejected++;
    const data = (body as { data?: { data?: unknown[] } }).data?.data;
    if (data && data.length > 0) {
      stats.nonEmpty++;
      if (query.phone !== undefined) stats.phoneMatches++;
    }
  };

  if (recipe.cursor) {
    query.cursor = '';
    if (invalid) query[invalid[0]] = invalid[1];
    for (let index = 0; index < MAX_CURSOR_PAGES; index++) {
      const expected = model.cursorPage(query, index);
      const response = await ws.request({ method: 'GET', url: url(query) });
      const body = compare(`GET ${url(query)} (cursor page ${index + 1})`, response, expected) as {
        data?: { next_cursor?: string | null };
      };
      count(body, expected);
      if (index > 0) stats.cursorPages++;
      const next = body.data?.next_cursor;
      if (typeof next !== 'string') break;
      query.cursor = next;
    }
    await then();
    return;
  }

  const perPage = recipe.perPage ?? 15;
  const matching = model.list({ ...query, per_page: String(perPage) });
  const total = matching.status === 200 ? (matching.body as { data: { total: number } }).data.total : 0;
  const page = pageOf(recipe, total, perPage);
  if (page !== undefined) query.page = page;
  if (invalid) query[invalid[0]] = invalid[1];
  const ask = async () => {
    const expected = model.list(query);
    const response = await ws.request({ method: 'GET', url: url(query) });
    count(compare(`GET ${url(query)}`, response, expected), expected);
  };
  await ask();
  await then();
  await ask();
  stats.askedAgain++;
}

/**
 * One generated workspace: every write and every query compared with the model's. Half the writes
 * come first and the rest fall between the queries, each query asked again after the writes that
 * follow it.
 */
async function check(ws: TestWorkspace, plan: WorkspacePlan, stats: Stats) {
  const model = new ConversationsModel();
  stats.workspaces++;
  const put = async ({ conversation, body: spec }: ReturnType<typeof writesOf>[number]) => {
    const uuid = uuidOf(plan.salt, 'conversation', conversation);
    const body = bodyOf(plan, conversation, spec, model.has(uuid), model.callOf(uuid));
    const expected = model.put(uuid, body);
    const response = await ws.put(uuid, body);
    compare(`PUT /api/v1/conversations/${uuid} ${JSON.stringify(body)}`, response, expected);
    stats.writes++;
  };
  const writes = writesOf(plan);
  const first = Math.ceil(writes.length / 2);
  for (const write of writes.slice(0, first)) await put(write);
  const later = writes.slice(first);
  const queries = plan.queries.length;
  for (const [i, recipe] of plan.queries.entries()) {
    const due = later.slice(Math.floor((i * later.length) / queries), Math.floor(((i + 1) * later.length) / queries));
    await runQuery(ws, model, plan, recipe, stats, async () => {
      for (const write of due) await put(write);
    });
  }
  // Each conversation on its own reads as the model's too (in upper case once: uuids are case-insensitive), and one never written is a 404.
  for (const [i, uuid] of [...model.uuids, uuidOf(plan.salt, 'conversation', -1)].entries()) {
    const asked = i % 2 ? uuid.toUpperCase() : uuid;
    compare(
      `GET /api/v1/conversations/${asked}`,
      await ws.request({ method: 'GET', url: `/api/v1/conversations/${asked}` }),
      model.detail(uuid),
    );
    stats.details++;
  }
}

describeEachDialect('GET /api/v1/conversations against the reference model', (t) => {
  it(`answers at least ${MIN_QUERIES} random queries on random workspaces exactly as the model does`, async () => {
    console.log(`[list-model ${t.dialect}] seed ${SEED}: repeat this run with FC_SEED=${SEED}`);
    const stats: Stats = {
      workspaces: 0,
      writes: 0,
      queries: 0,
      nonEmpty: 0,
      rejected: 0,
      phoneMatches: 0,
      cursorPages: 0,
      askedAgain: 0,
      details: 0,
    };
    const started = Date.now();
    let failedAt: number | undefined;
    await fc.assert(
      fc.asyncProperty(workspacePlan(QUERIES_PER_WORKSPACE), async (plan) => {
        // Past the shrinking budget every further candidate passes untried, so fast-check stops at the smallest failure it has.
        if (failedAt !== undefined && Date.now() - failedAt > SHRINK_SECONDS * 1000) return;
        try {
          await check(await t.newWorkspace(), plan, stats);
        } catch (error) {
          failedAt ??= Date.now();
          throw error;
        }
      }),
      { seed: SEED, path: PATH, numRuns: WORKSPACES },
    );
    console.log(`[list-model ${t.dialect}] ${JSON.stringify(stats)} in ${((Date.now() - started) / 1000).toFixed(1)} s`);

    if (PATH !== undefined) return; // a replay runs one counterexample only
    expect(stats.workspaces).toBe(WORKSPACES);
    if (WORKSPACES * QUERIES_PER_WORKSPACE >= MIN_QUERIES) expect(stats.queries).toBeGreaterThanOrEqual(MIN_QUERIES);
    // The queries must find things, or agreeing on empty pages would prove little.
    expect(stats.nonEmpty).toBeGreaterThan(stats.queries * 0.3);
    expect(stats.phoneMatches).toBeGreaterThan(0);
    expect(stats.rejected).toBeGreaterThan(0);
    expect(stats.cursorPages).toBeGreaterThan(0);
    expect(stats.askedAgain).toBeGreaterThan(0);
  }, 600_000);
});
