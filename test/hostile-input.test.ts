import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { beforeAll, beforeEach, expect, it } from 'vitest';
import { ERROR_STATUS } from '../src/http/errors.js';
import { servedRoutes } from './helpers/routes.js';
import { describeEachDialect, type TestWorkspace } from './helpers/app.js';
import { conversationBody } from './helpers/fixtures.js';

/**
 * Hostile input on every endpoint, parameter, path and body field, hand-written and generated:
 * each answer is a 2xx where the input is in fact valid (and then stored and returned exactly) or a
 * 4xx in the one error envelope, never a 5xx, never SQL, a stack or a file path; a rejected write
 * changes nothing. Endpoints, parameters and body fields are read from `/openapi.json`, so a new one
 * is attacked without editing this file (or, for a body with no valid base here, named in a failure).
 * What is valid is judged from the published schema and the contract, never from Parley's code.
 *
 * Each run prints its seed; `FC_SEED=<seed>` repeats the generated cases, `FC_HOSTILE_RUNS` sets how many per property.
 */

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- a JSON document walked by key
type Verdict = 'accept' | 'reject' | 'either';

const SEED = process.env.FC_SEED !== undefined ? Number(process.env.FC_SEED) : Math.floor(Math.random() * 2 ** 31);
const GENERATED_RUNS = Number(process.env.FC_HOSTILE_RUNS ?? 120);

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;
const UNPAIRED_SURROGATE = /[\ud800-\udfff]/u;
/** What no error may show: SQL, driver and library names, stack frames, source paths. */
const LEAK =
  /\bselect\s|\binsert\s+into\b|syntax error|sqlite|postgres|relation "|kysely|\n\s+at |\bat \S+ \(|node_modules|\/work\/|\.ts:\d/i;
/** What no answer may show, even one that echoes stored hostile text: stack frames and source paths. */
const LEAK_ANYWHERE = /\n {4}at |node_modules\/|\/work\/|\.ts:\d+:\d+/;

/** Hostile text: injections, wildcards, markup, bidi, emoji, combining marks, controls, U+0000, half surrogates, numbers as text, huge. */
const HOSTILE_STRINGS: string[] = [
  '',
  ' ',
  '  padded  ',
  "' OR 1=1 --",
  "1' OR '1'='1",
  "'; DROP TABLE conversations; --",
  '1); select pg_sleep(5); --',
  '" OR ""="',
  "\\'; --",
  '%',
  '_',
  '\\',
  '%_\\',
  '*',
  '?',
  '[0-9]',
  '^$.|()+{}',
  '${jndi:ldap://example.com/a}',
  '{{7*7}}',
  '<script>alert(1)</script>',
  '../../etc/passwd',
  'C:\\Windows\\win.ini',
  '\u202e\u0645\u0631\u062d\u0628\u0627',
  '👩‍👩‍👧‍👦',
  'e\u0301\u0301\u0301',
  'Z̵̡̢a̷l̸g̶o̴',
  '\ufeff',
  '\uffff',
  '𝟘𝟙𝟚',
  '٥٣٢',
  '５３２',
  '\u0000',
  'a\u0000b',
  '\u0001\u0007\u001b[31m\u007f',
  '\r\n',
  '\t',
  '\u2028\u2029',
  '\ud800',
  'a\udfffb',
  'null',
  'undefined',
  'NaN',
  'Infinity',
  '1e309',
  '99999999999999999999',
  '-1',
  '-0',
  '0',
  '1.5',
  '1e2',
  '0x10',
  'true',
  '[]',
  '{}',
  '__proto__',
  'x'.repeat(100_000),
  '😀'.repeat(10_001),
];

/**
 * Injections that hold a digit (so a phone filter takes them) yet match no stored number: each must find nothing. Next to a
 * real fragment (0958, 44) stand LIKE and GLOB wildcards and FTS5's syntax (prefix `*`, `^` start, column filter, OR, NEAR).
 */
const INJECTIONS = [
  "' OR 1=1 -- 1",
  "1' OR '1'='1",
  '1); select pg_sleep(5); --',
  '1%',
  '%1%',
  '_0',
  '0_',
  '1*',
  '[0-9]',
  '1\\',
  '0 OR 1=1',
  '0958*',
  '095_',
  '09%8',
  '^44',
  'phone_digits:44',
  '44" OR "0958',
  '44 OR 0958',
  'NEAR(44 20)',
  '"0958"',
  '{phone_digits}:44',
];

/** A JSON token that JavaScript cannot write as itself (1e309) or would rewrite (-0, 1.0): sent as raw text. */
class Raw {
  constructor(
    readonly text: string,
    readonly value: unknown,
  ) {}
}
const RAW_NUMBERS = [
  new Raw('1e309', Infinity),
  new Raw('-1e309', -Infinity),
  new Raw('99999999999999999999', 1e20),
  new Raw('9007199254740993', 9007199254740992),
  new Raw('2147483648', 2147483648),
  new Raw('1e-400', 0),
  new Raw('-0', -0),
  new Raw('1.0', 1),
  new Raw('1e2', 100),
];
const OMIT = Symbol('omit');

/** Any JSON type where another is expected. */
const WRONG_TYPES: unknown[] = [true, false, null, 0, -1, 1.5, 2147483647, [], [1], ['x'], {}, { a: 1 }, 'text', '', OMIT, ...RAW_NUMBERS];

const fresh = () => randomUUID();
const UUID_LIKE = () => [
  fresh(),
  fresh().toUpperCase(),
  'not-a-uuid',
  '3c90c3cc-0d44-4b50-8888-8dd25736052',
  '3c90c3cc0d444b5088888dd25736052a',
  '{3c90c3cc-0d44-4b50-8888-8dd25736052a}',
  'urn:uuid:3c90c3cc-0d44-4b50-8888-8dd25736052a',
  ` ${fresh()}`,
  `${fresh()}\u0000`,
  '３c90c3cc-0d44-4b50-8888-8dd25736052a',
];
const DATES = [
  '2024-03-01T10:00:00Z',
  '2024-03-01T10:00:00.123456789Z',
  '2024-03-01T10:00:00+14:00',
  '2024-03-01t10:00:00z',
  '2024-12-31T23:59:60Z',
  '0000-01-01T00:00:00Z',
  '9999-12-31T23:59:59Z',
  '9999-12-31T23:59:59-23:59',
  '+002024-03-01T10:00:00Z',
  '2024-02-30T00:00:00Z',
  '2024-03-01T24:00:00Z',
  '2024-03-01',
  '1709287200',
  'yesterday',
];

// ---------------------------------------------------------------------------------------------
// Judging from the published schema and the contract.

