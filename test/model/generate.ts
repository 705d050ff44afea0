/**
 * fast-check arbitraries for random workspaces and random list queries. A plan holds indices and
 * choices, not uuids: uuids come from the plan's salt, and a query's "pick" is resolved against
 * what the model holds when it runs, so a shrunk workspace still gets meaningful queries.
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { CALL_STATUSES, CHANNELS, DIRECTIONS, RESPONDERS, STATUSES, TYPES, type ListQuery, type PutBody } from './conversations.js';
import { normalisePhone } from './phone.js';

/** A uuid that depends on the plan's salt, its kind and its index, and on nothing else (so not on creation order). */
export function uuidOf(salt: number, kind: string, index: number): string {
  const hex = createHash('sha256').update(`${salt}:${kind}:${index}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

// ---------------------------------------------------------------------------------------------
// Times: few distinct instants, so that created_at and updated_at tie often, written in several
// RFC 3339 spellings of the same second (offsets, fractions that are dropped on storing).

const BASE = Date.UTC(2024, 2, 1, 10, 0, 0);
const SLOT_OFFSETS = [0, 1, 2, 59, 60, 61, 3_600, 3_601, 86_400, 31_536_000];

/** One instant (milliseconds) in one spelling. */
export function spell(ms: number, format: number): string {
  const at = (offsetMinutes: number) => {
    const local = new Date(ms + offsetMinutes * 60_000).toISOString();
    const sign = offsetMinutes < 0 ? '-' : '+';
    const abs = Math.abs(offsetMinutes);
    const offset = `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
    return { date: local.slice(0, 19), fraction: local.slice(19, 23), offset };
  };
  switch (format % 6) {
    case 0: {
      const { date, fraction } = at(0);
      return fraction === '.000' ? `${date}Z` : `${date}${fraction}Z`;
    }
    case 1:
      return `${at(0).date}${at(0).fraction}Z`;
    case 2: {
      const { date, fraction, offset } = at(120);
      return `${date}${fraction}${offset}`;
    }
    case 3: {
      const { date, fraction, offset } = at(-330);
      return `${date}${fraction}${offset}`;
    }
    case 4: {
      const { date, fraction, offset } = at(0);
      return `${date}${fraction}${offset}`;
    }
    default: {
      const { date, fraction, offset } = at(-60);
      return `${date}${fraction === '.000' ? '' : fraction}${offset}`;
    }
  }
}

interface TimeSpec {
  slot: number;
  /** Added milliseconds: 0 or a fraction of a second, which storing drops. */
  fraction: number;
  format: number;
}

const timeSpec: fc.Arbitrary<TimeSpec> = fc.record({
  slot: fc.nat(SLOT_OFFSETS.length - 1),
  fraction: fc.constantFrom(0, 0, 0, 1, 500, 999),
  format: fc.nat(5),
});

const timeOf = (spec: TimeSpec) => spell(BASE + SLOT_OFFSETS[spec.slot]! * 1000 + spec.fraction, spec.format);

// ---------------------------------------------------------------------------------------------
// Free text and phone numbers.

const NAMES = [
  'Ayşe',
  'محمد',
  'שָׁלוֹם',
  '张伟',
  'Zoë',
  'Zoe\u0308',
  '👩‍👩‍👧‍👦',
  ' ',
  "O'Brien",
  'Robert"); DROP TABLE contacts;--',
  '%_\\',
  '\u202eevil',
  'a\tb\nc',
  'ǅ',
];

/** A free-text value: null, empty, a hand-picked awkward one or any well-formed Unicode without U+0000. */
const text: fc.Arbitrary<string | null> = fc.oneof(
  fc.constant(null),
  fc.constant(''),
  fc.constantFrom(...NAMES),
  fc.string({ unit: 'grapheme', maxLength: 12 }),
  // U+0000 and half surrogates are refused by design (test/hostile-input.test.ts): the model writes only what is stored.
  fc.string({ unit: 'binary', maxLength: 12 }).filter((value) => !value.includes('\u0000') && !/[\ud800-\udfff]/u.test(value)),
);

interface PhoneSpec {
  country: string;
  groups: string[];
  style: number;
  extension: string;
}

const digits = (min: number, max: number) => fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: min, maxLength: max });

