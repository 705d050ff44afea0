import type { Kysely } from 'kysely';
import type { Database } from '../db/tables.js';

export interface MessageExportFilters {
  from: number;
  to: number;
  channel?: string;
  agentUuid?: string;
  campaignUuid?: string;
  /** Internal id of the last message already returned. */
  afterId: number;
  limit: number;
}

/**
 * Messages in insertion order after `afterId`. Insertion order, not created_at, is what keeps a
 * cursor exact while messages arrive: a new message always lands after every cursor handed out.
 */
export async function exportMessages(db: Kysely<Database>, workspaceId: number, f: MessageExportFilters) {
  let query = db
    .selectFrom('messages as m')
    .innerJoin('conversations as c', 'c.id', 'm.conversation_id')
    .innerJoin('contacts as ct', 'ct.id', 'c.contact_id')
    .leftJoin('agents as a', 'a.id', 'c.agent_id')
    .leftJoin('sessions as s', 's.id', 'm.session_id')
    .select([
      'm.id',
      'm.uuid as message_uuid',
      'c.uuid as conversation_uuid',
      's.uuid as session_uuid',
      'ct.uuid as contact_uuid',
      'a.uuid as agent_uuid',
      'c.channel',
      'm.sender',
      'm.message_type',
      'm.content',
      'm.created_at',
    ])
    .where('m.workspace_id', '=', workspaceId)
    .where('m.id', '>', f.afterId)
    .where('m.created_at', '>=', f.from)
    .where('m.created_at', '<', f.to);
  if (f.channel !== undefined) query = query.where('c.channel', '=', f.channel);
  if (f.agentUuid !== undefined) query = query.where('a.uuid', '=', f.agentUuid);
  if (f.campaignUuid !== undefined) {
    const campaignUuid = f.campaignUuid;
    query = query.where('c.id', 'in', (eb) =>
      eb
        .selectFrom('calls')
        .innerJoin('campaigns', 'campaigns.id', 'calls.campaign_id')
        .select('calls.conversation_id')
        .where('calls.workspace_id', '=', workspaceId)
        .where('campaigns.uuid', '=', campaignUuid),
    );
  }
  return query.orderBy('m.id').limit(f.limit).execute();
}
