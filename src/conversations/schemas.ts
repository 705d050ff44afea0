import { type Static, type TOptional, type TSchema, Type } from 'typebox';
import { DateTime, Envelope, EnumList, Nullable, pageParameters, StringEnum, Uuid, UuidList } from '../shared/schemas.js';

export const CONVERSATION_TYPES = ['Real', 'Simulation'] as const;
export const CONVERSATION_STATUSES = ['Active', 'Closed'] as const;
export const RESPONDERS = ['AI', 'Human'] as const;
export const CHANNELS = ['Whatsapp', 'SMS', 'Call', 'Messenger', 'Instagram', 'Email', 'Webchat'] as const;
export const CALL_DIRECTIONS = ['Inbound', 'Outbound'] as const;
export const CALL_STATUSES = ['queued', 'ringing', 'in-progress', 'completed', 'busy', 'failed', 'no-answer', 'canceled'] as const;
export const SORT_KEYS = ['created_at', 'updated_at'] as const;
export const SORT_DIRECTIONS = ['asc', 'desc'] as const;

export const MAX_TEXT = 10_000;
const MAX_LIST = 1_000;

/** Every property becomes optional: the write shape is the read shape with omissions allowed. */
function optional<P extends Record<string, TSchema>>(properties: P): { [K in keyof P]: TOptional<P[K]> } {
  return Object.fromEntries(Object.entries(properties).map(([key, schema]) => [key, Type.Optional(schema)])) as {
    [K in keyof P]: TOptional<P[K]>;
  };
}

const text = (description?: string) => Nullable(Type.String({ maxLength: MAX_TEXT, ...(description ? { description } : {}) }));

/** A phone number's length at most; so its digits', and every suffix of them `contact_phone_suffixes` keeps. */
export const MAX_PHONE_NUMBER = 64;

const contactFields = {
  uuid: Uuid,
  name: text(),
  surname: text(),
  phone_number: Nullable(Type.String({ maxLength: MAX_PHONE_NUMBER })),
  email: Nullable(Type.String({ maxLength: 320 })),
};

const callFields = {
  uuid: Uuid,
  direction: Nullable(StringEnum(CALL_DIRECTIONS)),
  status: Nullable(StringEnum(CALL_STATUSES)),
  duration: Nullable(Type.Integer({ minimum: 0, maximum: 2_147_483_647, description: 'Seconds' })),
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

export const ConversationParams = Type.Object({ uuid: { ...Uuid, description: "The conversation's uuid" } as typeof Uuid });

const describedUuid = (description: string) => Type.Optional({ ...Uuid, description } as typeof Uuid);
const describedTime = (description: string) => Type.Optional({ ...DateTime, description } as typeof DateTime);

export const ListQuery = Type.Object({
  ...pageParameters(15),
  phone: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 32,
      description:
        'Partial match on the contact phone number. Spaces, -, (, ), . and a leading + are ignored on both sides; % and _ match themselves. Needs at least one digit.',
    }),
  ),
  contact_uuid: describedUuid('Filter by contact UUID'),
  agent_uuid: Type.Optional(UuidList('Filter by agent UUID; several, comma-separated, match any of them')),
  campaign_uuid: describedUuid("Filter by campaign UUID (via conversation's call)"),
  task_uuid: describedUuid('Filter by task UUID (matched via task.third_party_id = call.uuid)'),
  channel: Type.Optional(EnumList(CHANNELS, 'Filter by channel name (e.g. whatsapp, sms, call)')),
  status: Type.Optional(EnumList(CONVERSATION_STATUSES, 'Filter by status')),
  created_from: describedTime('Only conversations created at or after this time'),
  created_to: describedTime('Only conversations created at or before this time'),
  updated_since: describedTime('Only conversations updated at or after this time: poll with the newest updated_at seen to sync changes'),
  sort_by: Type.Unsafe<(typeof SORT_KEYS)[number]>({
    ...StringEnum(SORT_KEYS, { description: 'The time to order by; ties are broken by creation order in the same direction' }),
    default: 'created_at',
  }),
  sort_dir: Type.Unsafe<(typeof SORT_DIRECTIONS)[number]>({
    ...StringEnum(SORT_DIRECTIONS, { description: 'Order direction' }),
    default: 'desc',
  }),
  cursor: Type.Optional(
    Type.String({
      maxLength: 200,
      description:
        'Cursor paging instead of page: send an empty cursor for the first page, then the next_cursor of each answer. Stable while conversations are added.',
    }),
  ),
});
export type ListQuery = Static<typeof ListQuery>;

/**
 * The list's envelope; a cursor request gets `next_cursor` instead of `current_page` and
 * `last_page`. Every key of `data` is optional here only because fast-json-stringify writes
 * required keys first, and the contract's key order must hold.
 */
export const ListResponse = Type.Object({
  success: Type.Boolean(),
  message: Type.String(),
  data: Type.Object({
    current_page: Type.Optional(Type.Integer({ description: 'Page requests only' })),
    data: Type.Optional(Type.Array(Conversation)),
    per_page: Type.Optional(Type.Integer()),
    total: Type.Optional(Type.Integer({ description: 'Every conversation matching the filters' })),
    last_page: Type.Optional(Type.Integer({ description: 'Page requests only' })),
    next_cursor: Type.Optional(Nullable(Type.String({ description: 'Cursor requests only; null on the last page' }))),
  }),
});
export type ListResponse = Static<typeof ListResponse>;

export const ConversationResponse = Envelope(Conversation);
export type ConversationResponse = Static<typeof ConversationResponse>;

export const StatusChange = Type.Object({ status: StringEnum(CONVERSATION_STATUSES) }, { additionalProperties: false });
