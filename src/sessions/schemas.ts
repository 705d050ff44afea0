import { type Static, Type } from 'typebox';
import { Conversation } from '../conversations/schemas.js';
import { DateTime, Nullable, Paginated, pageParameters, Uuid } from '../shared/schemas.js';

const conversation = Conversation.properties;

/** A session with the conversation context it happened in, as the platform's sessions endpoint returns it. */
export const Session = Type.Object({
  uuid: Uuid,
  started_at: Nullable(DateTime),
  ended_at: Nullable(DateTime),
  last_activity_at: Nullable(DateTime),
  summary: Nullable(Type.String()),
  created_at: DateTime,
  updated_at: DateTime,
  conversation_uuid: Uuid,
  agent_uuid: conversation.agent_uuid,
  contact: conversation.contact,
  call_uuid: Nullable(Uuid),
  campaign_uuid: conversation.campaign_uuid,
  listing_uuid: conversation.listing_uuid,
  task_uuids: conversation.task_uuids,
});
export type Session = Static<typeof Session>;

export const SessionListQuery = Type.Object(pageParameters(15));
export const SessionListResponse = Paginated(Session);
