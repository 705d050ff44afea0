import { type ExpressionBuilder, type Kysely, sql } from 'kysely';
import { type Dialect, dialectOf } from '../db/dialect.js';
import { runCompiled } from '../db/compiled.js';
import { containing, containingPattern, idAmong, idListParameter, uuidOfText } from '../db/expressions.js';
import { scopedWrite } from '../db/transaction.js';
import type { Database, EpochSeconds } from '../db/tables.js';
import { completeBodies, readBodies, storedBodies } from './body.js';
import { conversationIdOf } from './identity.js';
import { type ConversationRecord, loadConversations } from './load.js';
import { touchConversation } from './touch.js';
import {
  keepPhoneTotal,
  listPhoneContacts,
  newestPhoneContacts,
  phoneMatchParameters,
  phoneMatches,
  phoneTotalAndContacts,
} from './phone-suffixes.js';
import type { SORT_DIRECTIONS, SORT_KEYS } from './schemas.js';

/** Filters as the list understands them: uuids lower-cased, phone normalised, enums canonical. */
export interface ConversationFilters {
  phone?: string;
  contactUuid?: string;
  /** Any of these (likewise channels and statuses). */
  agentUuids?: string[];
  campaignUuid?: string;
  taskUuid?: string;
  channels?: string[];
  statuses?: string[];
  createdFrom?: number;
  createdTo?: number;
  updatedSince?: number;
}

export interface PageRequest {
  sortBy: (typeof SORT_KEYS)[number];
  sortDir: (typeof SORT_DIRECTIONS)[number];
  limit: number;
  offset: number;
  /** Keyset paging: only rows after this (sort key value, id) in the sort order. */
  after?: { key: number; id: number };
}

/**
 * Filters turned into internal ids where a lookup of its own pays; a uuid that names nothing in
 * the workspace means an empty result. A contact's, a campaign's and a single agent's id are
 * looked up inside the statements that use them instead (one statement fewer, and one round trip
 * fewer on PostgreSQL).
 */
interface ResolvedFilters extends Pick<
  ConversationFilters,
  'phone' | 'channels' | 'statuses' | 'createdFrom' | 'createdTo' | 'updatedSince' | 'contactUuid' | 'campaignUuid'
> {
  /** PostgreSQL: the contacts a phone fragment matches, when few enough to list (see `listPhoneContacts`). */
  phoneContactIds?: number[];
  /** Only this many of the phone fragment's contacts, those with the newest conversations (see `newestPhoneContacts`). */
  phoneNewest?: number;
  /** Several agents, looked up; one agent is `agentUuid`, compared inside the statements. */
  agentIds?: number[];
  agentUuid?: string;
  conversationId?: number;
}

async function agentIds(db: Kysely<Database>, workspaceId: number, uuids: string[]) {
  const rows = await runCompiled(db, `agent ids ${uuids.length}`, [workspaceId, ...uuids], () =>
    db.selectFrom('agents').select('id').where('workspace_id', '=', workspaceId).where('uuid', 'in', uuids),
  );
  return rows.length > 0 ? rows.map((row) => row.id) : undefined;
}

/** task → its third_party_id → the call with that uuid → that call's conversation, in one statement. */
async function conversationIdOfTask(db: Kysely<Database>, workspaceId: number, taskUuid: string) {
  const dialect = dialectOf(db);
  const [call] = await runCompiled(db, 'task conversation', [workspaceId, workspaceId, taskUuid], () =>
    db
      .selectFrom('calls')
      .select('calls.conversation_id')
      .where('calls.workspace_id', '=', workspaceId)
      .where('calls.uuid', '=', (eb) =>
        eb
          .selectFrom('tasks')
          .select(uuidOfText(dialect, 'tasks.third_party_id').as('call_uuid'))
          .where('tasks.workspace_id', '=', workspaceId)
          .where('tasks.uuid', '=', taskUuid),
      ),
  );
  return call?.conversation_id;
}