/** Spellings people and systems really store, plus `%`, `_`, `\`, `*`, `?`, `[` that a LIKE or GLOB would misread and FTS5's `"`, `^`, `:`, OR, NEAR. */
export function formatPhone({ country, groups, style, extension }: PhoneSpec): string {
  const national = groups.join('');
  switch (style % 13) {
    case 0:
      return `+${country}${national}`;
    case 1:
      return `+${country} ${groups.join(' ')}`;
    case 2:
      return `(${groups[0]}) ${groups.slice(1).join('-')}`;
    case 3:
      return `00${country}-${groups.join('-')}`;
    case 4:
      return `00${country}.${groups.join('.')}`;
    case 5:
      return `(+${country}) ${groups.join(' ')}`;
    case 6:
      return `  +${country} ${groups.join(' ')} `;
    case 7:
      return `+${country} ${groups.join(' ')} x${extension}`;
    case 8:
      return `+${country} (${groups[0]}) ${groups.slice(1).join('_')}%${extension}`;
    case 9:
      return `*${country}#${groups.join('\\')}*`;
    case 10:
      return `${country}?[${groups.join('][')}]`;
    case 11:
      return `tel:${country} "${groups[0]}" OR NEAR(${groups.slice(1).join('^')})*`;
    default:
      // Arabic-Indic digits, which are not ASCII digits, around an ASCII group.
      return `+${country} ${[...groups.join(' ')].map((c) => (/[0-9]/.test(c) ? String.fromCharCode(0x660 + Number(c)) : c)).join('')} ${extension}`;
  }
}

const phone: fc.Arbitrary<string | null> = fc.oneof(
  { weight: 1, arbitrary: fc.constant(null) },
  { weight: 1, arbitrary: fc.constant('') },
  {
    weight: 8,
    arbitrary: fc
      .record({
        country: digits(1, 3),
        groups: fc.array(digits(2, 4), { minLength: 2, maxLength: 4 }),
        style: fc.nat(12),
        extension: digits(1, 3),
      })
      .map(formatPhone),
  },
);

// ---------------------------------------------------------------------------------------------
// Workspaces: conversations created in a random order, then updates at random points.

const OMIT = Symbol('omit');
type Maybe<T> = T | typeof OMIT;
/** The value, or (one time in `1 / omitRate`) the key left out of the body. */
const maybe = <T>(arbitrary: fc.Arbitrary<T>, omitRate: number): fc.Arbitrary<Maybe<T>> =>
  fc.oneof({ weight: omitRate, arbitrary: fc.constant(OMIT) }, { weight: 10 - omitRate, arbitrary });

const nullable = <T>(arbitrary: fc.Arbitrary<T>) => fc.option(arbitrary, { nil: null, freq: 4 });

function bodySpec(omitRate: number) {
  return fc.record({
    type: maybe(fc.constantFrom(...TYPES), omitRate),
    status: maybe(fc.constantFrom(...STATUSES), omitRate),
    responded_by: maybe(nullable(fc.constantFrom(...RESPONDERS)), omitRate),
    is_simulation: maybe(fc.boolean(), omitRate),
    timestamp: maybe(timeSpec, 4),
    created_at: maybe(timeSpec, omitRate),
    updated_at: timeSpec,
    agent: maybe(nullable(fc.nat()), omitRate),
    channel: fc.constantFrom(...CHANNELS),
    contact: fc.record({
      pick: fc.nat(),
      name: maybe(text, omitRate),
      surname: maybe(text, omitRate),
      phone_number: maybe(phone, omitRate),
      email: maybe(text, omitRate),
    }),
    sessions: maybe(fc.shuffledSubarray([0, 1, 2, 3]), omitRate),
    campaign: maybe(nullable(fc.nat()), omitRate),
    listing: maybe(nullable(fc.nat()), omitRate),
    tasks: maybe(fc.shuffledSubarray([0, 1, 2]), omitRate),
    call: maybe(
      nullable(
        fc.record({
          pick: fc.nat(1),
          direction: maybe(nullable(fc.constantFrom(...DIRECTIONS)), omitRate),
          status: maybe(nullable(fc.constantFrom(...CALL_STATUSES)), omitRate),
          duration: maybe(nullable(fc.oneof(fc.nat(600), fc.constant(0), fc.constant(2_147_483_647))), omitRate),
          recording_url: maybe(text, omitRate),
          handled_by: maybe(nullable(fc.constantFrom(...RESPONDERS)), omitRate),
          summary: maybe(text, omitRate),
          timestamp: maybe(nullable(timeSpec), omitRate),
        }),
      ),
      omitRate,
    ),
    /** Keep a campaign or tasks even without a call: the contract's 422. Rare, so that most writes land. */
    stray: fc.nat(14).map((n) => n === 0),
  });
}

