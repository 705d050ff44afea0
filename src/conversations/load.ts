import { type Kysely, sql } from 'kysely';
import { runCompiled } from '../db/compiled.js';
import { type Dialect, dialectOf } from '../db/dialect.js';
import { idAmong, idListParameter } from '../db/expressions.js';
import type { Database } from '../db/tables.js';

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
 * A conversation's sessions or tasks as one value of its row: their uuids joined with commas in
 * creation order, NULL when there are none. PostgreSQL's `string_agg` is SQLite's `group_concat`
 * (both take the ORDER BY, SQLite since 3.44); a call's uuid is text in `tasks.third_party_id`.
 * Uuids never hold a comma.
 */
function childUuids(dialect: Dialect, table: 'sessions' | 'tasks') {
  const list =
    dialect === 'postgres'
      ? sql`string_agg(x.uuid::text, ',' order by x.created_at, x.id)`
      : sql`group_concat(x.uuid, ',' order by x.created_at, x.id)`;
  const owner =
    table === 'sessions'
      ? sql`x.conversation_id = c.id`
      : dialect === 'postgres'
        ? sql`x.third_party_id = k.uuid::text`
        : sql`x.third_party_id = k.uuid`;
  return sql<string | null>`(select ${list} from ${sql.table(table)} x where x.workspace_id = c.workspace_id and ${owner})`;
}

const split = (uuids: string | null) => (uuids === null ? [] : uuids.split(','));

/**
 * Reads whole conversations (with contact, call, campaign, sessions and tasks) in one query
 * whatever their number, one row each: those whose ids `which` lists, in that order, or (given
 * `{ stale: n }`) up to n of those whose body is stale (NULL), in no particular order. Inside a write transaction every
 * query is a round trip made while the workspace is locked, so there is only the one.
 */
export async function loadConversations(
  db: Kysely<Database>,
  workspaceId: number,
  which: readonly number[] | { stale: number },
): Promise<ConversationRecord[]> {
  const [ids, stale] = 'stale' in which ? [null, which.stale] : [which, null];
  if (ids?.length === 0) return [];
  const dialect = dialectOf(db);
  // Compiled once: building this query with Kysely costs several times what SQLite takes to run it.
  const selected = () =>
    db
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
        childUuids(dialect, 'sessions').as('session_uuids'),
        childUuids(dialect, 'tasks').as('task_uuids'),
      ])
      .where('c.workspace_id', '=', workspaceId);
  const rows = ids
    ? await runCompiled(db, 'load conversations', [workspaceId, idListParameter(dialect, ids)], () =>
        selected().where(idAmong(dialect, 'c.id', ids)),
      )
    : // The limit is written into the text: with a bound one SQLite took 6× as long (92 µs against 14).
      await runCompiled(db, `load stale conversations ${stale}`, [workspaceId], () =>
        selected().where('c.body', 'is', null).limit(sql.lit(stale!)),
      );
  if (ids) {
    const position = new Map(ids.map((id, index) => [id, index]));
    rows.sort((a, b) => position.get(a.id)! - position.get(b.id)!);
  }
  return rows.map(({ session_uuids, task_uuids, ...row }) => ({
    row: row as ConversationRow,
    sessionUuids: split(session_uuids),
    taskUuids: split(task_uuids),
  }));
}

/** One whole conversation of the workspace, by the internal id a caller already looked up. */
export async function loadConversation(db: Kysely<Database>, workspaceId: number, id: number): Promise<ConversationRecord | undefined> {
  const [record] = await loadConversations(db, workspaceId, [id]);
  return record;
}