/** `phoneContacts`: what `phoneTotalAndContacts` listed, when the request has read it already. */
async function resolveFilters(
  db: Kysely<Database>,
  workspaceId: number,
  filters: ConversationFilters,
  phoneContacts?: number[] | null,
): Promise<ResolvedFilters | null> {
  const { phone, channels, statuses, createdFrom, createdTo, updatedSince, contactUuid, campaignUuid } = filters;
  const resolved: ResolvedFilters = { phone, channels, statuses, createdFrom, createdTo, updatedSince, contactUuid, campaignUuid };
  const agents = filters.agentUuids;
  if (agents?.length === 1) resolved.agentUuid = agents[0];
  else if (agents && (resolved.agentIds = await agentIds(db, workspaceId, agents)) === undefined) return null;
  if (filters.taskUuid && (resolved.conversationId = await conversationIdOfTask(db, workspaceId, filters.taskUuid)) === undefined) {
    return null;
  }
  if (phone !== undefined && dialectOf(db) === 'postgres') {
    const ids = phoneContacts === undefined ? await listPhoneContacts(db, workspaceId, phone) : phoneContacts;
    if (ids) {
      resolved.phoneContactIds = ids;
      delete resolved.phone;
    }
  }
  return resolved;
}

/** The id of the row of `table` with this uuid in the workspace, as a scalar subquery (NULL, matching nothing, if none). */
function idOfUuid(db: Kysely<Database>, table: 'contacts' | 'campaigns' | 'agents', workspaceId: number, uuid: string) {
  return db.selectFrom(table).select(`${table}.id`).where(`${table}.workspace_id`, '=', workspaceId).where(`${table}.uuid`, '=', uuid);
}

/**
 * The filters that compare one column, in the order `matching` applies them, so that the order of
 * its parameters is known without building it (see `matchingBinds`). With a table, the value is a
 * uuid of that table, compared as its id (`idOfUuid`).
 */
const COMPARISONS = [
  ['c.status', 'in', (f: ResolvedFilters) => f.statuses],
  ['c.channel', 'in', (f: ResolvedFilters) => f.channels],
  ['c.agent_id', 'in', (f: ResolvedFilters) => f.agentIds],
  ['c.agent_id', '=', (f: ResolvedFilters) => f.agentUuid, 'agents'],
  ['c.contact_id', '=', (f: ResolvedFilters) => f.contactUuid, 'contacts'],
  ['c.id', '=', (f: ResolvedFilters) => f.conversationId],
  ['c.created_at', '>=', (f: ResolvedFilters) => f.createdFrom],
  ['c.created_at', '<=', (f: ResolvedFilters) => f.createdTo],
  ['c.updated_at', '>=', (f: ResolvedFilters) => f.updatedSince],
  ['c.campaign_id', '=', (f: ResolvedFilters) => f.campaignUuid, 'campaigns'],
] as const;

function matching(db: Kysely<Database>, workspaceId: number, f: ResolvedFilters) {
  let query = db.selectFrom('conversations as c').where('c.workspace_id', '=', workspaceId);
  for (const [column, operator, valueOf, table] of COMPARISONS) {
    const value = valueOf(f);
    if (value === undefined) continue;
    query = table ? query.where(column, operator, idOfUuid(db, table, workspaceId, value as string)) : query.where(column, operator, value);
  }
  if (f.phoneContactIds !== undefined) query = query.where(idAmong(dialectOf(db), 'c.contact_id', f.phoneContactIds));
  if (f.phone !== undefined) {
    const contacts =
      f.phoneNewest === undefined
        ? phoneMatches(db, workspaceId, f.phone).select('s.contact_id')
        : newestPhoneContacts(db, workspaceId, f.phone, f.phoneNewest);
    query = query.where('c.contact_id', 'in', contacts);
  }
  return query;
}

/**
 * What `matching` binds, in its order, and a name for the shape of its text, so that the list's
 * statements are compiled once per shape (building them with Kysely cost a third of a page's
 * time).
 */
interface Binds {
  shape: string;
  parameters: unknown[];
}

