/**
 * A reference model of a workspace's conversations: plain TypeScript over in-memory maps, written
 * from the contract (`spec/conversations-api.md`, the README's tables) and never from Parley's
 * code, so that the two can be compared answer by answer (test/list-model.test.ts).
 *
 * It covers `PUT /api/v1/conversations/{uuid}` for the bodies the generator writes (every body is
 * valid except for a campaign or tasks without a call) and `GET /api/v1/conversations` fully:
 * validation, every filter, both sorts, page and cursor paging. Answers are whole response bodies,
 * with vitest's asymmetric matchers where the contract leaves the text to Parley (error details,
 * cursors, the PUT's message).
 */
import { expect } from 'vitest';
import { hasDigit, normalisePhone, phoneMatches } from './phone.js';

// The contract's enumerations, spelled as it spells them.
export const CHANNELS = ['Whatsapp', 'SMS', 'Call', 'Messenger', 'Instagram', 'Email', 'Webchat'] as const;
export const STATUSES = ['Active', 'Closed'] as const;
export const TYPES = ['Real', 'Simulation'] as const;
export const RESPONDERS = ['AI', 'Human'] as const;
export const DIRECTIONS = ['Inbound', 'Outbound'] as const;
export const CALL_STATUSES = ['queued', 'ringing', 'in-progress', 'completed', 'busy', 'failed', 'no-answer', 'canceled'] as const;

export const LIST_MESSAGE = 'Conversations retrieved successfully';

export interface Contact {
  uuid: string;
  name: string | null;
  surname: string | null;
  phone_number: string | null;
  email: string | null;
}

export interface Call {
  uuid: string;
  direction: string | null;
  status: string | null;
  duration: number | null;
  recording_url: string | null;
  handled_by: string | null;
  summary: string | null;
  timestamp: string | null;
}

/** A conversation as the list shows it. */
export interface Conversation {
  uuid: string;
  type: string;
  status: string;
  responded_by: string | null;
  is_simulation: boolean;
  timestamp: string;
  created_at: string;
  updated_at: string;
  agent_uuid: string | null;
  channel: string;
  contact: Contact;
  session_uuids: string[];
  campaign_uuid: string | null;
  listing_uuid: string | null;
  task_uuids: string[];
  call: Call | null;
}

/** A PUT body: the list's shape with keys left out; `contact` and `channel` are required. */
export type PutBody = Partial<Omit<Conversation, 'contact' | 'call'>> & {
  channel: string;
  contact: Partial<Contact> & { uuid: string };
  call?: (Partial<Call> & { uuid: string }) | null;
};

export interface Answer {
  status: number;
  body: unknown;
}

interface StoredConversation {
  /** Creation order: the contract's "internal, unique, monotonic id". */
  id: number;
  uuid: string;
  type: string;
  status: string;
  responded_by: string | null;
  is_simulation: boolean;
  timestamp: number;
  created_at: number;
  updated_at: number;
  agent_uuid: string | null;
  channel: string;
  contactUuid: string;
  listing_uuid: string | null;
  call: (Call & { campaign_uuid: string | null }) | null;
}

/** Whole seconds since the epoch, as the contract's `…Z` times carry them; a fraction is dropped. */
export const seconds = (iso: string) => Math.floor(Date.parse(iso) / 1000);
export const iso = (secondsSinceEpoch: number) => new Date(secondsSinceEpoch * 1000).toISOString().slice(0, 19) + 'Z';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const RFC3339 = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(\.\d+)?(Z|([+-])(\d\d):(\d\d))$/;

/** An RFC 3339 date-time with a real calendar date: `2024-02-30…` and `25:00` are not. */
export function isDateTime(value: string): boolean {
  const match = RFC3339.exec(value);
  if (!match) return false;
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  const offsetOk = match[8] === 'Z' || (Number(match[10]) < 24 && Number(match[11]) < 60);
  return month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth && hour < 24 && minute < 60 && second < 60 && offsetOk;
}

/** Query parameters as sent: each name once, each value the exact text. */
export type ListQuery = Record<string, string>;

interface ParsedQuery {
  page: number;
  perPage: number;
  sortBy: 'created_at' | 'updated_at';
  sortDir: 'asc' | 'desc';
  match: (conversation: StoredConversation) => boolean;
}

const enumList = (value: string, allowed: readonly string[]) => {
  const items = value.split(',').map((item) => allowed.find((name) => name.toLowerCase() === item.toLowerCase()));
  return items.every((item) => item !== undefined) ? new Set(items as string[]) : null;
};

