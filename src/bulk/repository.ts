import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../db/tables.js';
import type { Columns, PgType, Statements } from './statements.js';

/**
 * All SQL of bulk import and export. Every function handles a whole batch in one or a few
 * statements; nothing here runs once per conversation.
 */

type Trx = Transaction<Database>;
type UuidTable = 'conversations' | 'calls' | 'sessions' | 'tasks' | 'messages' | 'agents' | 'campaigns' | 'listings' | 'contacts';

function byUuid<V>(rows: { uuid: string; value: V }[]): Map<string, V> {
  const map = new Map<string, V>();
  for (const row of rows) map.set(row.uuid, row.value);
  return map;
}

/** `column` of the rows of `table` whose uuid is in `uuids`, by uuid. */
export async function valuesByUuid<V>(
  st: Statements,
  db: Trx | Kysely<Database>,
  table: UuidTable,
  column: string,
  workspaceId: number,
  uuids: string[],
): Promise<Map<string, V>> {
  if (uuids.length === 0) return new Map();
  const text = `select uuid, ${column} as value from ${table} where workspace_id = ${st.param(1)} and ${st.inSet('uuid', 2, 'uuid')}`;
  return byUuid(await st.run<{ uuid: string; value: V }>(db, text, [workspaceId, st.set(uuids)]));
}

/** Agents, campaigns or listings by uuid, created if new; their ids by uuid. */
export async function ensureEntities(
  st: Statements,
  trx: Trx,
  table: 'agents' | 'campaigns' | 'listings',
  workspaceId: number,
  uuids: string[],
  now: number,
) {
  await st.insert(
    trx,
    table,
    { workspace_id: 'bigint', uuid: 'uuid', created_at: 'bigint' },
    uuids.map((uuid) => [workspaceId, uuid, now]),
    'on conflict (workspace_id, uuid) do nothing',
  );
  return valuesByUuid<number>(st, trx, table, 'id', workspaceId, uuids);
}

/**
 * An upsert that leaves a row alone when nothing in it changes (no write, no trigger), so that
 * importing the same data again costs reads only.
 */
function upsertTail(st: Statements, table: string, updated: string[], always: string[] = []) {
  const set = [...updated, ...always].map((column) => `${column} = excluded.${column}`).join(', ');
  const stored = `(${updated.map((column) => `${table}.${column}`).join(', ')})`;
  const given = `(${updated.map((column) => `excluded.${column}`).join(', ')})`;
  return `on conflict (workspace_id, uuid) do update set ${set} where ${st.distinct(stored, given)}`;
}

const CONTACT_COLUMNS: Columns = {
  workspace_id: 'bigint',
  uuid: 'uuid',
  name: 'text',
  surname: 'text',
  phone_number: 'text',
  phone_digits: 'text',
  email: 'text',
  created_at: 'bigint',
  updated_at: 'bigint',
};

/** Rows in the order of CONTACT_COLUMNS; returns every contact's id by uuid. */
export async function saveContacts(st: Statements, trx: Trx, workspaceId: number, rows: unknown[][]) {
  const tail = upsertTail(st, 'contacts', ['name', 'surname', 'phone_number', 'phone_digits', 'email'], ['updated_at']);
  await st.insert(trx, 'contacts', CONTACT_COLUMNS, rows, tail);
  return valuesByUuid<number>(
    st,
    trx,
    'contacts',
    'id',
    workspaceId,
    rows.map((row) => row[1] as string),
  );
}

const CONVERSATION_COLUMNS: Columns = {
  workspace_id: 'bigint',
  uuid: 'uuid',
  type: 'text',
  status: 'text',
  responded_by: 'text',
  is_simulation: 'integer',
  channel: 'text',
  agent_id: 'bigint',
  contact_id: 'bigint',
  listing_id: 'bigint',
  campaign_id: 'bigint',
  timestamp: 'bigint',
  created_at: 'bigint',
  updated_at: 'bigint',
};

/**
 * Stored conversations rewritten, rows in the order of CONVERSATION_COLUMNS. `campaign_id` is the
 * call's, which triggers copy from calls anyway; given here, their update finds nothing to change
 * (saved: a second write of each conversation with a call).
 */
export async function saveConversations(st: Statements, trx: Trx, rows: unknown[][]) {
  await st.insert(
    trx,
    'conversations',
    CONVERSATION_COLUMNS,
    rows,
    upsertTail(st, 'conversations', Object.keys(CONVERSATION_COLUMNS).slice(2)),
  );
}

const NEW_CONVERSATION_COLUMNS: Columns = { id: 'bigint', ...CONVERSATION_COLUMNS, body: 'text' };

/** New conversations, rows in the order of NEW_CONVERSATION_COLUMNS: their ids given, and their bodies where known (NULL: rebuilt at commit). */
export async function insertConversations(st: Statements, trx: Trx, rows: unknown[][]) {
  await st.insert(trx, 'conversations', NEW_CONVERSATION_COLUMNS, rows);
}

/** Deletes the rows of `table` that belong to these conversations, except those in `keep`. */
async function deleteOthers(
  st: Statements,
  trx: Trx,
  table: 'calls' | 'sessions',
  workspaceId: number,
  conversationIds: number[],
  keep: string[],
) {
  if (conversationIds.length === 0) return;
  const text =
    `delete from ${table} where workspace_id = ${st.param(1)} and ${st.inSet('conversation_id', 2, 'bigint')} ` +
    `and not (${st.inSet('uuid', 3, 'uuid')})`;
  await st.run(trx, text, [workspaceId, st.set(conversationIds), st.set(keep)]);
}