function matchingBinds(dialect: Dialect, workspaceId: number, f: ResolvedFilters): Binds {
  const parameters: unknown[] = [workspaceId];
  let shape = '';
  for (const [index, [, , valueOf, table]] of COMPARISONS.entries()) {
    const value = valueOf(f);
    if (value === undefined) continue;
    if (table) {
      shape += `${index},`;
      parameters.push(workspaceId, value);
    } else if (Array.isArray(value)) {
      shape += `${index}×${value.length},`;
      parameters.push(...value);
    } else {
      shape += `${index},`;
      parameters.push(value);
    }
  }
  if (f.phoneContactIds !== undefined) {
    shape += 'phone contacts';
    parameters.push(idListParameter(dialect, f.phoneContactIds));
  }
  if (f.phone !== undefined) {
    shape += f.phoneNewest === undefined ? 'phone' : `phone newest ${f.phoneNewest}`;
    parameters.push(...phoneMatchParameters(workspaceId, f.phone));
  }
  return { shape, parameters };
}

/** Whether the filters include one that leaves few enough rows to count through its index (see `countMatching`). */
const narrows = (f: ResolvedFilters) =>
  f.phone !== undefined ||
  f.phoneContactIds !== undefined ||
  f.contactUuid !== undefined ||
  f.conversationId !== undefined ||
  f.createdFrom !== undefined ||
  f.createdTo !== undefined ||
  f.updatedSince !== undefined;

/**
 * The total a page shows when it is short: the matches end on it. Undefined when the page is
 * full, or empty past the first (the matches may end anywhere before it), or after a cursor (the
 * total counts the matches before it too).
 */
function totalOfShortPage(rows: readonly unknown[], page: PageRequest): number | undefined {
  if (page.after || rows.length >= page.limit || (rows.length === 0 && page.offset > 0)) return undefined;
  return page.offset + rows.length;
}

/**
 * The exact number of matches. Filters on status, channel and agent alone (the ones that select
 * most of a large workspace) are summed from the trigger-kept counts, and so is a campaign
 * alone; any other filter narrows the rows enough to count them through its index.
 */
async function countMatching(db: Kysely<Database>, workspaceId: number, f: ResolvedFilters): Promise<number> {
  const binds = matchingBinds(dialectOf(db), workspaceId, f);
  const narrowed = narrows(f);
  const byCounts = f.statuses !== undefined || f.channels !== undefined || f.agentIds !== undefined || f.agentUuid !== undefined;
  if (!narrowed && f.campaignUuid === undefined) {
    const [row] = await runCompiled(db, `total by counts ${binds.shape}`, binds.parameters, () => {
      let counts = db.selectFrom('conversation_counts').where('workspace_id', '=', workspaceId);
      if (f.statuses !== undefined) counts = counts.where('status', 'in', f.statuses);
      if (f.channels !== undefined) counts = counts.where('channel', 'in', f.channels);
      if (f.agentIds !== undefined) counts = counts.where('agent_id', 'in', f.agentIds);
      if (f.agentUuid !== undefined) counts = counts.where('agent_id', '=', idOfUuid(db, 'agents', workspaceId, f.agentUuid));
      return counts.select((eb) => eb.fn.sum<number | null>('n').as('total'));
    });
    return Number(row?.total ?? 0);
  }
  if (!narrowed && !byCounts && f.campaignUuid !== undefined) {
    const campaignUuid = f.campaignUuid;
    const [row] = await runCompiled(db, 'total of a campaign', binds.parameters, () =>
      db
        .selectFrom('campaign_counts')
        .select('n')
        .where('campaign_counts.workspace_id', '=', workspaceId)
        .where('campaign_counts.campaign_id', '=', idOfUuid(db, 'campaigns', workspaceId, campaignUuid)),
    );
    return Number(row?.n ?? 0);
  }
  const [row] = await runCompiled(db, `total ${binds.shape}`, binds.parameters, () =>
    matching(db, workspaceId, f).select((eb) => eb.fn.countAll<number>().as('total')),
  );
  return Number(row!.total);
}

