import { type Static, Type } from 'typebox';
import { CHANNELS } from '../conversations/schemas.js';
import { SENDERS } from '../messages/schemas.js';
import { DateTime, Nullable, StringEnum, Uuid } from '../shared/schemas.js';

export const MessageExportQuery = Type.Object({
  from: { ...DateTime, description: 'Messages created at or after this time' } as typeof DateTime,
  to: { ...DateTime, description: 'Messages created before this time' } as typeof DateTime,
  channel: Type.Optional(
    StringEnum(CHANNELS, { caseInsensitive: true, description: 'Only messages of conversations on this channel, in any case' }),
  ),
  agent_uuid: Type.Optional({ ...Uuid, description: 'Only messages of conversations of this agent' } as typeof Uuid),
  campaign_uuid: Type.Optional({
    ...Uuid,
    description: 'Only messages of conversations whose call belongs to this campaign',
  } as typeof Uuid),
  limit: Type.Integer({ minimum: 1, maximum: 1000, default: 500, description: 'Messages per answer' }),
  cursor: Type.Optional(Type.String({ maxLength: 200, description: 'next_cursor of the previous answer, as given' })),
});
export type MessageExportQuery = Static<typeof MessageExportQuery>;

export const ExportedMessage = Type.Object({
  message_uuid: Uuid,
  conversation_uuid: Uuid,
  session_uuid: Nullable(Uuid),
  contact_uuid: Uuid,
  agent_uuid: Nullable(Uuid),
  channel: Type.String({ description: 'Lower case, e.g. whatsapp' }),
  channel_label: StringEnum(CHANNELS),
  direction: StringEnum(['inbound', 'outbound'], { description: 'inbound when the contact sent it' }),
  sender: StringEnum(SENDERS),
  message_type: Nullable(Type.String()),
  content: Type.String(),
  created_at: DateTime,
});
export type ExportedMessage = Static<typeof ExportedMessage>;

export const MessageExportResponse = Type.Object({
  meta: Type.Object({
    from: DateTime,
    to: DateTime,
    channel: Nullable(Type.String()),
    agent_uuid: Nullable(Uuid),
    campaign_uuid: Nullable(Uuid),
    generated_at: DateTime,
  }),
  messages: Type.Array(ExportedMessage),
  pagination: Type.Object({
    next_cursor: Nullable(
      Type.String({ description: 'Where the next call resumes; given at the end too, so that a later call picks up new messages' }),
    ),
    has_more: Type.Boolean({ description: 'Whether more messages were already there' }),
    limit: Type.Integer(),
  }),
});