const RFC3339 = /^(\d{4})-(\d\d)-(\d\d)[Tt](\d\d):(\d\d):(\d\d)(\.\d+)?([Zz]|[+-](\d\d):(\d\d))$/;

/** Plainly valid (UTC-ish, 1970–2100, upper-case `T`/`Z`), plainly not a date-time, or a corner the contract leaves open. */
function judgeDate(value: string): Verdict {
  const match = RFC3339.exec(value);
  if (!match) return 'reject';
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as number[];
  const days = new Date(Date.UTC(year!, month!, 0)).getUTCDate();
  if (month! < 1 || month! > 12 || day! < 1 || day! > days || hour! > 23 || minute! > 59 || second! > 60) return 'reject';
  if (match[9] !== undefined && (Number(match[9]) > 23 || Number(match[10]) > 59)) return 'reject';
  const plain = /[T]/.test(value) && !/[tz]/.test(value) && second! < 60 && year! >= 1970 && year! <= 2100;
  return plain ? 'accept' : 'either';
}

const worst = (verdicts: Verdict[]): Verdict =>
  verdicts.includes('reject') ? 'reject' : verdicts.includes('either') ? 'either' : 'accept';

const storable = (value: string) => !value.includes('\u0000') && !UNPAIRED_SURROGATE.test(value);

/** A query parameter's value against its documented schema. */
function judgeQuery(route: string, name: string, schema: Json, value: string): Verdict {
  if (value.includes('\u0000')) return 'reject';
  if (schema.type === 'integer') {
    const inRange = (n: number) => n >= (schema.minimum ?? -Infinity) && n <= (schema.maximum ?? Infinity);
    if (/^\d+$/.test(value)) return inRange(Number(value)) ? 'accept' : 'reject';
    return /^\s*[+-]?\d+\s*$/.test(value) && inRange(Number(value)) ? 'either' : 'reject';
  }
  const named = (allowed: string[], item: string) => allowed.some((v) => v.toLowerCase() === item.toLowerCase());
  if (schema['x-values']) {
    const items = value.split(',');
    if (items.every((item) => named(schema['x-values'], item))) return 'accept';
    return items.every((item) => named(schema['x-values'], item.trim())) ? 'either' : 'reject';
  }
  if (schema.enum) {
    if (schema.enum.includes(value) || (schema['x-case-insensitive'] && named(schema.enum, value))) return 'accept';
    return named(schema.enum, value) ? 'either' : 'reject';
  }
  if (schema.format === 'uuid') return UUID.test(value) ? 'accept' : 'reject';
  if (schema.format === 'date-time') return judgeDate(value);
  const length = [...value].length;
  if (length < (schema.minLength ?? 0) || length > (schema.maxLength ?? Infinity)) return 'reject';
  if (schema.pattern) return new RegExp(schema.pattern).test(value) ? 'accept' : 'reject';
  // Half a surrogate travels as bytes that are not UTF-8: how a server reads those is its business, a 5xx is not.
  if (UNPAIRED_SURROGATE.test(value)) return 'either';
  // The contract's free-text parameters: a phone fragment needs a digit; a cursor is one Parley handed out, or '' to start a list walk.
  if (name === 'phone') return /[0-9]/.test(value) ? 'either' : 'reject';
  if (name === 'cursor') return value === '' ? (route === 'GET /api/v1/conversations' ? 'accept' : 'either') : 'reject';
  return 'either';
}

/** A body value against its documented schema (JSON bodies are typed: nothing is coerced). */
function judgeBody(schema: Json, value: unknown, required: boolean): Verdict {
  if (value === OMIT) return required ? 'reject' : 'accept';
  if (value instanceof Raw) return judgeBody(schema, value.value, required);
  const types: string[] = [schema.type].flat();
  if (value === null) return types.includes('null') ? 'accept' : 'reject';
  if (schema.enum) return schema.enum.includes(value) ? 'accept' : 'reject';
  if (types.includes('boolean')) return typeof value === 'boolean' ? 'accept' : 'reject';
  if (types.includes('integer')) {
    const ok =
      typeof value === 'number' &&
      Number.isInteger(value) &&
      value >= (schema.minimum ?? -Infinity) &&
      value <= (schema.maximum ?? Infinity);
    return ok ? 'accept' : 'reject';
  }
  if (types.includes('array')) {
    if (!Array.isArray(value) || value.length > (schema.maxItems ?? Infinity)) return 'reject';
    const items = value.map((item) => judgeBody(schema.items, item, true));
    if (schema.uniqueItems && new Set(value.map((item) => JSON.stringify(item))).size < value.length) return 'reject';
    // ['A…', 'a…'] are different strings but one uuid: whichever the server makes of them.
    const lowered = value.map((item) => (typeof item === 'string' ? item.toLowerCase() : JSON.stringify(item)));
    return worst([...items, new Set(lowered).size < value.length ? 'either' : 'accept']);
  }
  if (types.includes('object')) {
    if (typeof value !== 'object' || Array.isArray(value)) return 'reject';
    const properties: Json = schema.properties ?? {};
    const given = value as Record<string, unknown>;
    if (schema.additionalProperties === false && Object.keys(given).some((key) => !(key in properties))) return 'reject';
    return worst(
      Object.entries(properties).map(([key, property]) =>
        judgeBody(property, key in given ? given[key] : OMIT, (schema.required ?? []).includes(key)),
      ),
    );
  }
  if (types.includes('string')) {
    if (typeof value !== 'string' || !storable(value)) return 'reject';
    if (schema.format === 'uuid') return UUID.test(value) ? 'accept' : 'reject';
    if (schema.format === 'date-time') return judgeDate(value);
    const length = [...value].length;
    return length >= (schema.minLength ?? 0) && length <= (schema.maxLength ?? Infinity) ? 'accept' : 'reject';
  }
  return 'either';
}

/** How a value the server took must read back: uuids in lower case, times in the contract's `…Z` form, lists as sets. */
function readsBack(schema: Json, sent: unknown, got: unknown): boolean {
  if (sent instanceof Raw) return readsBack(schema, sent.value, got);
  if (sent === null) return got === null;
  const types: string[] = [schema.type].flat();
  if (typeof sent === 'string' && schema.format === 'uuid') return got === sent.toLowerCase();
  if (typeof sent === 'string' && schema.format === 'date-time') {
    const seconds = Math.floor(Date.parse(sent) / 1000);
    return Number.isFinite(seconds) ? got === new Date(seconds * 1000).toISOString().slice(0, 19) + 'Z' : TIME.test(String(got));
  }
  if (types.includes('array') && Array.isArray(sent) && Array.isArray(got)) {
    const norm = (list: unknown[]) => [...new Set(list.map((item) => String(item).toLowerCase()))].sort();
    return JSON.stringify(norm(sent)) === JSON.stringify(norm(got));
  }
  if (types.includes('object') && sent && typeof sent === 'object' && got && typeof got === 'object') {
    return Object.entries(sent).every(([key, value]) => readsBack(schema.properties?.[key] ?? {}, value, (got as Json)[key]));
  }
  return Object.is(sent, got) || (sent === 0 && got === 0);
}

