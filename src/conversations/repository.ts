import { type Kysely, sql } from 'kysely';
import { dialectOf, escapeGlob, escapeLike } from '../db/dialect.js';
import { atLeast } from '../db/expressions.js';
import { writeTransaction } from '../db/transaction.js';
import type { Database } from '../db/tables.js';
import { nowSeconds } from '../shared/time.js';
import { conversationIdOf } from './identity.js';
import { UUID_PATTERN } from '../shared/schemas.js';
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

/** Filters turned into internal ids; a uuid that names nothing in the workspace means an empty result. */
interface ResolvedFilters extends Pick<
  ConversationFilters,
  'phone' | 'channels' | 'statuses' | 'createdFrom' | 'createdTo' | 'updatedSince'
> {
  contactId?: number;
  /** The contacts a phone fragment matched, when few enough to list; otherwise `phone` stays a subquery. */
  phoneContactIds?: number[];
  agentIds?: number[];
  campaignId?: number;
  conversationId?: number;
}

const isUuid = new RegExp(UUID_PATTERN);

async function idByUuid(db: Kysely<Database>, table: 'contacts' | 'campaigns', workspaceId: number, uuid: string) {
  const row = await db.selectFrom(table).select('id').where('workspace_id', '=', workspaceId).where('uuid', '=', uuid).executeTakeFirst();
  return row?.id;
}

async function agentIds(db: Kysely<Database>, workspaceId: number, uuids: string[]) {
  const rows = await db.selectFrom('agents').select('id').where('workspace_id', '=', workspaceId).where('uuid', 'in', uuids).execute();
  return rows.length > 0 ? rows.map((row) => row.id) : undefined;
}

/** task → its third_party_id → the call with that uuid → that call's conversation. */
async function conversationIdOfTask(db: Kysely<Database>, workspaceId: number, taskUuid: string) {
  const task = await db
    .selectFrom('tasks')
    .select('third_party_id')
    .where('workspace_id', '=', workspaceId)
    .where('uuid', '=', taskUuid)
    .executeTakeFirst();
  // A third_party_id that is not a uuid can name no call (and PostgreSQL would reject comparing it to one).
  if (!task?.third_party_id || !isUuid.test(task.third_party_id)) return undefined;
  const call = await db
    .selectFrom('calls')
    .select('conversation_id')
    .where('workspace_id', '=', workspaceId)
    .where('uuid', '=', task.third_party_id.toLowerCase())
    .executeTakeFirst();
  return call?.conversation_id;
}

async function resolveFilters(db: Kysely<Database>, workspaceId: number, filters: ConversationFilters): Promise<ResolvedFilters | null> {
  const { phone, channels, statuses, createdFrom, createdTo, updatedSince } = filters;
  const resolved: ResolvedFilters = { phone, channels, statuses, createdFrom, createdTo, updatedSince };
  if (filters.contactUuid && (resolved.contactId = await idByUuid(db, 'contacts', workspaceId, filters.contactUuid)) === undefined)
    return null;
  if (filters.agentUuids && (resolved.agentIds = await agentIds(db, workspaceId, filters.agentUuids)) === undefined) return null;
  if (filters.campaignUuid && (resolved.campaignId = await idByUuid(db, 'campaigns', workspaceId, filters.campaignUuid)) === undefined) {
    return null;
  }
  if (filters.taskUuid && (resolved.conversationId = await conversationIdOfTask(db, workspaceId, filters.taskUuid)) === undefined) {
    return null;
  }
  if (phone !== undefined && !(await resolvePhone(db, workspaceId, phone, resolved))) return null;
  return resolved;
}

/** Up to this many contacts matched by a phone fragment are looked up once and listed in the queries. */
const LISTED_PHONE_CONTACTS = 500;

/**
 * Ids of contacts whose normalised number contains `phone`, through each dialect's trigram index
 * (see the migration that adds it). The FTS5 table spans workspaces; the workspace condition on
 * conversations keeps the result inside one.
 */
function phoneContacts(db: Kysely<Database>, workspaceId: number, phone: string) {
  if (dialectOf(db) === 'sqlite') {
    return sql<{ id: number }>`select rowid as id from contacts_phone_fts where phone_digits glob ${`*${escapeGlob(phone)}*`}`;
  }
  return sql<{ id: number }>`${db
    .selectFrom('contacts')
    .select('contacts.id')
    .where('contacts.workspace_id', '=', workspaceId)
    // ESCAPE makes % and _ in the user's input literal.
    .where(sql<boolean>`contacts.phone_digits like ${`%${escapeLike(phone)}%`} escape '\\'`)}`;
}

/**
 * The matching contacts once per request, for the count and the page alike; as a subquery inside
 * the page's query SQLite would run the trigram search far more slowly. A short fragment that
 * matches more contacts than can be listed stays a subquery.
 */
