import { Type } from 'typebox';
import { normalisePhone } from '../conversations/phone.js';
import { CallInput, ContactInput, type Conversation, ConversationInput } from '../conversations/schemas.js';
import { describe, fieldOf } from '../http/error-handler.js';
import type { ErrorCode } from '../http/errors.js';
import { compileJsonValidator } from '../http/validation.js';
import { Message } from '../messages/schemas.js';
import { Nullable } from '../shared/schemas.js';
import { fromIso } from '../shared/time.js';
import { findUnstorable } from '../http/nul-characters.js';

const ESCAPED_UNSTORABLE = /\\u(0000|[dD][89a-fA-F])/;

/**
 * One line of an import file: a conversation in the exact shape the list returns, every key
 * present, plus optionally its messages. The schema is the PUT body's with every key required.
 */
export interface ImportedMessage {
  uuid: string;
  session_uuid: string | null;
  sender: 'AI' | 'Human' | 'Contact';
  message_type?: string | null;
  content: string;
  created_at: string;
}

export type ImportLine = Conversation & { messages?: ImportedMessage[] };

/** Enough for any real transcript; a line is held in memory whole, so it needs some bound. */
export const MAX_MESSAGES_PER_LINE = 10_000;

const complete = <T extends { properties: object }>(schema: T) => ({ ...schema, required: Object.keys(schema.properties) });

const message = Message.properties;
const ImportedMessageSchema = Type.Object(
  {
    uuid: message.uuid,
    session_uuid: message.session_uuid,
    sender: message.sender,
    message_type: Type.Optional(message.message_type),
    content: message.content,
    created_at: message.created_at,
  },
  { additionalProperties: false },
);

export const ImportLineSchema = Type.Unsafe<ImportLine>({
  ...ConversationInput,
  required: Object.keys(ConversationInput.properties),
  properties: {
    ...ConversationInput.properties,
    contact: complete(ContactInput),
    call: Nullable(Type.Unsafe(complete(CallInput))),
    messages: Type.Optional(Type.Array(ImportedMessageSchema, { maxItems: MAX_MESSAGES_PER_LINE })),
  },
});

/** What the writer needs of a line: uuids in lower case, times in epoch seconds, the phone normalised. */
export interface ImportItem {
  line: number;
  uuid: string;
  type: string;
  status: string;
  respondedBy: string | null;
  isSimulation: 0 | 1;
  channel: string;
  agentUuid: string | null;
  listingUuid: string | null;
  campaignUuid: string | null;
  contact: {
    uuid: string;
    name: string | null;
    surname: string | null;
    phoneNumber: string | null;
    phoneDigits: string | null;
    email: string | null;
  };
  sessionUuids: string[];
  taskUuids: string[];
  call: {
    uuid: string;
    direction: string | null;
    status: string | null;
    duration: number | null;
    recordingUrl: string | null;
    handledBy: string | null;
    summary: string | null;
    timestamp: number | null;
  } | null;
  timestamp: number;
  createdAt: number;
  updatedAt: number;
  /** Null when the line has no `messages` key: the stored messages are left as they are either way. */
  messages: ImportMessage[] | null;
}

export interface ImportMessage {
  uuid: string;
  sessionUuid: string | null;
  sender: string;
  messageType: string | null;
  content: string;
  createdAt: number;
}

/** A line that was not imported, with the reason the API would have given for the same body. */
export interface RejectedLine {
  line: number;
  /** `field: details`, or the details alone when no field is to blame. */
  reason: string;
  code: ErrorCode;
  field?: string;
}

export function rejection(line: number, code: ErrorCode, details: string, field?: string): RejectedLine {
  return { line, reason: field ? `${field}: ${details}` : details, code, ...(field ? { field } : {}) };
}

const CANONICAL_TIME = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)Z$/;

/**
 * `fromIso` for a time already validated, with a fast path for the contract's own `…Z` form,
 * which is what an export holds: a few times faster than parsing, and there are several times
 * on every line. Years before 100 and leap seconds take the general path.
 */
function seconds(value: string): number {
  const m = CANONICAL_TIME.exec(value);
  if (m && m[1]! >= '0100' && m[6] !== '60') return Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!) / 1000;
  return fromIso(value);
}

const lowerSet = (uuids: string[]) => {
  const lowered = uuids.map((uuid) => uuid.toLowerCase());
  return new Set(lowered).size === lowered.length ? lowered : [...new Set(lowered)];
};
const lowerOrNull = (uuid: string | null) => (uuid === null ? null : uuid.toLowerCase());