export type BodySpec = ReturnType<typeof bodySpec> extends fc.Arbitrary<infer T> ? T : never;

export interface WorkspacePlan {
  salt: number;
  contacts: number;
  agents: number;
  campaigns: number;
  listings: number;
  creations: BodySpec[];
  updates: { conversation: number; after: number; body: BodySpec }[];
  queries: QueryRecipe[];
}

// ---------------------------------------------------------------------------------------------
// Queries: recipes resolved against the model's values when they run.

const FILTERS = [
  'phone',
  'phone',
  'phone',
  'contact_uuid',
  'agent_uuid',
  'campaign_uuid',
  'task_uuid',
  'channel',
  'status',
  'created_from',
  'created_to',
  'updated_since',
] as const;

export interface FilterRecipe {
  name: (typeof FILTERS)[number];
  existing: boolean;
  pick: number;
  variant: number;
  bits: number;
  count: number;
}

const filterRecipe: fc.Arbitrary<FilterRecipe> = fc.record({
  name: fc.constantFrom(...FILTERS),
  // Mostly values that exist, sometimes well-formed ones that do not.
  existing: fc.nat(3).map((n) => n > 0),
  pick: fc.nat(),
  variant: fc.nat(),
  bits: fc.nat(),
  count: fc.integer({ min: 1, max: 3 }),
});

/** Values the contract rejects, one parameter at a time. */
export const INVALID: [string, string][] = [
  ['per_page', '0'],
  ['per_page', '101'],
  ['per_page', '-1'],
  ['per_page', '1.5'],
  ['per_page', ''],
  ['page', '0'],
  ['page', '-3'],
  ['page', '2.5'],
  ['page', 'two'],
  ['phone', ''],
  ['phone', 'abc'],
  ['phone', '+-().'],
  ['phone', '1'.repeat(33)],
  ['phone', '%_'],
  ['contact_uuid', 'not-a-uuid'],
  ['campaign_uuid', ''],
  ['task_uuid', '3c90c3cc-0d44-4b50-8888-8dd25736052'],
  ['agent_uuid', '3c90c3cc-0d44-4b50-8888-8dd25736052a,'],
  ['channel', 'telegram'],
  ['channel', 'sms,'],
  ['status', 'open'],
  ['status', ''],
  ['created_from', 'yesterday'],
  ['created_to', '2024-02-30T00:00:00Z'],
  ['updated_since', '2024-03-01'],
  ['sort_by', 'name'],
  ['sort_dir', 'up'],
];

export interface QueryRecipe {
  filters: FilterRecipe[];
  sortBy: 'created_at' | 'updated_at' | undefined;
  sortDir: 'asc' | 'desc' | undefined;
  perPage: number | undefined;
  /** Which page, relative to the last one: inside, just past, or far past the end. */
  page: { mode: 'omit' | 'inside' | 'past' | 'far'; n: number };
  cursor: boolean;
  invalid: number | undefined;
  unknown: boolean;
}

export const queryRecipe: fc.Arbitrary<QueryRecipe> = fc.record({
  filters: fc.array(filterRecipe, { maxLength: 3 }),
  sortBy: fc.constantFrom(undefined, 'created_at', 'updated_at'),
  sortDir: fc.constantFrom(undefined, 'asc', 'desc'),
  perPage: fc.oneof(
    fc.constant(undefined),
    fc.integer({ min: 1, max: 7 }),
    fc.constantFrom(1, 2, 15, 100),
    fc.integer({ min: 1, max: 100 }),
  ),
  page: fc.record({ mode: fc.constantFrom('omit', 'inside', 'inside', 'inside', 'past', 'far'), n: fc.nat() }),
  cursor: fc.nat(7).map((n) => n === 0),
  // One query in ten carries one malformed parameter.
  invalid: fc.oneof({ weight: 9, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.nat(INVALID.length - 1) }),
  unknown: fc.nat(9).map((n) => n === 0),
});

export function workspacePlan(queriesPerWorkspace: number): fc.Arbitrary<WorkspacePlan> {
  return fc.record({
    salt: fc.nat(),
    contacts: fc.integer({ min: 1, max: 40 }),
    agents: fc.integer({ min: 1, max: 6 }),
    campaigns: fc.integer({ min: 1, max: 4 }),
    listings: fc.integer({ min: 1, max: 3 }),
    // Mostly small workspaces, a few of up to 60 conversations.
    creations: fc.oneof(
      { weight: 3, arbitrary: fc.array(bodySpec(1), { maxLength: 20 }) },
      { weight: 1, arbitrary: fc.array(bodySpec(1), { minLength: 20, maxLength: 60 }) },
    ),
    updates: fc.array(fc.record({ conversation: fc.nat(), after: fc.nat(), body: bodySpec(5) }), { maxLength: 12 }),
    queries: fc.array(queryRecipe, { minLength: queriesPerWorkspace, maxLength: queriesPerWorkspace }),
  });
}

