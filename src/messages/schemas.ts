import { type Static, Type } from 'typebox';
import { DateTime, Envelope, Nullable, Paginated, pageParameters, StringEnum, Uuid } from '../shared/schemas.js';

export const SENDERS = ['AI', 'Human', 'Contact'] as const;
export const MAX_CONTENT = 100_000;

const messageFields = {
  uuid: Uuid,
  conversation_uuid: Uuid,
  session_uuid: Nullable(Uuid),
  sender: StringEnum(SENDERS),
  message_type: Nullable(Type.String({ minLength: 1, maxLength: 64, examples: ['text'] })),
  content: Type.String({ maxLength: MAX_CONTENT }),
  created_at: DateTime,
};

export const Message = Type.Object(messageFields);
export type Message = Static<typeof Message>;

/** A new message: `uuid` makes the append idempotent; `created_at` defaults to now. */
export const MessageInput = Type.Object(
  {
    uuid: Type.Optional(messageFields.uuid),
    session_uuid: Type.Optional(messageFields.session_uuid),
    sender: messageFields.sender,
    message_type: Type.Optional(messageFields.message_type),
    content: messageFields.content,
    created_at: Type.Optional(messageFields.created_at),
  },
  { additionalProperties: false },
);
export type MessageInput = Static<typeof MessageInput>;

export const MessageListQuery = Type.Object({
  ...pageParameters(25),
  sender: Type.Optional(StringEnum(SENDERS, { caseInsensitive: true, description: 'Only messages of this sender, in any case' })),
  sort_dir: Type.Unsafe<'asc' | 'desc'>({
    ...StringEnum(['asc', 'desc']),
    default: 'asc',
    description: 'By created_at; oldest first by default',
  }),
});
export type MessageListQuery = Static<typeof MessageListQuery>;

export const MessageListResponse = Paginated(Message);
export const MessageResponse = Envelope(Message);