/**
 * The checks a PUT makes before it reads any stored data (422s), for a line already valid
 * against the schema; then the line in the writer's terms. Returns a rejection for a bad line.
 * `value` is trusted to match `ImportLine` (validated, or made by the generator).
 */
export function toImportItem(line: number, value: ImportLine): ImportItem | RejectedLine {
  const call = value.call;
  if (!call) {
    if (value.campaign_uuid) {
      return rejection(line, 'VALIDATION_ERROR', "campaign_uuid needs a call: a conversation's campaign is its call's", 'campaign_uuid');
    }
    if (value.task_uuids.length > 0) {
      return rejection(line, 'VALIDATION_ERROR', "task_uuids need a call: tasks are matched through the call's uuid", 'task_uuids');
    }
  }
  const sessionUuids = lowerSet(value.session_uuids);
  let messages: ImportMessage[] | null = null;
  if (value.messages) {
    messages = [];
    const seen = new Set<string>();
    const sessions = new Set(sessionUuids);
    for (const [index, m] of value.messages.entries()) {
      const uuid = m.uuid.toLowerCase();
      if (seen.has(uuid)) return rejection(line, 'VALIDATION_ERROR', `Message ${uuid} appears twice in messages`, `messages.${index}.uuid`);
      seen.add(uuid);
      const sessionUuid = lowerOrNull(m.session_uuid);
      if (sessionUuid !== null && !sessions.has(sessionUuid)) {
        return rejection(
          line,
          'VALIDATION_ERROR',
          `Session ${sessionUuid} is not one of the conversation's session_uuids`,
          `messages.${index}.session_uuid`,
        );
      }
      messages.push({
        uuid,
        sessionUuid,
        sender: m.sender,
        messageType: m.message_type ?? null,
        content: m.content,
        createdAt: seconds(m.created_at),
      });
    }
  }
  const phone = value.contact.phone_number;
  return {
    line,
    uuid: value.uuid.toLowerCase(),
    type: value.type,
    status: value.status,
    respondedBy: value.responded_by,
    isSimulation: value.is_simulation ? 1 : 0,
    channel: value.channel,
    agentUuid: lowerOrNull(value.agent_uuid),
    listingUuid: lowerOrNull(value.listing_uuid),
    campaignUuid: call ? lowerOrNull(value.campaign_uuid) : null,
    contact: {
      uuid: value.contact.uuid.toLowerCase(),
      name: value.contact.name,
      surname: value.contact.surname,
      phoneNumber: phone,
      phoneDigits: phone === null ? null : normalisePhone(phone),
      email: value.contact.email,
    },
    sessionUuids,
    taskUuids: call ? lowerSet(value.task_uuids) : [],
    call: call && {
      uuid: call.uuid.toLowerCase(),
      direction: call.direction,
      status: call.status,
      duration: call.duration,
      recordingUrl: call.recording_url,
      handledBy: call.handled_by,
      summary: call.summary,
      timestamp: call.timestamp === null ? null : seconds(call.timestamp),
    },
    timestamp: seconds(value.timestamp),
    createdAt: seconds(value.created_at),
    updatedAt: seconds(value.updated_at),
    messages,
  };
}

let validate: ReturnType<typeof compileJsonValidator> | undefined;

/** One line of text to an item to write, or the reason it cannot be imported. */
export function parseLine(line: number, text: string): ImportItem | RejectedLine {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return rejection(line, 'BAD_REQUEST', 'The line is not valid JSON');
  }
  validate ??= compileJsonValidator(ImportLineSchema);
  if (!validate(value)) {
    const error = validate.errors![0]!;
    const field = fieldOf(error);
    return rejection(line, 'VALIDATION_ERROR', describe(error, field, 'line'), field || undefined);
  }
  // What a PUT refuses as unstorable can only come escaped (a U+0000 as \u0000, half a surrogate
  // pair as \ud800 to \udfff: the line was read as UTF-8), so most lines are spared the walk.
  if (ESCAPED_UNSTORABLE.test(text)) {
    const found = findUnstorable(value);
    if (found) {
      const field = found.path.join('.');
      return rejection(line, 'VALIDATION_ERROR', `${field} ${found.problem}`, field);
    }
  }
  return toImportItem(line, value as ImportLine);
}

export const isRejected = (item: ImportItem | RejectedLine): item is RejectedLine => 'reason' in item;