const decimal = (value: string, min: number, max: number) =>
  /^[0-9]+$/.test(value) && Number(value) >= min && Number(value) <= max ? Number(value) : null;

export class ConversationsModel {
  private nextId = 1;
  private nextSeq = 1;
  private readonly conversations = new Map<string, StoredConversation>();
  private readonly contacts = new Map<string, Contact>();
  /** task uuid → its creation order and the call uuid it points at (its `third_party_id`), if any. */
  private readonly tasks = new Map<string, { seq: number; callUuid: string | null }>();
  /** session uuid → its creation order and its conversation. */
  private readonly sessions = new Map<string, { seq: number; conversation: string }>();

  has(uuid: string): boolean {
    return this.conversations.has(uuid);
  }

  /** The uuid of the conversation's call, if it has one. */
  callOf(uuid: string): string | null {
    return this.conversations.get(uuid)?.call?.uuid ?? null;
  }

  /** Values a query can name, so that generated queries find something: stored ones. */
  get known() {
    const conversations = [...this.conversations.values()];
    const unique = <T>(values: (T | null | undefined)[]) => [...new Set(values.filter((value): value is T => value != null))];
    return {
      contacts: [...this.contacts.keys()],
      agents: unique(conversations.map((c) => c.agent_uuid)),
      campaigns: unique(conversations.map((c) => c.call?.campaign_uuid)),
      // Every task ever written, linked or not: an unlinked one must find nothing.
      tasks: [...this.tasks.keys()],
      phones: unique([...this.contacts.values()].map((c) => c.phone_number)),
      times: unique(conversations.flatMap((c) => [c.created_at, c.updated_at])),
    };
  }

  present(stored: StoredConversation): Conversation {
    const call = stored.call;
    return {
      uuid: stored.uuid,
      type: stored.type,
      status: stored.status,
      responded_by: stored.responded_by,
      is_simulation: stored.is_simulation,
      timestamp: iso(stored.timestamp),
      created_at: iso(stored.created_at),
      updated_at: iso(stored.updated_at),
      agent_uuid: stored.agent_uuid,
      channel: stored.channel,
      contact: { ...this.contacts.get(stored.contactUuid)! },
      session_uuids: [...this.sessions.entries()]
        .filter(([, session]) => session.conversation === stored.uuid)
        .sort(([, a], [, b]) => a.seq - b.seq)
        .map(([uuid]) => uuid),
      // No call, no campaign and no tasks.
      campaign_uuid: call ? call.campaign_uuid : null,
      listing_uuid: stored.listing_uuid,
      task_uuids: call
        ? [...this.tasks.entries()]
            .filter(([, task]) => task.callUuid === call.uuid)
            .sort(([, a], [, b]) => a.seq - b.seq)
            .map(([uuid]) => uuid)
        : [],
      call: call && {
        uuid: call.uuid,
        direction: call.direction,
        status: call.status,
        duration: call.duration,
        recording_url: call.recording_url,
        handled_by: call.handled_by,
        summary: call.summary,
        timestamp: call.timestamp,
      },
    };
  }

