import type { Kysely } from 'kysely';
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
 * Reads whole conversations (with contact, call, campaign, sessions and tasks) in three queries
 * whatever their number: one joined row each, then sessions and tasks for all of them at once.
 * Records come back in the order of `ids`. The ids are chosen by a query of their own first: as a
 * subquery, SQLite would rather walk the sort index over the whole workspace than look them up.
 */
export async function loadConversations(db: Kysely<Database>, workspaceId: number, ids: number[]): Promise<ConversationRecord[]> {
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