// ---------------------------------------------------------------------------------------------
// The published routes.

interface Operation {
  method: string;
  path: string;
  route: string;
  query: { name: string; schema: Json; required: boolean }[];
  headers: { name: string; schema: Json }[];
  pathParams: string[];
  body: Json | null;
}

/** `#/components/…` references resolved in place (the document has no cycles). */
function resolve(document: Json, node: unknown): unknown {
  if (Array.isArray(node)) return node.map((item) => resolve(document, item));
  if (node === null || typeof node !== 'object') return node;
  const ref = (node as Json).$ref;
  if (typeof ref === 'string')
    return resolve(
      document,
      ref
        .slice(2)
        .split('/')
        .reduce((at: Json, key) => at[key], document),
    );
  return Object.fromEntries(Object.entries(node).map(([key, value]) => [key, resolve(document, value)]));
}

function operationsOf(document: Json): Operation[] {
  return Object.entries(document.paths as Json).flatMap(([path, item]) =>
    ['get', 'put', 'post', 'patch', 'delete']
      .filter((method) => item[method])
      .map((method) => {
        const operation = resolve(document, item[method]) as Json;
        const parameters: Json[] = operation.parameters ?? [];
        return {
          method: method.toUpperCase(),
          path,
          route: `${method.toUpperCase()} ${path}`,
          query: parameters.filter((p) => p.in === 'query').map((p) => ({ name: p.name, schema: p.schema, required: !!p.required })),
          headers: parameters.filter((p) => p.in === 'header').map((p) => ({ name: p.name, schema: p.schema })),
          pathParams: parameters.filter((p) => p.in === 'path').map((p) => p.name),
          body: operation.requestBody?.content?.['application/json']?.schema ?? null,
        };
      }),
  );
}

interface Leaf {
  path: string[];
  schema: Json;
  required: boolean;
}

/** Every field of a body schema, nested ones and the first item of each list included. */
function leavesOf(schema: Json, path: string[] = [], required = true): Leaf[] {
  const leaves: Leaf[] = path.length > 0 ? [{ path, schema, required }] : [];
  for (const [key, property] of Object.entries((schema.properties ?? {}) as Json)) {
    leaves.push(...leavesOf(property, [...path, key], (schema.required ?? []).includes(key)));
  }
  // Leaving a list's only item out leaves an empty list, which is valid wherever the list is.
  if (schema.items) leaves.push({ path: [...path, '0'], schema: schema.items, required: false });
  return leaves;
}

/** A copy of `body` with `value` at `path` (OMIT deletes the key), building objects and lists on the way. */
function withValue(body: Json, path: string[], value: unknown): Json {
  const copy = structuredClone(body);
  let at: Json = copy;
  path.slice(0, -1).forEach((key, i) => {
    if (at[key] === null || typeof at[key] !== 'object') at[key] = /^\d+$/.test(path[i + 1]!) ? [] : {};
    at = at[key];
  });
  const last = path[path.length - 1]!;
  if (value === OMIT) delete at[last];
  else at[last] = value;
  return copy;
}

/** JSON text, with Raw tokens written as themselves. */
function jsonText(body: unknown): string {
  const raws: string[] = [];
  const text = JSON.stringify(body, (_key, value) => {
    if (value instanceof Raw) {
      raws.push(value.text);
      return `\u0001raw${raws.length - 1}\u0001`;
    }
    return value;
  });
  return text.replace(/"\\u0001raw(\d+)\\u0001"/g, (_m, i: string) => raws[Number(i)]!);
}

/** A query value as a careless client would put it in a URL: UTF-8 percent-encoded, half surrogates as their CESU-8 bytes. */
const encode = (value: string) =>
  [...value]
    .map((char) => {
      if (!UNPAIRED_SURROGATE.test(char)) return encodeURIComponent(char);
      const code = char.charCodeAt(0);
      return [0xe0 | (code >> 12), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f)]
        .map((b) => `%${b.toString(16).toUpperCase()}`)
        .join('');
    })
    .join('');

const getAt = (value: unknown, path: string[]) => path.reduce<unknown>((at, key) => (at == null ? undefined : (at as Json)[key]), value);

// ---------------------------------------------------------------------------------------------