/** The writes of a plan in order: each creation, and each update right after (or some time after) its conversation's creation. */
export function writesOf(plan: WorkspacePlan): { conversation: number; body: BodySpec }[] {
  const writes: { conversation: number; body: BodySpec }[] = plan.creations.map((body, conversation) => ({ conversation, body }));
  if (plan.creations.length === 0) return writes;
  for (const update of plan.updates) {
    const conversation = update.conversation % plan.creations.length;
    const created = writes.findIndex((write) => write.conversation === conversation);
    const position = created + 1 + (update.after % (writes.length - created));
    writes.splice(position, 0, { conversation, body: update.body });
  }
  return writes;
}

/**
 * The JSON body for a spec. `currentCall` is the uuid of the conversation's call as the model
 * holds it (to know whether the body leaves it with one, and which call its tasks hang off);
 * `exists` whether the conversation is already there (a creation always names its created_at,
 * which would otherwise be "now").
 */
export function bodyOf(plan: WorkspacePlan, conversation: number, spec: BodySpec, exists: boolean, currentCall: string | null): PutBody {
  const body: Record<string, unknown> = {};
  const set = <T>(key: string, value: Maybe<T>, map: (value: T) => unknown = (v) => v) => {
    if (value !== OMIT) body[key] = map(value);
  };
  const salt = plan.salt;
  set('type', spec.type);
  set('status', spec.status);
  set('responded_by', spec.responded_by);
  set('is_simulation', spec.is_simulation);
  set('timestamp', spec.timestamp, timeOf);
  set('created_at', spec.created_at === OMIT && !exists ? spec.updated_at : spec.created_at, timeOf);
  set('updated_at', spec.updated_at, timeOf);
  set('agent_uuid', spec.agent, (n) => (n === null ? null : uuidOf(salt, 'agent', n % plan.agents)));
  body.channel = spec.channel;
  const contact: Record<string, unknown> = { uuid: uuidOf(salt, 'contact', spec.contact.pick % plan.contacts) };
  for (const key of ['name', 'surname', 'phone_number', 'email'] as const) if (spec.contact[key] !== OMIT) contact[key] = spec.contact[key];
  body.contact = contact;
  set('session_uuids', spec.sessions, (list) => list.map((k) => uuidOf(salt, 'session', conversation * 4 + k)));
  set('listing_uuid', spec.listing, (n) => (n === null ? null : uuidOf(salt, 'listing', n % plan.listings)));

  let call = currentCall;
  if (spec.call === null) {
    body.call = null;
    call = null;
  } else if (spec.call !== OMIT) {
    const given: Record<string, unknown> = { uuid: uuidOf(salt, 'call', conversation * 2 + spec.call.pick) };
    for (const key of ['direction', 'status', 'duration', 'recording_url', 'handled_by', 'summary'] as const) {
      if (spec.call[key] !== OMIT) given[key] = spec.call[key];
    }
    if (spec.call.timestamp !== OMIT) given.timestamp = spec.call.timestamp === null ? null : timeOf(spec.call.timestamp);
    body.call = given;
    call = given.uuid as string;
  }
  // Without a call, a campaign or tasks are the contract's 422: sent so only when `stray`.
  if (call !== null || spec.stray) {
    set('campaign_uuid', spec.campaign, (n) => (n === null ? null : uuidOf(salt, 'campaign', n % plan.campaigns)));
    // A task belongs to one call for good (its uuid derives from the call's), so no write is a 409.
    const owner = call ?? uuidOf(salt, 'call', conversation * 2);
    set('task_uuids', spec.tasks, (list) => list.map((k) => uuidOf(salt, `task-of-${owner}`, k)));
  }
  return body as PutBody;
}

/** The filters, sort and page size of a recipe, from the values the model holds now (the page is chosen once the total is known). */
export function resolveFilters(recipe: QueryRecipe, salt: number, known: KnownValues): ListQuery {
  const query: ListQuery = {};
  for (const filter of recipe.filters) {
    const value = filterValue(filter, salt, known);
    if (value !== undefined) query[filter.name] = value;
  }
  if (recipe.sortBy) query.sort_by = recipe.sortBy;
  if (recipe.sortDir) query.sort_dir = recipe.sortDir;
  if (recipe.perPage !== undefined) query.per_page = String(recipe.perPage);
  if (recipe.unknown) query.include = 'everything';
  return query;
}

