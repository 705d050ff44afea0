import { type Static, type TOptional, type TSchema, Type } from 'typebox';
import { DateTime, Nullable, StringEnum, Uuid } from '../shared/schemas.js';

export const CONVERSATION_TYPES = ['Real', 'Simulation'] as const;
export const CONVERSATION_STATUSES = ['Active', 'Closed'] as const;
export const RESPONDERS = ['AI', 'Human'] as const;
export const CHANNELS = ['Whatsapp', 'SMS', 'Call', 'Messenger', 'Instagram', 'Email', 'Webchat'] as const;
export const CALL_DIRECTIONS = ['Inbound', 'Outbound'] as const;
export const CALL_STATUSES = ['queued', 'ringing', 'in-progress', 'completed', 'busy', 'failed', 'no-answer', 'canceled'] as const;
export const SORT_KEYS = ['created_at', 'updated_at'] as const;
export const SORT_DIRECTIONS = ['asc', 'desc'] as const;

export const MAX_PER_PAGE = 100;
export const MAX_PAGE = 2_147_483_647;
export const MAX_TEXT = 10_000;
const MAX_LIST = 1_000;

/** Every property becomes optional: the write shape is the read shape with omissions allowed. */
function optional<P extends Record<string, TSchema>>(properties: P): { [K in keyof P]: TOptional<P[K]> } {
  return Object.fromEntries(Object.entries(properties).map(([key, schema]) => [key, Type.Optional(schema)])) as {
    [K in keyof P]: TOptional<P[K]>;
  };
}

const text = (description?: string) => Nullable(Type.String({ maxLength: MAX_TEXT, ...(description ? { description } : {}) }));

const contactFields = {
  uuid: Uuid,
  name: text(),
  surname: text(),
  phone_number: Nullable(Type.String({ maxLength: 64 })),
  email: Nullable(Type.String({ maxLength: 320 })),
};

const callFields = {
  uuid: Uuid,
  direction: Nullable(StringEnum(CALL_DIRECTIONS)),
  status: Nullable(StringEnum(CALL_STATUSES)),
  duration: Nullable(Type.Integer({ minimum: 0, maximum: MAX_PAGE, description: 'Seconds' })),
  recording_url: Nullable(Type.String({ maxLength: 2048 })),
  handled_by: Nullable(StringEnum(RESPONDERS)),
  summary: text(),
  timestamp: Nullable(DateTime),
};

const uuidList = Type.Array(Uuid, { uniqueItems: true, maxItems: MAX_LIST });

const conversationFields = {
  uuid: Uuid,
  type: StringEnum(CONVERSATION_TYPES),
  status: StringEnum(CONVERSATION_STATUSES),
  responded_by: Nullable(StringEnum(RESPONDERS)),
  is_simulation: Type.Boolean(),
  timestamp: Type.Unsafe<string>({ ...DateTime, description: "Time of the conversation's latest activity" }),
  created_at: DateTime,
  updated_at: DateTime,
  agent_uuid: Nullable(Uuid),
  channel: StringEnum(CHANNELS),
  contact: Type.Object(contactFields),
  session_uuids: Type.Array(Uuid, { description: 'Oldest first' }),
  campaign_uuid: Nullable(Uuid),
  listing_uuid: Nullable(Uuid),
  task_uuids: Type.Array(Uuid, { description: "Tasks whose third_party_id is the call's uuid, oldest first" }),
  call: Nullable(Type.Object(callFields)),
};

export const Conversation = Type.Object(conversationFields);
export type Conversation = Static<typeof Conversation>;

export const ContactInput = Type.Object({ ...optional(contactFields), uuid: Uuid }, { additionalProperties: false });
export const CallInput = Type.Object({ ...optional(callFields), uuid: Uuid }, { additionalProperties: false });

/**
 * The body of PUT /conversations/{uuid}: the shape the list returns. Keys left out keep their
 * stored value (or their default on creation); `null` clears.
 */
export const ConversationInput = Type.Object(
  {
    ...optional(conversationFields),
    contact: ContactInput,
    channel: StringEnum(CHANNELS),
    session_uuids: Type.Optional(uuidList),
    task_uuids: Type.Optional(uuidList),
    call: Type.Optional(Nullable(CallInput)),
  },
  { additionalProperties: false },
);
export type ConversationInput = Static<typeof ConversationInput>;

export const ConversationParams = Type.Object({ uuid: Uuid });

export const ListQuery = Type.Object({
  page: Type.Integer({ minimum: 1, maximum: MAX_PAGE, default: 1 }),
  per_page: Type.Integer({ minimum: 1, maximum: MAX_PER_PAGE, default: 15 }),
  phone: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 32,
      description:
        'Partial match on the contact phone number. Spaces, -, (, ), . and a leading + are ignored on both sides; % and _ match themselves. Needs at least one digit.',
    }),
  ),
  contact_uuid: Type.Optional({ ...Uuid, description: 'Filter by contact UUID' } as typeof Uuid),
  agent_uuid: Type.Optional({ ...Uuid, description: 'Filter by agent UUID' } as typeof Uuid),
  campaign_uuid: Type.Optional({ ...Uuid, description: "Filter by campaign UUID (via conversation's call)" } as typeof Uuid),
  task_uuid: Type.Optional({ ...Uuid, description: 'Filter by task UUID (matched via task.third_party_id = call.uuid)' } as typeof Uuid),
  channel: Type.Optional(StringEnum(CHANNELS, { caseInsensitive: true, description: 'Channel name, any case (e.g. whatsapp, sms, call)' })),
  status: Type.Optional(StringEnum(CONVERSATION_STATUSES, { caseInsensitive: true })),
  sort_by: Type.Unsafe<(typeof SORT_KEYS)[number]>({ ...StringEnum(SORT_KEYS), default: 'created_at' }),
  sort_dir: Type.Unsafe<(typeof SORT_DIRECTIONS)[number]>({ ...StringEnum(SORT_DIRECTIONS), default: 'desc' }),
});
export type ListQuery = Static<typeof ListQuery>;

export const ListResponse = Type.Object({
  success: Type.Boolean(),
  message: Type.String(),
  data: Type.Object({
    current_page: Type.Integer(),
    data: Type.Array(Conversation),
    per_page: Type.Integer(),
    total: Type.Integer(),
    last_page: Type.Integer(),
  }),
});
export type ListResponse = Static<typeof ListResponse>;

export const ConversationResponse = Type.Object({
  success: Type.Boolean(),
  message: Type.String(),
  data: Conversation,
});
export type ConversationResponse = Static<typeof ConversationResponse>;