describeEachDialect('hostile input', (t) => {
  let ws: TestWorkspace;
  let other: TestWorkspace;
  let operations: Operation[];
  /** The conversation the writes aim at, a bystander that no write names, and one in another workspace. */
  const T = { uuid: fresh(), contact: fresh(), call: fresh(), session: fresh() };
  const B = { uuid: fresh(), body: conversationBody() };
  const O = { uuid: fresh(), body: conversationBody() };
  /** What each conversation must read as: refreshed after every accepted write, compared after every rejected one. */
  const expected = new Map<string, unknown>();
  /** Each conversation's messages as accepted, by uuid. */
  const messages = new Map<string, Map<string, unknown>>();
  const messagesOf = (uuid: string) => messages.get(uuid) ?? messages.set(uuid, new Map()).get(uuid)!;
  const problems: string[] = [];
  let requests = 0;

  beforeEach(() => {
    problems.length = 0;
  });

  const problem = (text: string) => {
    if (problems.length < 60) problems.push(text.length > 600 ? `${text.slice(0, 600)}…` : text);
  };

  const detail = async (uuid: string, client = ws) => {
    const response = await client.request({ method: 'GET', url: `/api/v1/conversations/${uuid}` });
    return response.statusCode === 200 ? response.json().data : response.statusCode;
  };
  const remember = async (uuid: string) => expected.set(uuid, await detail(uuid));
  const unchanged = async (uuid: string, label: string) => {
    const now = await detail(uuid);
    const before = expected.has(uuid) ? expected.get(uuid) : 404;
    if (JSON.stringify(now) !== JSON.stringify(before)) {
      problem(
        `${label}: was rejected but ${uuid} changed from ${JSON.stringify(before)?.slice(0, 200)} to ${JSON.stringify(now)?.slice(0, 200)}`,
      );
    }
  };
  const messageTotal = async () =>
    (await ws.request({ method: 'GET', url: `/api/v1/conversations/${T.uuid}/messages?per_page=1` })).json().data.total as number;

  /**
   * Sends one request and checks what every answer owes: below 500, the envelope (status and code
   * agreeing) on errors, no internals; then the verdict, and for a 422 that it names `fields`.
   */
  async function send(options: InjectOptions, verdict: Verdict, label: string, fields: string[] = [], client: TestWorkspace | null = ws) {
    requests++;
    const response: LightMyRequestResponse = client ? await client.request(options) : await t.app.inject(options);
    const status = response.statusCode;
    const body = response.body;
    const at = `${label} → ${status} ${body.slice(0, 300)}`;
    if (status >= 500 || status < 200) problem(`${at}: a ${status}`);
    if (LEAK_ANYWHERE.test(body)) problem(`${at}: shows a stack or a source path`);
    if (status >= 400) {
      if (LEAK.test(body)) problem(`${at}: shows internals`);
      let json: Json | undefined;
      try {
        json = JSON.parse(body);
      } catch {
        // reported below
      }
      const envelope =
        /^application\/json/.test(String(response.headers['content-type'])) &&
        json !== undefined &&
        JSON.stringify(Object.keys(json)) === '["success","message","error"]' &&
        json.success === false &&
        typeof json.message === 'string' &&
        typeof json.error?.details === 'string' &&
        ERROR_STATUS[json.error?.code as keyof typeof ERROR_STATUS] === status &&
        Object.keys(json.error).every((key) => ['code', 'details', 'field'].includes(key));
      if (!envelope) problem(`${at}: not the error envelope`);
      if (status === 422 && fields.length > 0) {
        const field = String(json?.error?.field);
        const names = fields.some((f) => field === f || field.startsWith(`${f}.`) || (f.startsWith(`${field}.`) && field !== 'body'));
        if (!names) problem(`${at}: the 422 names ${field}, not ${fields.join(' or ')}`);
      }
    }
    if (verdict === 'accept' && !(status >= 200 && status < 300) && status !== 304) problem(`${at}: valid input refused`);
    if (verdict === 'reject' && !(status >= 400 && status < 500)) problem(`${at}: invalid input taken`);
    // A write that was taken: what it wrote is now what its conversation must read as.
    if (client === ws && status >= 200 && status < 300 && options.method !== 'GET') {
      const path = String(options.url).split('?')[0]!;
      const uuid = decodeURIComponentSafe(/^\/api\/v1\/conversations\/([^/]+)/.exec(path)?.[1] ?? '').toLowerCase();
      if (UUID.test(uuid)) {
        if (options.method === 'POST' && path.endsWith('/messages')) messagesOf(uuid).set(response.json().data.uuid, response.json().data);
        await remember(uuid);
      }
    }
    return response;
  }

  beforeAll(async () => {
    ws = await t.newWorkspace();
    other = await t.newWorkspace();
    const base = conversationBody({
      contact: { uuid: T.contact, name: 'Target', surname: null, phone_number: '+44 20 7946 0958', email: null },
      call: { ...conversationBody().call, uuid: T.call },
      session_uuids: [T.session],
    });
    expect((await ws.put(T.uuid, base)).statusCode).toBe(201);
    expect((await ws.put(B.uuid, B.body)).statusCode).toBe(201);
    expect((await other.put(O.uuid, O.body)).statusCode).toBe(201);
    // Messages in T's session, so that a write dropping the session has rows that point at it.
    for (const content of ['Hello', 'Anyone there?']) {
      const posted = await ws.request({
        method: 'POST',
        url: `/api/v1/conversations/${T.uuid}/messages`,
        payload: { sender: 'Contact', content, session_uuid: T.session },
      });
      expect(posted.statusCode).toBe(201);
      messagesOf(T.uuid).set(posted.json().data.uuid, posted.json().data);
    }
    await remember(T.uuid);
    await remember(B.uuid);
    const document = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    operations = operationsOf(document);
    console.log(`[hostile-input ${t.dialect}] seed ${SEED}: repeat the generated cases with FC_SEED=${SEED}`);
  });

  /** The valid body each write starts from; a target other than T gets its own contact and call, so that T is never touched by it. */
  const BASES: Record<string, (target: string) => Json> = {
    'PUT /api/v1/conversations/{uuid}': (target) =>
      target === T.uuid
        ? { channel: 'SMS', contact: { uuid: T.contact, name: 'Base' }, call: { uuid: T.call } }
        : { channel: 'SMS', contact: { uuid: fresh(), name: 'Base' }, call: { uuid: fresh() } },
    'PATCH /api/v1/conversations/{uuid}': () => ({ status: 'Closed' }),
    'POST /api/v1/conversations/{uuid}/messages': () => ({ sender: 'AI', content: 'hello' }),
  };
  /** Valid values for required query parameters. */
  const REQUIRED: Record<string, string> = { from: '2024-01-01T00:00:00Z', to: '2030-01-01T00:00:00Z' };
  /** Parameters whose valid values can still be refused together (analytics: `to` must be later than `from`). */
  const COUPLED: Record<string, string[]> = { from: ['from', 'to'], to: ['from', 'to'] };

  const concrete = (path: string, uuid: string = T.uuid) => path.replace('{uuid}', uuid);

  /** One write with one field replaced, judged; then read back if taken, or checked to have changed nothing if refused. */
  async function write(operation: Operation, leaf: Leaf, value: unknown, toFresh: boolean, origin: string) {
    const target = operation.method === 'PUT' && toFresh ? fresh() : T.uuid;
    const body = withValue(BASES[operation.route]!(target), leaf.path, value);
    let verdict = judgeBody(leaf.schema, value, leaf.required);
    // The contract's own rule: a body's uuid is the path's.
    if (leaf.path.join('.') === 'uuid' && operation.method === 'PUT' && typeof value === 'string' && value.toLowerCase() !== target) {
      verdict = 'reject';
    }
    const shown =
      value === OMIT
        ? '(left out)'
        : typeof value === 'string' && value.length > 40
          ? `"${value.slice(0, 20)}…" (${value.length})`
          : jsonText(value);
    const label = `${origin}: ${operation.method} ${concrete(operation.path, target)} with ${leaf.path.join('.')} = ${shown}`;
    const before = operation.method === 'POST' ? await messageTotal() : 0;
    const response = await send(
      {
        method: operation.method as InjectOptions['method'],
        url: concrete(operation.path, target),
        payload: jsonText(body),
        headers: { 'content-type': 'application/json' },
      },
      verdict,
      label,
      [leaf.path.join('.')],
    );
    if (response.statusCode >= 200 && response.statusCode < 300) {
      const data = response.json().data;
      if (value !== OMIT && !readsBack(leaf.schema, value, getAt(data, leaf.path))) {
        problem(`${label}: taken, but reads back as ${JSON.stringify(getAt(data, leaf.path))?.slice(0, 200)}`);
      }
      // send() has read the conversation back since: the answer must be what is stored.
      if (operation.method !== 'POST' && JSON.stringify(expected.get(target)) !== JSON.stringify(data)) {
        problem(`${label}: the answer is not what is stored`);
      }
    } else {
      await unchanged(target, label);
      if (operation.method === 'POST' && (await messageTotal()) !== before) problem(`${label}: was rejected but a message was stored`);
    }
  }

  it('attacks every route Parley serves, and can build a valid request for each', () => {
    const published = operations.map((operation) => operation.route);
    expect(published).toEqual(
      expect.arrayContaining([
        'GET /api/v1/conversations',
        'GET /api/v1/conversations/{uuid}',
        'PUT /api/v1/conversations/{uuid}',
        'PATCH /api/v1/conversations/{uuid}',
        'GET /api/v1/conversations/{uuid}/messages',
        'POST /api/v1/conversations/{uuid}/messages',
        'GET /api/v1/conversations/{uuid}/sessions',
        'GET /api/v1/analytics/messages',
        'GET /healthz',
      ]),
    );
    // A new body endpoint needs a valid base body above before its fields can be attacked one by one.
    const withoutBase = operations.filter((operation) => operation.body && !BASES[operation.route]).map((operation) => operation.route);
    expect(withoutBase, 'endpoints with a body and no valid base body in this test').toEqual([]);
    const required = operations.flatMap((operation) =>
      operation.query.filter((p) => p.required && !(p.name in REQUIRED)).map((p) => `${operation.route} ${p.name}`),
    );
    expect(required, 'required query parameters with no valid value in this test').toEqual([]);
    // The router serves nothing the document does not describe, but the browser pages (attacked below without a schema).
    const unpublished = servedRoutes(t.app).filter((route) => !published.includes(route.replace(/:(\w+)/g, '{$1}')));
    expect(unpublished.every((route) => route.startsWith('GET '))).toBe(true);
  });

  it('answers hostile values of every query parameter with a 2xx or a 4xx naming it, and injections find nothing', async () => {
    for (const operation of operations.filter((op) => op.query.length > 0)) {
      const valid = Object.fromEntries(operation.query.filter((p) => p.required).map((p) => [p.name, REQUIRED[p.name]!]));
      for (const parameter of operation.query) {
        const enumValues: string[] = parameter.schema['x-values'] ?? parameter.schema.enum ?? [];
        const values = [
          ...HOSTILE_STRINGS,
          ...INJECTIONS,
          ...UUID_LIKE(),
          ...DATES,
          ...enumValues.flatMap((v) => [v, v.toUpperCase(), v.toLowerCase(), ` ${v}`, `${v},`, `${v},${v}`, `${v}\u0000`]),
          `${fresh()},${fresh().toUpperCase()}`,
          `${fresh()}, ${fresh()}`,
          String(parameter.schema.maximum ?? 1),
          String((parameter.schema.maximum ?? 1) + 1),
          'x'.repeat(parameter.schema.maxLength ?? 10) + '1',
        ];
        for (const value of values) {
          const rest = Object.entries(valid).filter(([name]) => name !== parameter.name);
          const url = `${concrete(operation.path)}?${[...rest.map(([n, v]) => `${n}=${encode(v)}`), `${parameter.name}=${encode(value)}`].join('&')}`;
          let verdict = judgeQuery(operation.route, parameter.name, parameter.schema, value);
          if (COUPLED[parameter.name] && verdict === 'accept') verdict = 'either';
          const label = `GET ${url.length > 160 ? `${url.slice(0, 160)}… (${url.length})` : url}`;
          const response = await send({ method: 'GET', url }, verdict, label, COUPLED[parameter.name] ?? [parameter.name]);
          // An injection that the list takes must match no stored conversation.
          if (INJECTIONS.includes(value) && response.statusCode === 200 && operation.route === 'GET /api/v1/conversations') {
            const total = response.json().data.total;
            if (total !== 0) problem(`${label}: found ${total} conversations`);
          }
        }
        // Given twice, even with the same valid value: a 422 naming it (never first-or-last).
        const once = parameter.required ? valid[parameter.name]! : (enumValues[0] ?? (parameter.schema.type === 'integer' ? '1' : fresh()));
        const others = Object.entries(valid)
          .filter(([name]) => name !== parameter.name)
          .map(([n, v]) => `&${n}=${encode(v)}`)
          .join('');
        const twice = `${concrete(operation.path)}?${parameter.name}=${encode(once)}&${parameter.name}=${encode(once)}${others}`;
        await send({ method: 'GET', url: twice }, 'reject', `GET ${twice}`, [parameter.name]);
        // Bracketed names are other, unknown names: ignored.
        for (const shape of [`${parameter.name}[]=1`, `${parameter.name}[a][b]=1`, `${parameter.name.toUpperCase()}=%00`]) {
          const url = `${concrete(operation.path)}?${shape}${others}`;
          await send({ method: 'GET', url }, parameter.required ? 'either' : 'accept', `GET ${url}`);
        }
      }
      // Unknown parameters are ignored, whatever they hold (U+0000 included: it never reaches a database).
      const ignored = Object.entries(valid)
        .map(([n, v]) => `${n}=${encode(v)}&`)
        .join('');
      for (const unknown of [
        'zzz=%00',
        `zzz=${'x'.repeat(100_000)}`,
        '__proto__=1',
        'constructor[prototype][x]=1',
        '=1',
        '&&&',
        'a=1&a=2',
      ]) {
        await send(
          { method: 'GET', url: `${concrete(operation.path)}?${ignored}${unknown}` },
          'accept',
          `GET ${operation.path}?${unknown.slice(0, 40)}`,
        );
      }
      for (const header of operation.headers) {
        for (const value of ['*', 'W/"x"', '"', ',,,', 'W/', 'W/"1-1-x", *', 'x'.repeat(100_000), '\u00ff']) {
          await send(
            { method: 'GET', url: concrete(operation.path), headers: { [header.name]: value } },
            'either',
            `GET ${operation.path} with ${header.name}: ${value.slice(0, 30)}`,
          );
        }
      }
    }
    expect({ requests: requests > 1000, problems }).toEqual({ requests: true, problems: [] });
  });

  it('answers hostile path values with a 2xx for a real uuid and a 4xx otherwise, writing nothing', async () => {
    const values: [string, Verdict][] = [
      [T.uuid.toUpperCase(), 'accept'],
      [fresh(), 'either'],
      [O.uuid, 'either'],
      ...[
        '%00',
        'not-a-uuid',
        '..',
        '%2e%2e',
        '..%2F..%2Fetc%2Fpasswd',
        '%ZZ',
        '%25',
        "'%20OR%20'1'%3D'1",
        '*',
        ';',
        '%20',
        `${T.uuid}%00`,
        `%20${T.uuid}`,
        `${T.uuid};x=1`,
        `${T.uuid}%2F..`,
        'a'.repeat(101),
        'a'.repeat(100_000),
        encode('٣c90c3cc-0d44-4b50-8888-8dd25736052a'),
        encode('\u202e'),
        encode('\ud800'),
      ].map((value): [string, Verdict] => [value, 'reject']),
    ];
    for (const operation of operations.filter((op) => op.pathParams.length > 0)) {
      for (const [value, verdict] of values) {
        const uuid = decodeURIComponentSafe(value);
        const target = uuid.toLowerCase();
        // A well-formed uuid: found if it is stored by now (a PUT above may have created it), created by a PUT.
        const known = target === T.uuid;
        const exists = expected.has(target) && expected.get(target) !== 404;
        const judged: Verdict = verdict === 'either' ? (operation.method === 'PUT' || exists ? 'accept' : 'reject') : verdict;
        const payload = BASES[operation.route] ? jsonText(BASES[operation.route]!(known ? T.uuid : target)) : undefined;
        const label = `${operation.method} ${concrete(operation.path, value.slice(0, 60))}`;
        const response = await send(
          {
            method: operation.method as InjectOptions['method'],
            url: concrete(operation.path, value),
            payload,
            headers: payload ? { 'content-type': 'application/json' } : {},
          },
          judged,
          label,
          ['uuid'],
        );
        if (response.statusCode === 404 && response.json().error.code !== 'NOT_FOUND') problem(`${label}: 404 is not NOT_FOUND`);
        if (UUID.test(uuid) && operation.method !== 'GET' && response.statusCode >= 400) await unchanged(target, label);
      }
    }
    // Another workspace's conversation is untouched.
    expect(await detail(O.uuid, other)).toEqual({ uuid: O.uuid, ...O.body });
    expect(problems).toEqual([]);
  });

  it('answers hostile values of every body field with a 2xx that stores them exactly or a 4xx naming the field that changes nothing', async () => {
    for (const operation of operations.filter((op) => op.body)) {
      let toFresh = false;
      for (const leaf of leavesOf(operation.body!)) {
        const types: string[] = [leaf.schema.type].flat();
        const values: unknown[] = [...WRONG_TYPES];
        if (types.includes('string')) {
          // Free text meets every hostile string; a uuid, a time or an enumeration, which a pattern guards, a sample of them.
          const formatted = leaf.schema.format || leaf.schema.enum || leaf.schema.pattern;
          values.push(...(formatted ? HOSTILE_STRINGS.filter((_, i) => i % 5 === 0 || i > HOSTILE_STRINGS.length - 3) : HOSTILE_STRINGS));
          if (leaf.schema.maxLength) values.push('é'.repeat(leaf.schema.maxLength), '😀'.repeat(leaf.schema.maxLength + 1));
          if (leaf.schema.format === 'uuid') values.push(...UUID_LIKE());
          if (leaf.schema.format === 'date-time') values.push(...DATES);
        }
        if (leaf.schema.enum)
          values.push(...leaf.schema.enum, ...leaf.schema.enum.filter(Boolean).map((v: string) => v.toLowerCase()), 'Bogus');
        if (types.includes('integer')) values.push(leaf.schema.minimum - 1, leaf.schema.maximum, leaf.schema.maximum + 1, 0.5, -0.5, '5');
        if (types.includes('array')) {
          const u = fresh();
          values.push(
            [u, u],
            [u, u.toUpperCase()],
            [fresh(), 'x'],
            Array.from({ length: (leaf.schema.maxItems ?? 10) + 1 }, fresh),
            [[fresh()]],
            { 0: fresh() },
          );
        }
        if (types.includes('object'))
          values.push({ ...BASES[operation.route]!(T.uuid), extra: 1 }, { uuid: fresh(), __proto__x: 1 }, [{ uuid: fresh() }]);
        for (const value of values) {
          // Half of the PUTs create a conversation: a refused one must not exist afterwards.
          toFresh = !toFresh;
          await write(operation, leaf, value, toFresh, 'hand-written');
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('answers malformed, mistyped, oversized, deeply nested and prototype-polluting bodies with a 4xx, storing nothing', async () => {
    const base = (operation: Operation) => jsonText(BASES[operation.route]!(T.uuid));
    for (const operation of operations.filter((op) => op.body)) {
      const url = concrete(operation.path);
      const method = operation.method as InjectOptions['method'];
      const json = { 'content-type': 'application/json' };
      const cases: [string, InjectOptions, Verdict, number?][] = [
        ...[
          '{',
          '{"a":',
          '[1,]',
          "{'a':1}",
          'NaN',
          '{"a":1}}',
          '\u0000',
          base(operation).slice(0, -1),
          '',
          ' ',
          'nul',
          '\ufeff\ufeff{}',
        ].map((payload): [string, InjectOptions, Verdict, number] => [
          `invalid JSON ${JSON.stringify(payload.slice(0, 20))}`,
          { payload, headers: json },
          'reject',
          400,
        ]),
        ...[
          'text/plain',
          'application/x-www-form-urlencoded',
          'multipart/form-data; boundary=x',
          'application/xml',
          'application/vnd.api+json',
          'application/json-patch+json',
          'text/json',
        ].map((type): [string, InjectOptions, Verdict, number] => [
          `content type ${type}`,
          { payload: base(operation), headers: { 'content-type': type } },
          'reject',
          400,
        ]),
        [`no content type`, { payload: Buffer.from(base(operation)) }, 'reject', 400],
        [`content type APPLICATION/JSON`, { payload: base(operation), headers: { 'content-type': 'APPLICATION/JSON' } }, 'either'],
        [`a byte-order mark`, { payload: `\ufeff${base(operation)}`, headers: json }, 'either'],
        [`over 1 MiB`, { payload: `${base(operation).slice(0, -1)},"pad":"${'x'.repeat(1024 * 1024)}"}`, headers: json }, 'reject', 413],
        [`over 1 MiB of whitespace`, { payload: `${' '.repeat(1024 * 1024)}${base(operation)}`, headers: json }, 'reject', 413],
        [`nested 400,000 deep`, { payload: `${'['.repeat(400_000)}${']'.repeat(400_000)}`, headers: json }, 'reject'],
        [`objects nested 100,000 deep`, { payload: `${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}`, headers: json }, 'reject'],
        ...['[]', `[${base(operation)}]`, 'null', '"text"', '42', 'true'].map((payload): [string, InjectOptions, Verdict, number] => [
          `a body of ${payload.slice(0, 12)}`,
          { payload, headers: json },
          'reject',
          422,
        ]),
        [`__proto__`, { payload: `${base(operation).slice(0, -1)},"__proto__":{"polluted":1}}`, headers: json }, 'reject'],
        [`__proto__ nested`, { payload: `${base(operation).slice(0, -1)},"meta":{"__proto__":{"polluted":1}}}`, headers: json }, 'reject'],
        [
          `__proto__ in a known object`,
          { payload: base(operation).replace(/^\{"(\w+)":\{/, '{"$1":{"__proto__":{"polluted":1}},"$1":{'), headers: json },
          'either',
        ],
        [
          `constructor.prototype`,
          { payload: `${base(operation).slice(0, -1)},"constructor":{"prototype":{"polluted":1}}}`, headers: json },
          'reject',
        ],
        [
          `10,000 unknown keys`,
          {
            payload: jsonText({
              ...JSON.parse(base(operation)),
              ...Object.fromEntries(Array.from({ length: 10_000 }, (_, i) => [`k${i}`, i])),
            }),
            headers: json,
          },
          'reject',
          422,
        ],
        [`a number past the doubles`, { payload: `${base(operation).slice(0, -1)},"a":1e999999}`, headers: json }, 'reject', 422],
        [`a 100 kB key`, { payload: `${base(operation).slice(0, -1)},"${'k'.repeat(100_000)}":1}`, headers: json }, 'reject', 422],
        [
          `a duplicate key, the last one invalid`,
          { payload: `${base(operation).slice(0, -1)},"${Object.keys(JSON.parse(base(operation)))[0]}":"\\u0000"}`, headers: json },
          'reject',
        ],
      ];
      for (const [what, options, verdict, status] of cases) {
        const before = await messageTotal();
        const label = `${operation.method} ${url} with ${what}`;
        const response = await send({ method, url, ...options, headers: { ...options.headers } }, verdict, label);
        if (status !== undefined && response.statusCode !== status) problem(`${label}: ${response.statusCode}, not ${status}`);
        if (response.statusCode >= 400) {
          await unchanged(T.uuid, label);
          if ((await messageTotal()) !== before) problem(`${label}: was rejected but a message was stored`);
        }
      }
    }
    expect(({} as Json).polluted).toBeUndefined();
    expect(Object.getOwnPropertyNames(Object.prototype)).not.toContain('polluted');
    // A body on a read is ignored or refused, never a 5xx.
    for (const operation of operations.filter((op) => op.method === 'GET')) {
      const url = `${concrete(operation.path)}?${operation.query
        .filter((p) => p.required)
        .map((p) => `${p.name}=${REQUIRED[p.name]}`)
        .join('&')}`;
      await send(
        { method: 'GET', url, payload: '{"not json', headers: { 'content-type': 'application/json' } },
        'either',
        `GET ${url} with a broken body`,
      );
    }
    expect(problems).toEqual([]);
  });

  it('answers a call, session or task of another conversation with 409, changing neither', async () => {
    const put = operations.find((op) => op.route === 'PUT /api/v1/conversations/{uuid}')!;
    // The barrage may have left T with another call or none: T.call is T's again.
    await send({ method: 'PUT', url: concrete(put.path), payload: BASES[put.route]!(T.uuid) }, 'accept', 'PUT T back to its base');
    const cases: [string, Json][] = [
      ['call.uuid', { ...BASES[put.route]!(T.uuid), call: { uuid: B.body.call.uuid } }],
      ['session_uuids', { ...BASES[put.route]!(T.uuid), session_uuids: [B.body.session_uuids[0]] }],
      ['task_uuids', { ...BASES[put.route]!(T.uuid), task_uuids: [B.body.task_uuids[0]] }],
    ];
    for (const [field, body] of cases) {
      const response = await send({ method: 'PUT', url: concrete(put.path), payload: body }, 'reject', `PUT T with ${field} of B`, [field]);
      if (response.statusCode !== 409) problem(`PUT T with ${field} of B: ${response.statusCode}, not 409`);
      await unchanged(T.uuid, `PUT T with ${field} of B`);
      await unchanged(B.uuid, `PUT T with ${field} of B`);
    }
    const newcomer = fresh();
    const stolen = await send(
      { method: 'PUT', url: concrete(put.path, newcomer), payload: { ...BASES[put.route]!(newcomer), call: { uuid: T.call } } },
      'reject',
      'PUT new with T’s call',
    );
    expect(stolen.statusCode).toBe(409);
    await unchanged(newcomer, 'PUT new with T’s call');
    await unchanged(T.uuid, 'PUT new with T’s call');
    const crossed = await send(
      {
        method: 'POST',
        url: `/api/v1/conversations/${T.uuid}/messages`,
        payload: { sender: 'AI', content: 'x', session_uuid: B.body.session_uuids[0] },
      },
      'reject',
      'POST a message to T in a session of B',
    );
    expect(crossed.statusCode).toBe(409);
    await unchanged(B.uuid, 'POST a message to T in a session of B');
    expect(problems).toEqual([]);
  });

  it('answers generated query strings, paths and bodies the same way (fast-check)', async () => {
    const gets = operations.filter((op) => op.method === 'GET' && op.query.length > 0);
    const bodyOps = operations.filter((op) => op.body);
    const text = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 40 }),
      fc.string({ unit: fc.constantFrom(...'0123456789+-,. '), maxLength: 25 }),
      fc.uuid().map((u) => u.toUpperCase()),
      fc.constantFrom(...HOSTILE_STRINGS.filter((s) => s.length < 1000), ...INJECTIONS, ...DATES),
    );
    const run = async <V>(property: fc.IAsyncPropertyWithHooks<[V]>) => {
      const before = problems.length;
      await fc.assert(property, { seed: SEED, numRuns: GENERATED_RUNS, endOnFailure: true });
      expect(problems.slice(before)).toEqual([]);
    };
    const fail = (count: number) => {
      if (problems.length > count) throw new Error(problems[problems.length - 1]);
    };

    await run(
      fc.asyncProperty(fc.record({ op: fc.nat(), parameter: fc.nat(), value: text }), async ({ op, parameter, value }) => {
        const before = problems.length;
        const operation = gets[op % gets.length]!;
        const p = operation.query[parameter % operation.query.length]!;
        const rest = operation.query.filter((q) => q.required && q.name !== p.name).map((q) => `${q.name}=${encode(REQUIRED[q.name]!)}`);
        const url = `${concrete(operation.path)}?${[...rest, `${p.name}=${encode(value)}`].join('&')}`;
        let verdict = judgeQuery(operation.route, p.name, p.schema, value);
        if (COUPLED[p.name] && verdict === 'accept') verdict = 'either';
        await send({ method: 'GET', url }, verdict, `generated GET ${url.slice(0, 200)}`, COUPLED[p.name] ?? [p.name]);
        fail(before);
      }),
    );

    await run(
      fc.asyncProperty(fc.record({ op: fc.nat(), segment: text }), async ({ op, segment }) => {
        const before = problems.length;
        const operation = operations.filter((o) => o.pathParams.length > 0)[op % operations.filter((o) => o.pathParams.length > 0).length]!;
        const uuid = segment.toLowerCase();
        const verdict: Verdict = UUID.test(segment) ? (operation.method === 'PUT' ? 'accept' : 'either') : 'reject';
        const payload = BASES[operation.route] ? jsonText(BASES[operation.route]!(uuid)) : undefined;
        const response = await send(
          {
            method: operation.method as InjectOptions['method'],
            url: concrete(operation.path, encode(segment)),
            payload,
            headers: payload ? { 'content-type': 'application/json' } : {},
          },
          verdict,
          `generated ${operation.method} ${concrete(operation.path, encode(segment)).slice(0, 200)}`,
          ['uuid'],
        );
        if (UUID.test(segment) && operation.method !== 'GET' && response.statusCode >= 400) {
          await unchanged(uuid, `generated ${operation.method} ${segment}`);
        }
        fail(before);
      }),
    );

    const jsonish = fc.oneof(fc.jsonValue({ maxDepth: 2 }), text, fc.constantFrom(...RAW_NUMBERS), fc.constant(OMIT));
    await run(
      fc.asyncProperty(
        fc.record({ op: fc.nat(), leaf: fc.nat(), value: jsonish, toFresh: fc.boolean() }),
        async ({ op, leaf, value, toFresh }) => {
          const before = problems.length;
          const operation = bodyOps[op % bodyOps.length]!;
          const leaves = leavesOf(operation.body!);
          await write(operation, leaves[leaf % leaves.length]!, value, toFresh, 'generated');
          fail(before);
        },
      ),
    );

    await run(
      fc.asyncProperty(
        fc.record({ op: fc.nat(), text: fc.oneof(fc.string({ unit: 'binary', maxLength: 200 }), fc.json({ maxDepth: 3 })), cut: fc.nat() }),
        async ({ op, text, cut }) => {
          const before = problems.length;
          const operation = bodyOps[op % bodyOps.length]!;
          // Valid JSON of the wrong shape, or any text, or JSON with a bite taken out of it.
          const payload = cut % 3 === 0 && text.length > 0 ? text.slice(0, cut % text.length) : text;
          const messagesBefore = await messageTotal();
          const response = await send(
            {
              method: operation.method as InjectOptions['method'],
              url: concrete(operation.path),
              payload,
              headers: { 'content-type': 'application/json' },
            },
            'either',
            `generated ${operation.method} ${operation.path} with the body ${JSON.stringify(payload).slice(0, 200)}`,
          );
          if (response.statusCode >= 400) {
            await unchanged(T.uuid, `generated raw body ${JSON.stringify(payload).slice(0, 100)}`);
            if ((await messageTotal()) !== messagesBefore)
              problem(`generated raw body ${JSON.stringify(payload).slice(0, 100)}: a message was stored`);
          }
          fail(before);
        },
      ),
    );
  });

  it('serves the browser pages without a 5xx, a stack, a path or a file outside them, whatever the path', async () => {
    const published = operations.map((operation) => operation.route);
    const pages = servedRoutes(t.app).filter((route) => !published.includes(route.replace(/:(\w+)/g, '{$1}')));
    const segments = [
      '..%2F..%2Fpackage.json',
      '%2e%2e%2f%2e%2e%2fpackage.json',
      '....%2F%2F....%2F%2Fpackage.json',
      '..%5C..%5Cpackage.json',
      '%00',
      '%ZZ',
      'a'.repeat(2000),
      encode('\u202e.js'),
      '.env',
      '%2Fetc%2Fpasswd',
    ];
    for (const route of pages) {
      for (const segment of segments) {
        const url = route.slice(4).replace(/:\w+|\*/g, segment);
        const response = await send({ method: 'GET', url }, 'either', `GET ${url.slice(0, 120)}`, [], null);
        if (/"name":\s*"parley"|root:x:0:0|DATABASE_URL=/.test(response.body)) problem(`GET ${url}: serves a file it must not`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('leaves the workspace exactly as the accepted writes left it', async () => {
    const listed = new Map<string, unknown>();
    for (let page = 1; ; page++) {
      const response = await ws.list({ per_page: 100, page });
      expect(response.statusCode).toBe(200);
      for (const conversation of response.json().data.data) listed.set(conversation.uuid, conversation);
      if (page >= response.json().data.last_page) break;
    }
    const stored = [...expected.entries()].filter(([, value]) => value !== 404);
    expect(new Set(listed.keys())).toEqual(new Set(stored.map(([uuid]) => uuid)));
    for (const [uuid, value] of stored) expect({ uuid, value: listed.get(uuid) }).toEqual({ uuid, value });
    // B was never a target: it reads as it was written.
    expect(listed.get(B.uuid)).toEqual({ uuid: B.uuid, ...B.body });

    // Every transcript holds exactly the messages that were taken, as they were answered.
    let total = 0;
    for (const [uuid, value] of stored) {
      const transcript = new Map<string, unknown>();
      for (let page = 1; ; page++) {
        const response = await ws.request({ method: 'GET', url: `/api/v1/conversations/${uuid}/messages?per_page=100&page=${page}` });
        for (const message of response.json().data.data) transcript.set(message.uuid, message);
        if (page >= response.json().data.last_page) break;
      }
      const taken = messagesOf(uuid);
      expect({ uuid, messages: [...transcript.keys()].sort() }).toEqual({ uuid, messages: [...taken.keys()].sort() });
      // A PUT naming the conversation's sessions drops the others: their messages stay, out of any session.
      const sessions = new Set((value as { session_uuids: string[] }).session_uuids);
      for (const [id, message] of taken) {
        const session = (message as { session_uuid: string | null }).session_uuid;
        expect(transcript.get(id)).toEqual({ ...(message as object), session_uuid: session && sessions.has(session) ? session : null });
      }
      total += taken.size;
    }
    console.log(
      `[hostile-input ${t.dialect}] ${requests} hostile requests; ${stored.length} conversations and ${total} messages at the end`,
    );
  });
});

/** The text a path segment stands for, or the segment itself when it is not valid percent-encoding. */
function decodeURIComponentSafe(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