async function resolvePhone(db: Kysely<Database>, workspaceId: number, phone: string, resolved: ResolvedFilters) {
  const { rows } = await sql<{ id: number }>`${phoneContacts(db, workspaceId, phone)} limit ${LISTED_PHONE_CONTACTS + 1}`.execute(db);
  if (rows.length === 0) return false;
  if (rows.length <= LISTED_PHONE_CONTACTS) {
    resolved.phoneContactIds = rows.map((row) => row.id);
    delete resolved.phone;
  }
  return true;
}

/**
 * The exact number of matches. Filters on status, channel and agent alone (the ones that select
 * most of a large workspace) are summed from the trigger-kept counts; any other filter narrows
 * the rows enough to count them through its index.
 */
async function countMatching(db: Kysely<Database>, workspaceId: number, f: ResolvedFilters): Promise<number> {
  const countable =
    f.phone === undefined &&
    f.phoneContactIds === undefined &&
    f.contactId === undefined &&
    f.campaignId === undefined &&
    f.conversationId === undefined &&
    f.createdFrom === undefined &&
    f.createdTo === undefined &&
    f.updatedSince === undefined;
  if (countable) {
    let counts = db.selectFrom('conversation_counts').where('workspace_id', '=', workspaceId);
    if (f.statuses !== undefined) counts = counts.where('status', 'in', f.statuses);
    if (f.channels !== undefined) counts = counts.where('channel', 'in', f.channels);
    if (f.agentIds !== undefined) counts = counts.where('agent_id', 'in', f.agentIds);
    const { total } = await counts.select((eb) => eb.fn.sum<number | null>('n').as('total')).executeTakeFirstOrThrow();
    return Number(total ?? 0);
  }
  const { total } = await matching(db, workspaceId, f)
    .select((eb) => eb.fn.countAll<number>().as('total'))
    .executeTakeFirstOrThrow();
  return Number(total);
}

function matching(db: Kysely<Database>, workspaceId: number, f: ResolvedFilters) {
  let query = db.selectFrom('conversations as c').where('c.workspace_id', '=', workspaceId);
  if (f.statuses !== undefined) query = query.where('c.status', 'in', f.statuses);
  if (f.channels !== undefined) query = query.where('c.channel', 'in', f.channels);
  if (f.agentIds !== undefined) query = query.where('c.agent_id', 'in', f.agentIds);
  if (f.contactId !== undefined) query = query.where('c.contact_id', '=', f.contactId);
  if (f.conversationId !== undefined) query = query.where('c.id', '=', f.conversationId);
  if (f.createdFrom !== undefined) query = query.where('c.created_at', '>=', f.createdFrom);
  if (f.createdTo !== undefined) query = query.where('c.created_at', '<=', f.createdTo);
  if (f.updatedSince !== undefined) query = query.where('c.updated_at', '>=', f.updatedSince);
  if (f.campaignId !== undefined) query = query.where('c.campaign_id', '=', f.campaignId);
  if (f.phoneContactIds !== undefined) query = query.where('c.contact_id', 'in', f.phoneContactIds);
  if (f.phone !== undefined) query = query.where(sql<boolean>`${sql.ref('c.contact_id')} in (${phoneContacts(db, workspaceId, f.phone)})`);
  return query;
}

export interface ConversationRow {
  id: number;
  uuid: string;
  type: string;
  status: string;
  responded_by: string | null;
  is_simulation: number;
  timestamp: number;
  created_at: number;
  updated_at: number;
  channel: string;
  agent_uuid: string | null;
  listing_uuid: string | null;
  contact_uuid: string;
  contact_name: string | null;
  contact_surname: string | null;
  contact_phone_number: string | null;
  contact_email: string | null;
  call_uuid: string | null;
  call_direction: string | null;
  call_status: string | null;
  call_duration: number | null;
  call_recording_url: string | null;
  call_handled_by: string | null;
  call_summary: string | null;
  call_timestamp: number | null;
  campaign_uuid: string | null;
}

export interface ConversationRecord {
  row: ConversationRow;
  sessionUuids: string[];
  taskUuids: string[];
}

/**
 * Reads whole conversations (with contact, call, campaign, sessions and tasks) in three queries
 * whatever their number: one joined row each, then sessions and tasks for all of them at once.
 * Records come back in the order of `ids`. The ids are chosen by a query of their own first: as a
 * subquery, SQLite would rather walk the sort index over the whole workspace than look them up.
 */
