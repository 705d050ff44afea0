import { lastPageOf } from '../shared/schemas.js';
import { toIso, toIsoOrNull } from '../shared/time.js';
import type { ConversationRecord } from './load.js';
import type { Conversation } from './schemas.js';

/** A stored conversation in the contract's shape: every key present, unknowns null, times as `…Z`. */
export function presentConversation({ row, sessionUuids, taskUuids }: ConversationRecord): Conversation {
  return {
    uuid: row.uuid,
    type: row.type as Conversation['type'],
    status: row.status as Conversation['status'],
    responded_by: row.responded_by as Conversation['responded_by'],
    is_simulation: row.is_simulation === 1,
    timestamp: toIso(row.timestamp),
    created_at: toIso(row.created_at),
    updated_at: toIso(row.updated_at),
    agent_uuid: row.agent_uuid,
    channel: row.channel as Conversation['channel'],
    contact: {
      uuid: row.contact_uuid,
      name: row.contact_name,
      surname: row.contact_surname,
      phone_number: row.contact_phone_number,
      email: row.contact_email,
    },
    session_uuids: sessionUuids,
    campaign_uuid: row.campaign_uuid,
    listing_uuid: row.listing_uuid,
    task_uuids: taskUuids,
    call: row.call_uuid
      ? {
          uuid: row.call_uuid,
          direction: row.call_direction as NonNullable<Conversation['call']>['direction'],
          status: row.call_status as NonNullable<Conversation['call']>['status'],
          duration: row.call_duration,
          recording_url: row.call_recording_url,
          handled_by: row.call_handled_by as NonNullable<Conversation['call']>['handled_by'],
          summary: row.call_summary,
          timestamp: toIsoOrNull(row.call_timestamp),
        }
      : null,
  };
}

/*
 * The answers made of stored bodies (see body.ts), written out key by key in the order the
 * response schemas give, which the tests compare against whole responses.
 */

/** The page-mode list envelope: `pageOf`'s keys, in its order. */
export function listPageJson(bodies: string[], total: number, page: number, perPage: number): string {
  return `{"success":true,"message":"Conversations retrieved successfully","data":{"current_page":${page},"data":[${bodies.join(',')}],"per_page":${perPage},"total":${total},"last_page":${lastPageOf(total, perPage)}}}`;
}

/** The cursor-mode list envelope. */
export function listCursorJson(bodies: string[], total: number, perPage: number, nextCursor: string | null): string {
  return `{"success":true,"message":"Conversations retrieved successfully","data":{"data":[${bodies.join(',')}],"per_page":${perPage},"total":${total},"next_cursor":${JSON.stringify(nextCursor)}}}`;
}

/** One conversation's envelope. */
export function conversationJson(body: string, message = 'Conversation retrieved successfully'): string {
  return `{"success":true,"message":${JSON.stringify(message)},"data":${body}}`;
}