/**
 * Totals already counted, by database, workspace, data version and filters. The version moves
 * in every write's transaction and is read with the token before anything else, so a total
 * found here is one this request could have counted itself; any write since makes a new key.
 */
const countedTotals = new WeakMap<Kysely<Database>, Map<string, number>>();
const COUNTED_TOTALS_LIMIT = 5_000;

const totalKey = (workspaceId: number, dataVersion: number, filters: ConversationFilters) =>
  // The filters as asked (normalised), not as resolved: a phone fragment's key is not hundreds of contact ids.
  `${workspaceId}:${dataVersion}:${JSON.stringify(filters)}`;

function countedTotal(db: Kysely<Database>, workspaceId: number, dataVersion: number | undefined, filters: ConversationFilters) {
  return dataVersion === undefined ? undefined : countedTotals.get(db)?.get(totalKey(workspaceId, dataVersion, filters));
}

function keepTotal(
  db: Kysely<Database>,
  workspaceId: number,
  dataVersion: number | undefined,
  filters: ConversationFilters,
  total: number,
) {
  if (dataVersion === undefined) return;
  let totals = countedTotals.get(db);
  if (!totals) countedTotals.set(db, (totals = new Map()));
  if (totals.size >= COUNTED_TOTALS_LIMIT) totals.clear();
  totals.set(totalKey(workspaceId, dataVersion, filters), total);
}

/** A phone fragment's page walked down the first `window` rows of the sort order (see `phoneWalk`). */
interface PhoneWalk {
  phone: string;
  window: number;
}

/**
 * How many conversations the workspace holds, for sizing a walk's window, counted again when
 * the last count is a few seconds old rather than after every write: under a steady stream of
 * writes, summing the workspace's counts anew for each walk took a tenth of a phone request's
 * time. A window sized from a stale count is still correct, only shorter or longer than it need
 * be: a walk that runs out of window before its page is done falls back to gathering.
 */
const workspaceSizes = new WeakMap<Kysely<Database>, Map<number, { count: number; countedAt: number }>>();
const WORKSPACE_SIZE_MAX_AGE_MS = 5_000;

/** How many conversations the workspace holds: a sum of the trigger-kept counts, whatever its size. */
export const countConversations = (db: Kysely<Database>, workspaceId: number): Promise<number> => countMatching(db, workspaceId, {});

async function workspaceSize(db: Kysely<Database>, workspaceId: number): Promise<number> {
  let sizes = workspaceSizes.get(db);
  if (!sizes) workspaceSizes.set(db, (sizes = new Map()));
  const known = sizes.get(workspaceId);
  const now = Date.now();
  if (known && now - known.countedAt < WORKSPACE_SIZE_MAX_AGE_MS) return known.count;
  const count = await countConversations(db, workspaceId);
  sizes.set(workspaceId, { count, countedAt: now });
  return count;
}

/**
 * How many rows of the sort order to walk for a page of a phone fragment (asked alone) matched by
 * a good share of the workspace, checking each row's contact as it goes, instead of reading the
 * page from the matches: a common fragment (a country or area code) matches tens of thousands of
 * conversations, and a page of them turns up within a few hundred rows. The window is thrice the
 * rows a page should need if matches are spread evenly, and bounds the walk when they are not.
 * Undefined when reading from the matches is cheaper, measured on the benchmark's million
 * conversations:
 * - for a page `newestPhoneContacts` answers, when the window is over a thirtieth of the matches:
 *   a walked row (a look-up of its contact) cost about thirty times a match of the fragment's
 *   range, read once per contact; the two broke even near 35,000 matches for a first page;
 * - for any other page, gathered, when the window is longer than the matches are many: a walk
 *   stops a third of the way in on average, but a walked row costs about thrice a gathered match;
 *   the two broke even near 7,000 matches.
 */
async function phoneWalk(
  db: Kysely<Database>,
  workspaceId: number,
  phone: string,
  total: number,
  page: PageRequest,
  againstNewestContacts: boolean,
): Promise<PhoneWalk | undefined> {
  // The window is never under 100 rows: too few matches for a walk to pay, whatever the workspace's size.
  if (total <= 100) return undefined;
  const everything = await workspaceSize(db, workspaceId);
  const window = Math.ceil((3 * (page.offset + page.limit) * everything) / total) + 100;
  const pays = againstNewestContacts ? window * 30 < total : window < total;
  return pays ? { phone, window } : undefined;
}