async function loadConversations(db: Kysely<Database>, workspaceId: number, ids: number[]): Promise<ConversationRecord[]> {
  if (ids.length === 0) return [];
  const rows = await db
    .selectFrom('conversations as c')
    .innerJoin('contacts as ct', 'ct.id', 'c.contact_id')
    .leftJoin('agents as a', 'a.id', 'c.agent_id')
    .leftJoin('listings as l', 'l.id', 'c.listing_id')
    .leftJoin('calls as k', (join) => join.onRef('k.workspace_id', '=', 'c.workspace_id').onRef('k.conversation_id', '=', 'c.id'))
    .leftJoin('campaigns as cp', 'cp.id', 'k.campaign_id')
    .select([
      'c.id',
      'c.uuid',
      'c.type',
      'c.status',
      'c.responded_by',
      'c.is_simulation',
      'c.timestamp',
      'c.created_at',
      'c.updated_at',
      'c.channel',
      'a.uuid as agent_uuid',
      'l.uuid as listing_uuid',
      'ct.uuid as contact_uuid',
      'ct.name as contact_name',
      'ct.surname as contact_surname',
      'ct.phone_number as contact_phone_number',
      'ct.email as contact_email',
      'k.uuid as call_uuid',
      'k.direction as call_direction',
      'k.status as call_status',
      'k.duration as call_duration',
      'k.recording_url as call_recording_url',
      'k.handled_by as call_handled_by',
      'k.summary as call_summary',
      'k.timestamp as call_timestamp',
      'cp.uuid as campaign_uuid',
    ])
    .where('c.workspace_id', '=', workspaceId)
    .where('c.id', 'in', ids)
    .execute();
  if (rows.length === 0) return [];
  const position = new Map(ids.map((id, index) => [id, index]));
  rows.sort((a, b) => position.get(a.id)! - position.get(b.id)!);

  const conversationIds = rows.map((row) => row.id);
  const callUuids = rows.flatMap((row) => (row.call_uuid ? [row.call_uuid] : []));
  const [sessions, tasks] = await Promise.all([
    db
      .selectFrom('sessions')
      .select(['conversation_id', 'uuid'])
      .where('workspace_id', '=', workspaceId)
      .where('conversation_id', 'in', conversationIds)
      .orderBy('created_at')
      .orderBy('id')
      .execute(),
    callUuids.length === 0
      ? Promise.resolve([])
      : db
          .selectFrom('tasks')
          .select(['third_party_id', 'uuid'])
          .where('workspace_id', '=', workspaceId)
          .where('third_party_id', 'in', callUuids)
          .orderBy('created_at')
          .orderBy('id')
          .execute(),
  ]);

  const sessionsOf = groupUuids(sessions, (s) => s.conversation_id);
  const tasksOf = groupUuids(tasks, (t) => t.third_party_id);
  return rows.map((row) => ({
    row: row as ConversationRow,
    sessionUuids: sessionsOf.get(row.id) ?? [],
    taskUuids: (row.call_uuid && tasksOf.get(row.call_uuid)) || [],
  }));
}

function groupUuids<T extends { uuid: string }, K>(items: T[], keyOf: (item: T) => K): Map<K, string[]> {
  const groups = new Map<K, string[]>();
  for (const item of items) {
    const key = keyOf(item);
    const group = groups.get(key);
    if (group) group.push(item.uuid);
    else groups.set(key, [item.uuid]);
  }
  return groups;
}

export async function listConversations(
  db: Kysely<Database>,
  workspaceId: number,
  filters: ConversationFilters,
  page: PageRequest,
): Promise<{ total: number; records: ConversationRecord[] }> {
  const resolved = await resolveFilters(db, workspaceId, filters);
  if (!resolved) return { total: 0, records: [] };

  const total = await countMatching(db, workspaceId, resolved);
  if (page.offset >= total) return { total, records: [] };

  let ids = matching(db, workspaceId, resolved).select('c.id');
  if (page.after) {
    const { key, id } = page.after;
    ids = ids.where((eb) => eb(eb.refTuple(`c.${page.sortBy}`, 'c.id'), page.sortDir === 'desc' ? '<' : '>', eb.tuple(key, id)));
  }
  // The page is chosen through the narrow sort index first and only its rows are joined:
  // joining before OFFSET would join every skipped row too.
  const pageIds = await ids
    .orderBy(`c.${page.sortBy}`, page.sortDir)
    .orderBy('c.id', page.sortDir)
    .limit(page.limit)
    .offset(page.offset)
    .execute();
  return {
    total,
    records: await loadConversations(
      db,
      workspaceId,
      pageIds.map((row) => row.id),
    ),
  };
}

/** One whole conversation of the workspace, by uuid. */
export async function findConversation(db: Kysely<Database>, workspaceId: number, uuid: string): Promise<ConversationRecord | undefined> {
  const id = await conversationIdOf(db, workspaceId, uuid);
  return id === undefined ? undefined : loadConversation(db, workspaceId, id);
}

/** One whole conversation of the workspace, by the internal id a caller already looked up. */
export async function loadConversation(db: Kysely<Database>, workspaceId: number, id: number): Promise<ConversationRecord | undefined> {
  const [record] = await loadConversations(db, workspaceId, [id]);
  return record;
}

/** The status set, `updated_at` moved forward to now if it changed; undefined when there is no such conversation. */
export async function setConversationStatus(db: Kysely<Database>, workspaceId: number, uuid: string, status: string) {
  return writeTransaction(db, workspaceId, async (trx) => {
    await trx
      .updateTable('conversations')
      .set({ status, updated_at: atLeast('updated_at', nowSeconds()) })
      .where('workspace_id', '=', workspaceId)
      .where('uuid', '=', uuid.toLowerCase())
      .where('status', '!=', status)
      .execute();
    return findConversation(trx, workspaceId, uuid);
  });
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