export interface KnownValues {
  contacts: string[];
  agents: string[];
  campaigns: string[];
  tasks: string[];
  phones: string[];
  times: number[];
}

const choose = <T>(values: T[], pick: number): T | undefined => (values.length === 0 ? undefined : values[pick % values.length]);
const bit = (bits: number, n: number) => ((bits >>> n) & 1) === 1;

function filterValue(filter: FilterRecipe, salt: number, known: KnownValues): string | undefined {
  const { existing, pick, variant, bits } = filter;
  const uuid = (values: string[], kind: string, offset = 0) => {
    const value = (existing ? choose(values, pick + offset) : undefined) ?? uuidOf(salt, `absent-${kind}`, pick + offset);
    // UUIDs are case-insensitive: the filters must be too.
    return bit(bits, offset) ? value.toUpperCase() : value;
  };
  switch (filter.name) {
    case 'phone':
      return phoneFragment(existing ? choose(known.phones, pick) : undefined, variant, bits, pick);
    case 'contact_uuid':
      return uuid(known.contacts, 'contact');
    case 'campaign_uuid':
      return uuid(known.campaigns, 'campaign');
    case 'task_uuid':
      return uuid(known.tasks, 'task');
    case 'agent_uuid':
      return Array.from({ length: filter.count }, (_, k) => uuid(known.agents, 'agent', k)).join(',');
    case 'channel':
    case 'status': {
      const names: readonly string[] = filter.name === 'channel' ? CHANNELS : STATUSES;
      // Any case: whatsapp, WHATSAPP, wHaTsApP.
      const spelling = (name: string, k: number) =>
        [...name].map((c, i) => ((variant >>> ((i + k * 3) % 30)) & 1 ? c.toUpperCase() : c.toLowerCase())).join('');
      return Array.from({ length: filter.count }, (_, k) => spelling(names[(pick + k * 5) % names.length]!, k)).join(',');
    }
    default: {
      // A stored instant, or a slot, nudged by a second or half of one, in one of the spellings.
      const seconds = (existing ? choose(known.times, pick) : undefined) ?? BASE / 1000 + SLOT_OFFSETS[pick % SLOT_OFFSETS.length]!;
      const nudge = [0, 0, -1000, 1000, 500, -500][variant % 6]!;
      return spell(seconds * 1000 + nudge, bits);
    }
  }
}

/**
 * A fragment of a stored number, re-spelled: its normalised text cut somewhere, with separators
 * put back between some characters and maybe a leading `+`, `(+` or spaces. Without a stored
 * number, a few digits that may match nothing.
 */
export function phoneFragment(stored: string | undefined, variant: number, bits: number, pick: number): string {
  const normalised = stored === undefined ? '' : normalisePhone(stored);
  if (normalised.length === 0) return String(pick % 100_000);
  const chars = [...normalised];
  const start = variant % chars.length;
  const end = start + 1 + ((variant >>> 8) % (chars.length - start));
  const separators = [' ', '-', '(', ')', '.'];
  let fragment = chars
    .slice(start, end)
    .map((c, i) => (bit(bits, i % 24) && i > 0 ? separators[(bits >>> (i % 5)) % separators.length]! : '') + c)
    .join('');
  // Bait for a LIKE or GLOB that forgot to escape: a character swapped for what would be a wildcard there.
  if (bit(bits, 29) && chars.length > 1) {
    const at = (variant >>> 16) % fragment.length;
    const bait = ['_', '%', '?', '*', `[${fragment[at]}]`, '\\'][(variant >>> 20) % 6]!;
    fragment = fragment.slice(0, at) + bait + fragment.slice(at + 1);
  }
  switch ((bits >>> 26) % 6) {
    case 1:
      fragment = `+${fragment}`;
      break;
    case 2:
      // "(+44) 20": the `+` leads once the ignored `(` is ignored.
      fragment = `(+${fragment.replace(/^\(/, '')}`;
      break;
    case 3:
      fragment = `  ${fragment} `;
      break;
  }
  // Most fragments are short enough to be valid; a long one is the contract's 422 (at most 32 characters).
  return [...fragment].length > 32 && bit(bits, 25) ? chars.slice(start, end).join('') : fragment;
}