/**
 * A fragment matched by at least this share of its workspace's conversations has its total kept
 * (see the migration that keeps them). A share, not a number, so that a small workspace keeps
 * its common fragments as a large one does: the reads they save are fewer, but so are its writes,
 * which each check the kept fragments.
 */
const COMMON_PHONE_SHARE = 0.01;

async function isCommonPhoneFragment(db: Kysely<Database>, workspaceId: number, total: number) {
  return total > 0 && total >= COMMON_PHONE_SHARE * (await workspaceSize(db, workspaceId));
}

/** How deep a page `newestPhoneContacts` answers may go: it reads that many contacts' conversations. */
const NEWEST_CONTACTS_DEPTH = 1_000;

/** Whether a page of a phone fragment asked alone is read through its contacts with the newest conversations (or walked). */
const byNewestContacts = (page: PageRequest) =>
  page.sortBy === 'created_at' && page.sortDir === 'desc' && !page.after && page.offset + page.limit <= NEWEST_CONTACTS_DEPTH;

/**
 * A phone fragment whose own total is small bounds the matches of any filters it comes with:
 * they are then read once, in the page's order, and give both the total and the page, where a
 * count and then the page's query would each read them all. Given up past this many matches (a
 * write may have come in between), which are then counted and paged as any others.
 */
const GATHERED_MATCHES = 2_000;

type Position = { id: number; key: number };
type PageRow = Position & { body: string | null };

async function gatheredMatches(db: Kysely<Database>, workspaceId: number, f: ResolvedFilters, page: PageRequest) {
  const binds = matchingBinds(dialectOf(db), workspaceId, f);
  const rows: Position[] = await runCompiled(db, `gathered ${binds.shape} by ${page.sortBy} ${page.sortDir}`, binds.parameters, () => {
    const sortKey = `c.${page.sortBy}` as const;
    // By `+key`, which no index holds: otherwise SQLite walked the sort index through the whole
    // workspace (0.8 s on a million rows) instead of looking each contact's few rows up.
    return matching(db, workspaceId, f)
      .select(['c.id', `${sortKey} as key`])
      .orderBy(sql`+${sql.ref(sortKey)}`, page.sortDir)
      .orderBy('c.id', page.sortDir)
      .limit(sql.lit(GATHERED_MATCHES + 1));
  });
  return rows.length <= GATHERED_MATCHES ? rows : undefined;
}

/** The page among matches gathered in its order: those after the cursor, then the offset and limit, as `pageOfMatches` picks them. */
function pageOfGathered(gathered: Position[], page: PageRequest): Position[] {
  const { after } = page;
  const beyond = !after
    ? gathered
    : gathered.filter(({ key, id }) =>
        page.sortDir === 'desc'
          ? key < after.key || (key === after.key && id < after.id)
          : key > after.key || (key === after.key && id > after.id),
      );
  return beyond.slice(page.offset, page.offset + page.limit);
}

/** The stored bodies of these positions, in their order; one deleted since it was gathered is left out. */
async function bodiesAt(db: Kysely<Database>, workspaceId: number, positions: Position[]) {
  const keyOf = new Map(positions.map(({ id, key }) => [id, key]));
  const stored = await storedBodies(
    db,
    workspaceId,
    positions.map(({ id }) => id),
  );
  return stored.map(({ id, body }) => ({ id, key: keyOf.get(id)!, body }));
}

export interface ConversationPage {
  total: number;
  /** Each conversation of the page as the list shows it, serialised. */
  bodies: string[];
  /** The sort key and internal id of each, in the same order, for cursors. */
  positions: { key: number; id: number }[];
}