  /**
   * `PUT /api/v1/conversations/{uuid}`: keys left out keep their stored value (or their default on
   * creation), `null` clears, the contact and the call are merged field by field with what is
   * stored under their uuids. The generator never sends a call, session or task of another
   * conversation, nor leaves out `updated_at` (which would then be "now").
   */
  put(uuid: string, body: PutBody): Answer {
    const current = this.conversations.get(uuid);
    const pick = <T>(given: T | undefined, stored: T) => (given === undefined ? stored : given);

    let call = current?.call ?? null;
    if (body.call === null) call = null;
    else if (body.call !== undefined) {
      const stored = current?.call?.uuid === body.call.uuid ? current.call : null;
      const given = body.call;
      call = {
        uuid: given.uuid,
        direction: pick(given.direction, stored?.direction ?? null),
        status: pick(given.status, stored?.status ?? null),
        duration: pick(given.duration, stored?.duration ?? null),
        recording_url: pick(given.recording_url, stored?.recording_url ?? null),
        handled_by: pick(given.handled_by, stored?.handled_by ?? null),
        summary: pick(given.summary, stored?.summary ?? null),
        timestamp: given.timestamp === undefined ? (stored?.timestamp ?? null) : given.timestamp && iso(seconds(given.timestamp)),
        campaign_uuid: stored?.campaign_uuid ?? null,
      };
    }
    // "campaign_uuid and task_uuids hang off the call: giving them without a call is a 422."
    if (!call && body.campaign_uuid) return validationError('campaign_uuid');
    if (!call && body.task_uuids?.length) return validationError('task_uuids');
    if (call && body.campaign_uuid !== undefined) call.campaign_uuid = body.campaign_uuid;

    const contact = this.contacts.get(body.contact.uuid) ?? {
      uuid: body.contact.uuid,
      name: null,
      surname: null,
      phone_number: null,
      email: null,
    };
    this.contacts.set(contact.uuid, {
      uuid: contact.uuid,
      name: pick(body.contact.name, contact.name),
      surname: pick(body.contact.surname, contact.surname),
      phone_number: pick(body.contact.phone_number, contact.phone_number),
      email: pick(body.contact.email, contact.email),
    });

    const createdAt = body.created_at !== undefined ? seconds(body.created_at) : current!.created_at;
    const callTime = call?.timestamp ? seconds(call.timestamp) : null;
    const stored: StoredConversation = {
      id: current?.id ?? this.nextId++,
      uuid,
      type: pick(body.type, current?.type ?? 'Real'),
      status: pick(body.status, current?.status ?? 'Active'),
      responded_by: pick(body.responded_by, current?.responded_by ?? null),
      is_simulation: pick(body.is_simulation, current?.is_simulation ?? false),
      // "timestamp: the later of created_at and the call's time" when neither given nor stored.
      timestamp:
        body.timestamp !== undefined
          ? seconds(body.timestamp)
          : (current?.timestamp ?? (callTime !== null && callTime > createdAt ? callTime : createdAt)),
      created_at: createdAt,
      updated_at: seconds(body.updated_at!),
      agent_uuid: pick(body.agent_uuid, current?.agent_uuid ?? null),
      channel: body.channel,
      contactUuid: body.contact.uuid,
      listing_uuid: pick(body.listing_uuid, current?.listing_uuid ?? null),
      call,
    };
    this.conversations.set(uuid, stored);

    if (call && body.task_uuids !== undefined) {
      for (const task of this.tasks.values()) if (task.callUuid === call.uuid) task.callUuid = null;
      for (const task of body.task_uuids) {
        const known = this.tasks.get(task);
        if (known) known.callUuid = call.uuid;
        else this.tasks.set(task, { seq: this.nextSeq++, callUuid: call.uuid });
      }
    }
    if (body.session_uuids !== undefined) {
      for (const [session, owner] of this.sessions) {
        if (owner.conversation === uuid && !body.session_uuids.includes(session)) this.sessions.delete(session);
      }
      for (const session of body.session_uuids) {
        if (!this.sessions.has(session)) this.sessions.set(session, { seq: this.nextSeq++, conversation: uuid });
      }
    }
    return { status: current ? 200 : 201, body: { success: true, message: expect.any(String), data: this.present(stored) } };
  }

  /** `GET /api/v1/conversations/{uuid}`: the very object the list shows, or 404 outside the workspace. */
  detail(uuid: string): Answer {
    const stored = this.conversations.get(uuid.toLowerCase());
    if (!stored)
      return {
        status: 404,
        body: { success: false, message: expect.any(String), error: { code: 'NOT_FOUND', details: expect.any(String) } },
      };
    return { status: 200, body: { success: true, message: 'Conversation retrieved successfully', data: this.present(stored) } };
  }

  /** Every conversation's uuid, in creation order. */
  get uuids(): string[] {
    return [...this.conversations.keys()];
  }