/** Each conversation's call becomes the one in `keep` or none: a PUT's `call` replaces the stored one. */
export const deleteReplacedCalls = (st: Statements, trx: Trx, workspaceId: number, conversationIds: number[], keep: string[]) =>
  deleteOthers(st, trx, 'calls', workspaceId, conversationIds, keep);

/** Each conversation keeps only the sessions in `keep`. */
export const deleteDroppedSessions = (st: Statements, trx: Trx, workspaceId: number, conversationIds: number[], keep: string[]) =>
  deleteOthers(st, trx, 'sessions', workspaceId, conversationIds, keep);

const CALL_COLUMNS: Columns = {
  workspace_id: 'bigint',
  uuid: 'uuid',
  conversation_id: 'bigint',
  campaign_id: 'bigint',
  direction: 'text',
  status: 'text',
  duration: 'integer',
  recording_url: 'text',
  handled_by: 'text',
  summary: 'text',
  timestamp: 'bigint',
};

/** Rows in the order of CALL_COLUMNS. A call keeps its conversation: the writer checked it is this one. */
export async function saveCalls(st: Statements, trx: Trx, rows: unknown[][]) {
  await st.insert(trx, 'calls', CALL_COLUMNS, rows, upsertTail(st, 'calls', Object.keys(CALL_COLUMNS).slice(3)));
}

/** Tasks pointing at these calls but not in `keep` are unlinked (not deleted), as a PUT does. */
export async function unlinkTasks(st: Statements, trx: Trx, workspaceId: number, callUuids: string[], keep: string[]) {
  if (callUuids.length === 0) return;
  const text =
    `update tasks set third_party_id = null where workspace_id = ${st.param(1)} and ${st.inSet('third_party_id', 2, 'text')} ` +
    `and not (${st.inSet('uuid', 3, 'uuid')})`;
  await st.run(trx, text, [workspaceId, st.set(callUuids), st.set(keep)]);
}

const TASK_COLUMNS: Columns = { workspace_id: 'bigint', uuid: 'uuid', third_party_id: 'text', created_at: 'bigint' };

/** Rows in the order of TASK_COLUMNS: new tasks are created, known ones pointed at their call. */
export async function saveTasks(st: Statements, trx: Trx, rows: unknown[][]) {
  await st.insert(trx, 'tasks', TASK_COLUMNS, rows, upsertTail(st, 'tasks', ['third_party_id']));
}

const SESSION_COLUMNS: Columns = {
  workspace_id: 'bigint',
  uuid: 'uuid',
  conversation_id: 'bigint',
  started_at: 'bigint',
  last_activity_at: 'bigint',
  created_at: 'bigint',
  updated_at: 'bigint',
};

/**
 * Rows in the order of SESSION_COLUMNS. A known session keeps its row; its first and last
 * activity only widen to the times of the messages given for it, as appending them would.
 */
export async function saveSessions(st: Statements, trx: Trx, rows: unknown[][]) {
  const earlier = 'excluded.started_at is not null and (sessions.started_at is null or excluded.started_at < sessions.started_at)';
  const later =
    'excluded.last_activity_at is not null and (sessions.last_activity_at is null or excluded.last_activity_at > sessions.last_activity_at)';
  const tail =
    'on conflict (workspace_id, uuid) do update set ' +
    `started_at = case when ${earlier} then excluded.started_at else sessions.started_at end, ` +
    `last_activity_at = case when ${later} then excluded.last_activity_at else sessions.last_activity_at end, ` +
    `updated_at = excluded.updated_at where (${earlier}) or (${later})`;
  await st.insert(trx, 'sessions', SESSION_COLUMNS, rows, tail);
}

const MESSAGE_COLUMNS: Columns = {
  workspace_id: 'bigint',
  uuid: 'uuid',
  conversation_id: 'bigint',
  session_id: 'bigint',
  sender: 'text',
  message_type: 'text',
  content: 'text',
  created_at: 'bigint',
};

/** Rows in the order of MESSAGE_COLUMNS: upserted by uuid; the writer checked each is its conversation's. */
export async function saveMessages(st: Statements, trx: Trx, rows: unknown[][]) {
  await st.insert(trx, 'messages', MESSAGE_COLUMNS, rows, upsertTail(st, 'messages', Object.keys(MESSAGE_COLUMNS).slice(3)));
}

export interface ExportedMessageRow {
  conversation_id: number;
  uuid: string;
  session_uuid: string | null;
  sender: string;
  message_type: string | null;
  content: string;
  created_at: number;
}

/** The messages of these conversations, each conversation's oldest first (as its transcript reads). */
export async function messagesOfConversations(st: Statements, db: Kysely<Database>, workspaceId: number, conversationIds: number[]) {
  if (conversationIds.length === 0) return [];
  const text =
    'select m.conversation_id, m.uuid, s.uuid as session_uuid, m.sender, m.message_type, m.content, m.created_at ' +
    'from messages m left join sessions s on s.id = m.session_id ' +
    `where m.workspace_id = ${st.param(1)} and ${st.inSet('m.conversation_id', 2, 'bigint')} ` +
    'order by m.conversation_id, m.created_at, m.id';
  return st.run<ExportedMessageRow>(db, text, [workspaceId, st.set(conversationIds)]);
}

export type { PgType };