/** `dataVersion`, the workspace's as the request read it, lets the total be reused while the data is unchanged. */
export async function listConversations(
  db: Kysely<Database>,
  workspaceId: number,
  filters: ConversationFilters,
  page: PageRequest,
  dataVersion?: number,
): Promise<ConversationPage> {
  const phoneAlone = Object.entries(filters).every(([name, value]) => name === 'phone' || value === undefined) ? filters.phone : undefined;
  const counted = countedTotal(db, workspaceId, dataVersion, filters);
  // A page read through the fragment's contacts with the newest conversations, unless walked.
  const newestContacts = phoneAlone !== undefined && byNewestContacts(page);

  // Resolved only when needed: a page walked for a fragment whose total is known needs none of it.
  let resolved: ResolvedFilters | null | undefined;
  let phoneContacts: number[] | null | undefined;
  const resolve = async () =>
    resolved === undefined ? (resolved = await resolveFilters(db, workspaceId, filters, phoneContacts)) : resolved;
  let total = counted;
  let gathered: Position[] | undefined;
  if (total === undefined && filters.phone !== undefined) {
    // A fragment's total, kept or summed from its contacts' counts, is the total when it is the
    // only filter, and bounds it when it is not.
    const summed = await phoneTotalAndContacts(db, workspaceId, filters.phone, !newestContacts);
    if (summed.kept === false && (await isCommonPhoneFragment(db, workspaceId, summed.total))) {
      await keepPhoneTotal(db, workspaceId, filters.phone);
    }
    const bound = summed.total;
    phoneContacts = summed.contactIds;
    if (phoneAlone !== undefined || bound === 0) total = bound;
    else if (bound <= GATHERED_MATCHES) {
      const f = await resolve();
      gathered = f ? await gatheredMatches(db, workspaceId, f, page) : [];
      total = gathered?.length;
    }
  }
  let rows: PageRow[] | undefined;
  if (total === undefined) {
    const f = await resolve();
    // A narrow filter's page is read before its count: most such pages are short, and a short
    // page holds its total, which then needs no count of its own.
    if (f && narrows(f)) {
      rows = await pageOfMatches(db, workspaceId, { filters: f }, page);
      total = totalOfShortPage(rows, page);
    }
    total ??= f ? await countMatching(db, workspaceId, f) : 0;
  }
  if (counted === undefined) keepTotal(db, workspaceId, dataVersion, filters, total);
  if (page.offset >= total) return { total, bodies: [], positions: [] };
  if (gathered) {
    const picked = await bodiesAt(db, workspaceId, pageOfGathered(gathered, page));
    return { total, bodies: await completeBodies(db, workspaceId, picked), positions: picked.map(({ id, key }) => ({ id, key })) };
  }

  if (!rows) {
    const walk = phoneAlone === undefined ? undefined : await phoneWalk(db, workspaceId, phoneAlone, total, page, newestContacts);
    rows = walk && (await pageOfMatches(db, workspaceId, { walk }, page));
    // A walk that found less than a page ran out of window, not of matches: the page is then read from the matches.
    if (!rows || rows.length < page.limit) {
      const f = newestContacts ? { phone: phoneAlone!, phoneNewest: page.offset + page.limit } : await resolve();
      rows = f ? await pageOfMatches(db, workspaceId, { filters: f }, page) : [];
    }
  }
  return {
    total,
    bodies: await completeBodies(db, workspaceId, rows),
    positions: rows.map(({ id, key }) => ({ id, key })),
  };
}