  /** The query's meaning, or the fields a 422 may name (any of them: the contract does not order the checks). */
  private parse(query: ListQuery): ParsedQuery | { invalid: string[] } {
    const invalid: string[] = [];
    const tests: ((c: StoredConversation) => boolean)[] = [];
    const check = <T>(name: string, value: T | null | false): value is T => {
      if (value === null || value === false) invalid.push(name);
      return value !== null && value !== false;
    };
    const q = (name: string) => query[name];

    const page = q('page') === undefined ? 1 : decimal(q('page')!, 1, 2_147_483_647);
    const perPage = q('per_page') === undefined ? 15 : decimal(q('per_page')!, 1, 100);
    check('page', page);
    check('per_page', perPage);

    const phone = q('phone');
    if (phone !== undefined && check('phone', [...phone].length >= 1 && [...phone].length <= 32 && hasDigit(normalisePhone(phone)))) {
      tests.push((c) => phoneMatches(this.contacts.get(c.contactUuid)!.phone_number, phone));
    }
    const uuidFilter = (name: string, test: (c: StoredConversation, uuid: string) => boolean) => {
      const value = q(name);
      if (value !== undefined && check(name, UUID.test(value))) tests.push((c) => test(c, value.toLowerCase()));
    };
    uuidFilter('contact_uuid', (c, uuid) => c.contactUuid === uuid);
    uuidFilter('campaign_uuid', (c, uuid) => c.call !== null && c.call.campaign_uuid === uuid);
    // "conversations whose call's uuid equals that task's third_party_id"
    uuidFilter('task_uuid', (c, uuid) => {
      const callUuid = this.tasks.get(uuid)?.callUuid;
      return callUuid != null && c.call?.uuid === callUuid;
    });
    const agents = q('agent_uuid')?.split(',');
    if (
      agents &&
      check(
        'agent_uuid',
        agents.every((agent) => UUID.test(agent)),
      )
    ) {
      const wanted = new Set(agents.map((agent) => agent.toLowerCase()));
      tests.push((c) => c.agent_uuid !== null && wanted.has(c.agent_uuid));
    }
    for (const [name, allowed, key] of [
      ['channel', CHANNELS, 'channel'],
      ['status', STATUSES, 'status'],
    ] as const) {
      const value = q(name);
      if (value === undefined) continue;
      const wanted = enumList(value, allowed);
      if (check(name, wanted)) tests.push((c) => wanted.has(c[key]));
    }
    // Bounds are instants: a stored second is inside when it is at or past (at or before) the bound itself.
    for (const [name, key, inside] of [
      ['created_from', 'created_at', (stored: number, bound: number) => stored >= bound],
      ['created_to', 'created_at', (stored: number, bound: number) => stored <= bound],
      ['updated_since', 'updated_at', (stored: number, bound: number) => stored >= bound],
    ] as const) {
      const value = q(name);
      if (value !== undefined && check(name, isDateTime(value))) {
        const bound = Date.parse(value);
        tests.push((c) => inside(c[key] * 1000, bound));
      }
    }
    const sortBy = q('sort_by') ?? 'created_at';
    const sortDir = q('sort_dir') ?? 'desc';
    check('sort_by', sortBy === 'created_at' || sortBy === 'updated_at');
    check('sort_dir', sortDir === 'asc' || sortDir === 'desc');

    if (invalid.length > 0) return { invalid };
    return {
      page: page!,
      perPage: perPage!,
      sortBy: sortBy as ParsedQuery['sortBy'],
      sortDir: sortDir as ParsedQuery['sortDir'],
      match: (c) => tests.every((test) => test(c)),
    };
  }

  /** Every match, in the list's order: the sort key, then creation order, both in the asked direction. */
  private matches(parsed: ParsedQuery): StoredConversation[] {
    const sign = parsed.sortDir === 'asc' ? 1 : -1;
    return [...this.conversations.values()]
      .filter(parsed.match)
      .sort((a, b) => sign * (a[parsed.sortBy] - b[parsed.sortBy] || a.id - b.id));
  }

  /** `GET /api/v1/conversations` with page paging (no `cursor`). */
  list(query: ListQuery): Answer {
    const parsed = this.parse(query);
    if ('invalid' in parsed) return validationError(parsed.invalid);
    const all = this.matches(parsed);
    const start = (parsed.page - 1) * parsed.perPage;
    return {
      status: 200,
      body: {
        success: true,
        message: LIST_MESSAGE,
        data: {
          current_page: parsed.page,
          data: all.slice(start, start + parsed.perPage).map((c) => this.present(c)),
          per_page: parsed.perPage,
          total: all.length,
          last_page: Math.max(1, Math.ceil(all.length / parsed.perPage)),
        },
      },
    };
  }

  /**
   * Page `index` (0 first) of a cursor walk: the same order cut into `per_page` slices;
   * `next_cursor` is a string exactly when rows remain (its text is Parley's business).
   */
  cursorPage(query: ListQuery, index: number): Answer {
    const parsed = this.parse(query);
    if ('invalid' in parsed) return validationError(parsed.invalid);
    const all = this.matches(parsed);
    const start = index * parsed.perPage;
    return {
      status: 200,
      body: {
        success: true,
        message: LIST_MESSAGE,
        data: {
          data: all.slice(start, start + parsed.perPage).map((c) => this.present(c)),
          per_page: parsed.perPage,
          total: all.length,
          next_cursor: start + parsed.perPage < all.length ? expect.any(String) : null,
        },
      },
    };
  }
}

/** The one error envelope of a 422; `field` must be one of `fields`. */
function validationError(fields: string | string[]): Answer {
  const names = typeof fields === 'string' ? [fields] : fields;
  return {
    status: 422,
    body: {
      success: false,
      message: 'The given data was invalid',
      error: { code: 'VALIDATION_ERROR', details: expect.any(String), field: expect.toBeOneOf(names) },
    },
  };
}