/** The rows `matching` selects for the filters in the page's order, or those of the walk among its window of the whole workspace. */
async function pageOfMatches(
  db: Kysely<Database>,
  workspaceId: number,
  source: { walk: PhoneWalk; filters?: undefined } | { walk?: undefined; filters: ResolvedFilters },
  page: PageRequest,
): Promise<PageRow[]> {
  const { walk } = source;
  const binds = walk ? null : matchingBinds(dialectOf(db), workspaceId, source.filters);
  const { after } = page;
  const afterParameters = after ? [after.key, after.id] : [];
  const name = `page ${walk ? 'walked phone' : binds?.shape} by ${page.sortBy} ${page.sortDir} ${page.limit}${after ? ' after' : ''}`;
  const parameters = walk
    ? [workspaceId, ...afterParameters, walk.window, containingPattern(dialectOf(db), walk.phone), page.offset]
    : [...binds!.parameters, ...afterParameters, page.offset];
  return runCompiled(db, name, parameters, () => {
    const sortKey = `c.${page.sortBy}` as const;
    const afterCondition = (eb: ExpressionBuilder<{ c: Database['conversations'] }, 'c'>) =>
      eb(eb.refTuple(sortKey, 'c.id'), page.sortDir === 'desc' ? '<' : '>', eb.tuple(after!.key, after!.id));
    let ids;
    if (!walk) {
      ids = matching(db, workspaceId, source.filters);
      if (after) ids = ids.where(afterCondition);
    } else {
      let first = db.selectFrom('conversations as c').select(['c.id', sortKey, 'c.contact_id']).where('c.workspace_id', '=', workspaceId);
      if (after) first = first.where(afterCondition);
      ids = db
        .selectFrom(first.orderBy(sortKey, page.sortDir).orderBy('c.id', page.sortDir).limit(walk.window).as('c'))
        .innerJoin('contacts as ct', 'ct.id', 'c.contact_id')
        .where(containing(dialectOf(db), 'ct.phone_digits', walk.phone));
    }
    // The limit is written into the text, a small integer the schema bounds: SQLite runs such a
    // page about twice as fast as with a bound limit.
    const chosen = ids
      .select(['c.id', `${sortKey} as key`])
      .orderBy(sortKey, page.sortDir)
      .orderBy('c.id', page.sortDir)
      .limit(sql.lit(page.limit))
      .offset(page.offset);
    // The page is chosen through the narrow sort index first and only its rows are read: reading
    // before OFFSET would read every skipped row too. MATERIALIZED keeps the two steps apart
    // (inlined, SQLite would rather walk the sort index than look the ids up).
    return db
      .with(
        (cte) => cte('p').materialized(),
        () => chosen,
      )
      .selectFrom('p')
      .innerJoin('conversations as b', 'b.id', 'p.id')
      .select(['p.id', 'p.key', 'b.body'])
      .orderBy('p.key', page.sortDir)
      .orderBy('p.id', page.sortDir);
  });
}

/** One conversation of the workspace as the list shows it, serialised, by uuid. */
export async function findConversationBody(db: Kysely<Database>, workspaceId: number, uuid: string): Promise<string | undefined> {
  const id = await conversationIdOf(db, workspaceId, uuid);
  if (id === undefined) return undefined;
  const [body] = await readBodies(db, workspaceId, [id]);
  return body;
}

/**
 * The status set, `updated_at` moved forward to now if it changed: the conversation's stored
 * JSON as the write left it, or undefined when there is no such conversation.
 */
export async function setConversationStatus(db: Kysely<Database>, workspaceId: number, uuid: string, status: string, now: EpochSeconds) {
  const { result, change } = await scopedWrite(db, workspaceId, async (trx) => {
    const touched = await touchConversation(trx, workspaceId, uuid.toLowerCase(), { status, now });
    // Stale only where a migration left it so: built here from the tables, as this write left them.
    return touched && { body: touched.body ?? (await completeBodies(trx, workspaceId, [touched]))[0]!, scope: touched.scope };
  });
  return result && { body: result.body, change };
}

/**
 * Whole conversations matching `filters`, in creation (id) order after `afterId`: a stable walk
 * over any number of rows, one bounded page at a time (export uses it).
 */
export async function walkConversations(
  db: Kysely<Database>,
  workspaceId: number,
  filters: ConversationFilters,
  afterId: number,
  limit: number,
): Promise<ConversationRecord[]> {
  const resolved = await resolveFilters(db, workspaceId, filters);
  if (!resolved) return [];
  const ids = await matching(db, workspaceId, resolved).select('c.id').where('c.id', '>', afterId).orderBy('c.id').limit(limit).execute();
  return loadConversations(
    db,
    workspaceId,
    ids.map((row) => row.id),
  );
}
