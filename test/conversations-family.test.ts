import { randomUUID } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { describeEachDialect, type Query, type TestWorkspace, toQueryString } from './helpers/app.js';
import { conversationBody, minimalBody } from './helpers/fixtures.js';

/** Freezes the clock the server reads (`Date` only: timers, and so the database drivers, run as usual). */
function clockAt(iso: string) {
  vi.useFakeTimers({ toFake: ['Date'], now: new Date(iso) });
}

afterEach(() => {
  vi.useRealTimers();
});

/** `2024-03-01T10:00:00Z` plus `minutes` and `seconds`. */
const at = (minutes: number, seconds = 0) =>
  new Date(Date.UTC(2024, 2, 1, 10, 0, 0) + minutes * 60_000 + seconds * 1000).toISOString().replace('.000Z', 'Z');

/** `2030-06-01T12:00:00Z` plus `minutes`: "now" for the tests that freeze the clock. */
const now = (minutes = 0) => new Date(Date.UTC(2030, 5, 1, 12, 0, 0) + minutes * 60_000).toISOString().replace('.000Z', 'Z');

interface Conversation {
  uuid: string;
  status: string;
  channel: string;
  created_at: string;
  updated_at: string;
  [key: string]: unknown;
}

interface CursorPage {
  data: Conversation[];
  per_page: number;
  total: number;
  next_cursor: string | null;
}

const detailUrl = (uuid: string, suffix = '') => `/api/v1/conversations/${uuid}${suffix}`;
const listUrl = (query?: Query | string) => `/api/v1/conversations${toQueryString(query)}`;

const get = (ws: TestWorkspace, url: string, ifNoneMatch?: string) =>
  ws.request({ method: 'GET', url, headers: ifNoneMatch === undefined ? {} : { 'if-none-match': ifNoneMatch } });
const patch = (ws: TestWorkspace, uuid: string, payload: unknown) =>
  ws.request({ method: 'PATCH', url: detailUrl(uuid), payload: payload as object });

async function create(ws: TestWorkspace, body: Record<string, unknown>, uuid: string = randomUUID()): Promise<Conversation> {
  const response = await ws.put(uuid, body);
  expect(response.statusCode, response.body).toBe(201);
  return response.json().data;
}

async function detail(ws: TestWorkspace, uuid: string): Promise<Conversation> {
  const response = await get(ws, detailUrl(uuid));
  expect(response.statusCode, response.body).toBe(200);
  return response.json().data;
}

async function appendMessage(ws: TestWorkspace, conversation: string, payload: Record<string, unknown>) {
  const response = await ws.request({ method: 'POST', url: detailUrl(conversation, '/messages'), payload });
  expect(response.statusCode, response.body).toBe(201);
}

async function listData(ws: TestWorkspace, query: Query | string = {}) {
  const response = await ws.list(query);
  expect(response.statusCode, response.body).toBe(200);
  return response.json().data as { data: Conversation[]; total: number } & Record<string, unknown>;
}

const uuidsOf = (conversations: { uuid: string }[]) => conversations.map((c) => c.uuid);

/** Every conversation of the query in page mode, in its order. */
const allUuids = async (ws: TestWorkspace, query: Query = {}) => uuidsOf((await listData(ws, { ...query, per_page: 100 })).data);

const validation = (field: string, details: unknown = expect.any(String)) => ({
  success: false,
  message: 'The given data was invalid',
  error: { code: 'VALIDATION_ERROR', details, field },
});

const NOT_FOUND = { success: false, message: 'Conversation not found', error: { code: 'NOT_FOUND', details: 'Conversation not found' } };

function expectResponse(response: LightMyRequestResponse, status: number, body: unknown, label?: unknown) {
  expect({ label, status: response.statusCode, body: response.json() }).toEqual({ label, status, body });
}

/** Creates `bodies` through the API, a few at a time (PostgreSQL's pool works in parallel; SQLite serialises them anyway). */
async function createAll(ws: TestWorkspace, bodies: Record<string, unknown>[]): Promise<Conversation[]> {
  const created: Conversation[] = [];
  for (let i = 0; i < bodies.length; i += 5) created.push(...(await Promise.all(bodies.slice(i, i + 5).map((body) => create(ws, body)))));
  return created;
}

describeEachDialect('conversation family', (t) => {
  describe('GET /api/v1/conversations/{uuid}', () => {
    it('answers the conversation in the envelope, the very object the list shows', async () => {
      const ws = await t.newWorkspace();
      const fullUuid = randomUUID();
      const full = conversationBody();
      await create(ws, full, fullUuid);
      const bare = await create(ws, minimalBody({ created_at: '2024-03-02T00:00:00Z' }));

      const response = await get(ws, detailUrl(fullUuid));
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toMatch(/^application\/json/);
      expect(response.json()).toEqual({ success: true, message: 'Conversation retrieved successfully', data: { uuid: fullUuid, ...full } });
      expect(Object.keys(response.json())).toEqual(['success', 'message', 'data']);

      const listed = (await listData(ws)).data;
      for (const item of listed) {
        const one = await get(ws, detailUrl(item.uuid));
        expect(one.json()).toEqual({ success: true, message: 'Conversation retrieved successfully', data: item });
        // Same keys in the same order, nested objects included.
        expect(JSON.stringify(one.json().data)).toBe(JSON.stringify(item));
      }
      expect(uuidsOf(listed)).toEqual([bare.uuid, fullUuid]);

      // The path's uuid in upper case names the same conversation.
      expect((await get(ws, detailUrl(fullUuid.toUpperCase()))).json().data).toEqual({ uuid: fullUuid, ...full });
    });

    it("answers 404 for an unknown uuid and for another workspace's, 422 for a malformed one", async () => {
      const a = await t.newWorkspace();
      const b = await t.newWorkspace();
      const ofB = await create(b, minimalBody());
      await create(a, minimalBody());

      expectResponse(await get(a, detailUrl(randomUUID())), 404, NOT_FOUND);
      expectResponse(await get(a, detailUrl(ofB.uuid)), 404, NOT_FOUND);
      expect((await get(b, detailUrl(ofB.uuid))).statusCode).toBe(200);

      for (const malformed of ['not-a-uuid', '3c90c3cc-0d44-4b50-8888-8dd25736052', '3c90c3cc0d444b5088888dd25736052a', '%20']) {
        expectResponse(await get(a, detailUrl(malformed)), 422, validation('uuid', 'uuid must be a UUID'), malformed);
      }
    });
  });

  describe('PATCH /api/v1/conversations/{uuid}', () => {
    it('closes and reopens a conversation, moving updated_at to now only when the status changes', async () => {
      const ws = await t.newWorkspace();
      const uuid = randomUUID();
      const body = conversationBody();
      await create(ws, body, uuid);
      const other = await create(ws, minimalBody({ created_at: '2024-01-01T00:00:00Z' }));

      clockAt(now());
      const closed = await patch(ws, uuid, { status: 'Closed' });
      const closedConversation = { uuid, ...body, status: 'Closed', updated_at: now() };
      expectResponse(closed, 200, { success: true, message: 'Conversation updated successfully', data: closedConversation });
      expect(await detail(ws, uuid)).toEqual(closedConversation);
      expect(uuidsOf((await listData(ws, { status: 'closed' })).data)).toEqual([uuid]);
      expect(uuidsOf((await listData(ws, { status: 'Active' })).data)).toEqual([other.uuid]);

      // The same status again changes nothing, updated_at included.
      clockAt(now(60));
      expectResponse(await patch(ws, uuid, { status: 'Closed' }), 200, {
        success: true,
        message: 'Conversation updated successfully',
        data: closedConversation,
      });

      const reopened = { ...closedConversation, status: 'Active', updated_at: now(60) };
      expectResponse(await patch(ws, uuid.toUpperCase(), { status: 'Active' }), 200, {
        success: true,
        message: 'Conversation updated successfully',
        data: reopened,
      });
      expect(await detail(ws, uuid)).toEqual(reopened);
      expect((await listData(ws, { status: 'Closed' })).total).toBe(0);
      expect(uuidsOf((await listData(ws, { status: 'Active' })).data)).toEqual([uuid, other.uuid]);
      // The other conversation was never touched.
      expect(await detail(ws, other.uuid)).toEqual(other);
    });

    it('rejects unknown keys and a bad or missing status with 422 naming the field, changing nothing', async () => {
      const ws = await t.newWorkspace();
      const conversation = await create(ws, conversationBody());
      const cases: [unknown, string, string | undefined][] = [
        [{}, 'status', 'status is required'],
        [{ status: 'Open' }, 'status', 'status must be one of Active, Closed'],
        [{ status: 'closed' }, 'status', 'status must be one of Active, Closed'],
        [{ status: '' }, 'status', 'status must be one of Active, Closed'],
        [{ status: null }, 'status', undefined],
        [{ status: 1 }, 'status', undefined],
        [{ status: ['Closed'] }, 'status', undefined],
        [{ status: 'Closed', note: 'done' }, 'note', 'note is not a known field'],
        [{ status: 'Closed', updated_at: '2030-01-01T00:00:00Z' }, 'updated_at', 'updated_at is not a known field'],
        [{ status: 'Closed', channel: 'SMS' }, 'channel', 'channel is not a known field'],
        [[{ status: 'Closed' }], 'body', undefined],
      ];
      for (const [payload, field, details] of cases) {
        expectResponse(await patch(ws, conversation.uuid, payload), 422, validation(field, details ?? expect.any(String)), payload);
      }
      expectResponse(await patch(ws, 'not-a-uuid', { status: 'Closed' }), 422, validation('uuid', 'uuid must be a UUID'));
      expect(await detail(ws, conversation.uuid)).toEqual(conversation);
    });

    it("answers 404 for an unknown uuid and for another workspace's, which stays unchanged", async () => {
      const a = await t.newWorkspace();
      const b = await t.newWorkspace();
      const ofA = await create(a, minimalBody());
      const ofB = await create(b, conversationBody());

      for (const status of ['Closed', 'Active']) {
        expectResponse(await patch(a, ofB.uuid, { status }), 404, NOT_FOUND, status);
        expectResponse(await patch(a, randomUUID(), { status }), 404, NOT_FOUND, status);
      }
      expect(await detail(b, ofB.uuid)).toEqual(ofB);
      expect(await detail(a, ofA.uuid)).toEqual(ofA);
      expect((await listData(b, { status: 'Closed' })).total).toBe(0);
    });
  });

  describe('several values per filter', () => {
    /**
     * Five conversations, a minute apart (default order e, w2, c, s, w1):
     * w1 Whatsapp Active A1, s SMS Closed A2, c Call Active A3, w2 Whatsapp Closed A2, e Email Active no agent.
     */
    async function fixture(ws: TestWorkspace) {
      const agents = { A1: randomUUID(), A2: randomUUID(), A3: randomUUID() };
      const make = (minute: number, channel: string, status: string, agent: string | null) =>
        create(ws, minimalBody({ created_at: at(minute), channel, status, agent_uuid: agent }));
      const w1 = await make(0, 'Whatsapp', 'Active', agents.A1);
      const s = await make(1, 'SMS', 'Closed', agents.A2);
      const c = await make(2, 'Call', 'Active', agents.A3);
      const w2 = await make(3, 'Whatsapp', 'Closed', agents.A2);
      const e = await make(4, 'Email', 'Active', null);
      return { ...agents, w1, s, c, w2, e };
    }

    it('matches any of comma-separated channels, statuses and agents, with the exact total', async () => {
      const ws = await t.newWorkspace();
      const f = await fixture(ws);
      const unknown = randomUUID();
      const cases: [Query | string, Conversation[]][] = [
        [{ channel: 'whatsapp,sms' }, [f.w2, f.s, f.w1]],
        [{ channel: 'SMS,Whatsapp' }, [f.w2, f.s, f.w1]],
        [{ channel: 'wHaTsApP , sms' }, [f.w2, f.s, f.w1]],
        ['?channel=whatsapp%2Csms', [f.w2, f.s, f.w1]],
        [{ channel: 'sms,SMS,Sms' }, [f.s]],
        [{ channel: 'Whatsapp ' }, [f.w2, f.w1]],
        [{ channel: ' call' }, [f.c]],
        [{ channel: 'whatsapp,sms,call,email' }, [f.e, f.w2, f.c, f.s, f.w1]],
        [{ channel: 'messenger,instagram,webchat' }, []],
        [{ status: 'Active,Closed' }, [f.e, f.w2, f.c, f.s, f.w1]],
        [{ status: 'closed,ACTIVE' }, [f.e, f.w2, f.c, f.s, f.w1]],
        [{ status: 'Closed,closed' }, [f.w2, f.s]],
        [{ agent_uuid: `${f.A1},${f.A2}` }, [f.w2, f.s, f.w1]],
        [{ agent_uuid: `${f.A3.toUpperCase()},${f.A1}` }, [f.c, f.w1]],
        [{ agent_uuid: `${f.A2},${f.A2}` }, [f.w2, f.s]],
        [{ agent_uuid: `${unknown},${f.A1}` }, [f.w1]],
        [{ agent_uuid: `${f.A3},${unknown}` }, [f.c]],
        [{ agent_uuid: `${unknown},${randomUUID()}` }, []],
        // Another entity's uuid is not an agent's.
        [{ agent_uuid: `${f.w1.uuid},${f.s.uuid}` }, []],
        [{ channel: 'whatsapp,sms', status: 'closed', agent_uuid: `${f.A1},${f.A2}` }, [f.w2, f.s]],
        [{ channel: 'whatsapp,call', status: 'Active', agent_uuid: `${f.A1},${f.A3},${unknown}` }, [f.c, f.w1]],
        [{ channel: 'email,call', status: 'Active,Closed', agent_uuid: f.A3 }, [f.c]],
        [{ channel: 'sms,email', status: 'active' }, [f.e]],
      ];
      for (const [query, expected] of cases) {
        const all = await listData(ws, query);
        expect({ query, uuids: uuidsOf(all.data), total: all.total }).toEqual({ query, uuids: uuidsOf(expected), total: expected.length });
        const first = typeof query === 'string' ? await listData(ws, `${query}&per_page=1`) : await listData(ws, { ...query, per_page: 1 });
        expect({ query, total: first.total, length: first.data.length }).toEqual({
          query,
          total: expected.length,
          length: Math.min(1, expected.length),
        });
      }
    });

    it('rejects a list holding an unknown value or a malformed uuid with 422 naming the parameter', async () => {
      const ws = await t.newWorkspace();
      const f = await fixture(ws);
      const cases: [Query, string][] = [
        [{ channel: 'whatsapp,telegram' }, 'channel'],
        [{ channel: 'whatsapp,' }, 'channel'],
        [{ channel: ',sms' }, 'channel'],
        [{ channel: 'whatsapp,,sms' }, 'channel'],
        [{ channel: 'whatsapp;sms' }, 'channel'],
        [{ channel: 'whatsapp sms' }, 'channel'],
        [{ status: 'Active,Open' }, 'status'],
        [{ status: 'Active,' }, 'status'],
        [{ status: 'Active|Closed' }, 'status'],
        [{ agent_uuid: `${f.A1},not-a-uuid` }, 'agent_uuid'],
        [{ agent_uuid: `${f.A1},` }, 'agent_uuid'],
        [{ agent_uuid: `,${f.A1}` }, 'agent_uuid'],
        [{ agent_uuid: `${f.A1};${f.A2}` }, 'agent_uuid'],
        [{ agent_uuid: `${f.A1},${f.A2.slice(0, -1)}` }, 'agent_uuid'],
        [{ channel: 'sms,whatsapp', status: 'Active,Closed', agent_uuid: `${f.A1},x` }, 'agent_uuid'],
      ];
      for (const [query, field] of cases) {
        const response = await ws.list(query);
        expectResponse(response, 422, validation(field), query);
        expect(response.json().error.details).toContain(field);
      }
      expect((await ws.list({ channel: 'whatsapp,telegram' })).json().error.details).toBe(
        'channel must be one or more of Whatsapp, SMS, Call, Messenger, Instagram, Email, Webchat, separated by commas',
      );
      expect((await ws.list({ agent_uuid: `${f.A1},x` })).json().error.details).toBe(
        'agent_uuid must be one or more UUIDs separated by commas',
      );
    });
  });

  describe('created_from, created_to and updated_since', () => {
    /**
     * Created ten minutes apart (default order e, d, c, b, a); updated_at: a 50, b 20, c 30, d 30, e 45.
     * a and c on Whatsapp, the others on SMS; d is Closed.
     */
    async function fixture(ws: TestWorkspace) {
      const make = (created: number, updated: number, channel: string, status = 'Active') =>
        create(ws, minimalBody({ created_at: at(created), updated_at: at(updated), channel, status }));
      return {
        a: await make(0, 50, 'Whatsapp'),
        b: await make(10, 20, 'SMS'),
        c: await make(20, 30, 'Whatsapp'),
        d: await make(30, 30, 'SMS', 'Closed'),
        e: await make(40, 45, 'SMS'),
      };
    }

    it('takes every bound inclusively, to the second, in any offset, and combines with the other filters', async () => {
      const ws = await t.newWorkspace();
      const { a, b, c, d, e } = await fixture(ws);
      const cases: [Query, Conversation[]][] = [
        [{ created_from: at(10) }, [e, d, c, b]],
        [{ created_from: at(10, -1) }, [e, d, c, b]],
        [{ created_from: at(10, 1) }, [e, d, c]],
        [{ created_from: '2024-03-01T12:10:00+02:00' }, [e, d, c, b]],
        [{ created_from: '2024-03-01T04:10:01-06:00' }, [e, d, c]],
        // A fraction counts: b, created at 10:10:00, is before 10:10:00.5.
        [{ created_from: `${at(10).slice(0, -1)}.5Z` }, [e, d, c]],
        [{ created_from: `${at(10).slice(0, -1)}.000Z` }, [e, d, c, b]],
        [{ created_from: at(40) }, [e]],
        [{ created_from: at(40, 1) }, []],
        [{ created_to: at(30) }, [d, c, b, a]],
        [{ created_to: at(30, -1) }, [c, b, a]],
        [{ created_to: `${at(30).slice(0, -1)}.999Z` }, [d, c, b, a]],
        [{ created_to: at(0) }, [a]],
        [{ created_to: at(0, -1) }, []],
        [{ created_from: at(10), created_to: at(30) }, [d, c, b]],
        [{ created_from: at(20), created_to: at(20) }, [c]],
        [{ created_from: at(20, 1), created_to: at(20) }, []],
        [{ updated_since: at(30) }, [e, d, c, a]],
        [{ updated_since: at(30, 1) }, [e, a]],
        [{ updated_since: `${at(30).slice(0, -1)}.5Z` }, [e, a]],
        [{ updated_since: at(20) }, [e, d, c, b, a]],
        [{ updated_since: at(50) }, [a]],
        [{ updated_since: at(50, 1) }, []],
        [{ updated_since: at(30), sort_by: 'updated_at', sort_dir: 'asc' }, [c, d, e, a]],
        [{ updated_since: at(30), sort_by: 'updated_at' }, [a, e, d, c]],
        [{ updated_since: at(30), channel: 'sms' }, [e, d]],
        [{ updated_since: at(30), channel: 'sms', status: 'closed' }, [d]],
        [{ created_from: at(10), created_to: at(30), updated_since: at(25) }, [d, c]],
        [{ created_from: at(10), created_to: at(30), updated_since: at(25), channel: 'whatsapp' }, [c]],
        [{ created_to: at(20), updated_since: at(30), channel: 'whatsapp,sms', status: 'Active' }, [c, a]],
      ];
      for (const [query, expected] of cases) {
        const all = await listData(ws, query);
        expect({ query, uuids: uuidsOf(all.data), total: all.total }).toEqual({ query, uuids: uuidsOf(expected), total: expected.length });
        expect({ query, total: (await listData(ws, { ...query, per_page: 1 })).total }).toEqual({ query, total: expected.length });
      }
    });

    it('rejects a value that is not a date-time with 422 naming the parameter', async () => {
      const ws = await t.newWorkspace();
      await fixture(ws);
      for (const field of ['created_from', 'created_to', 'updated_since']) {
        for (const value of ['yesterday', '2024-03-01', '2024-02-30T00:00:00Z', '2024-03-01T25:00:00Z', '1709287200', '']) {
          expectResponse(await ws.list({ [field]: value }), 422, validation(field, `${field} must be a valid date-time`), { field, value });
        }
        expectResponse(await ws.list(`?${field}=${at(0)}&${field}=${at(1)}`), 422, validation(field, `${field} must be given only once`));
      }
    });

    it('lets a client sync by polling with the newest updated_at it has seen', async () => {
      const ws = await t.newWorkspace();
      const poll = async (since?: string) =>
        (await listData(ws, { updated_since: since, sort_by: 'updated_at', sort_dir: 'asc', per_page: 100 })).data;
      const newest = (conversations: Conversation[]) => conversations.map((c) => c.updated_at).sort()[conversations.length - 1]!;

      clockAt(now(0));
      const first = await create(ws, minimalBody());
      clockAt(now(1));
      const second = await create(ws, minimalBody());
      clockAt(now(2));
      const third = await create(ws, minimalBody({ channel: 'Whatsapp' }));

      let seen = await poll();
      expect(seen).toEqual([first, second, third]);
      // Nothing changed: only the newest comes back (the bound is inclusive, so nothing of that second is ever missed).
      expect(await poll(newest(seen))).toEqual([third]);

      clockAt(now(3));
      expect((await patch(ws, first.uuid, { status: 'Closed' })).statusCode).toBe(200);
      seen = await poll(newest(seen));
      expect(seen).toEqual([third, { ...first, status: 'Closed', updated_at: now(3) }]);

      clockAt(now(4));
      await appendMessage(ws, second.uuid, { sender: 'Contact', content: 'Hello?', created_at: now(4) });
      seen = await poll(newest(seen));
      expect(uuidsOf(seen)).toEqual([first.uuid, second.uuid]);
      expect(seen[1]).toEqual({ ...second, timestamp: now(4), updated_at: now(4) });

      clockAt(now(5));
      const changed = await ws.put(third.uuid, { channel: 'Email', contact: third.contact });
      expect(changed.statusCode).toBe(200);
      seen = await poll(newest(seen));
      expect(seen).toEqual([await detail(ws, second.uuid), { ...third, channel: 'Email', updated_at: now(5) }]);

      clockAt(now(6));
      const fourth = await create(ws, minimalBody());
      seen = await poll(newest(seen));
      expect(uuidsOf(seen)).toEqual([third.uuid, fourth.uuid]);
      expect(await poll(newest(seen))).toEqual([fourth]);
    });
  });

  describe('cursor paging', () => {
    const SORTS = [
      ['created_at', 'desc'],
      ['created_at', 'asc'],
      ['updated_at', 'desc'],
      ['updated_at', 'asc'],
    ] as const;

    /** 25 conversations whose created_at tie in threes and updated_at in fives; every third on Whatsapp, every other Closed. */
    const seed = (ws: TestWorkspace) =>
      createAll(
        ws,
        Array.from({ length: 25 }, (_, i) =>
          minimalBody({
            created_at: at(Math.floor(i / 3)),
            updated_at: at(100 + ((i * 7) % 5)),
            channel: i % 3 === 1 ? 'Whatsapp' : 'SMS',
            status: i % 2 ? 'Closed' : 'Active',
          }),
        ),
      );

    async function cursorPage(ws: TestWorkspace, query: Query) {
      const response = await ws.list(query);
      expect(response.statusCode, response.body).toBe(200);
      const json = response.json();
      expect(Object.keys(json)).toEqual(['success', 'message', 'data']);
      expect(Object.keys(json.data)).toEqual(['data', 'per_page', 'total', 'next_cursor']);
      expect(json).toMatchObject({ success: true, message: 'Conversations retrieved successfully' });
      return json.data as CursorPage;
    }

    /** Follows next_cursor from an empty cursor to null; `between` runs after each page but the last. */
    async function walk(ws: TestWorkspace, query: Query, between?: (page: number) => Promise<void>) {
      const pages: CursorPage[] = [];
      let cursor = '';
      for (let page = 1; page < 100; page++) {
        const data = await cursorPage(ws, { ...query, cursor });
        pages.push(data);
        if (data.next_cursor === null) return pages;
        expect(data.data).toHaveLength(data.per_page);
        cursor = data.next_cursor;
        await between?.(page);
      }
      throw new Error('the walk did not end');
    }

    it('walks every conversation exactly once, in page order, in each sort, with next_cursor null on the last page', async () => {
      const ws = await t.newWorkspace();
      await seed(ws);
      for (const [sortBy, sortDir] of SORTS) {
        const sort = { sort_by: sortBy, sort_dir: sortDir };
        const pages = await walk(ws, { ...sort, per_page: 4 });
        expect(pages).toHaveLength(7);
        for (const [index, cursorData] of pages.entries()) {
          const pageResponse = await ws.list({ ...sort, per_page: 4, page: index + 1 });
          const pageData = pageResponse.json().data;
          expect(Object.keys(pageData)).toEqual(['current_page', 'data', 'per_page', 'total', 'last_page']);
          expect({ sort, index, cursorData }).toEqual({
            sort,
            index,
            cursorData: { data: pageData.data, per_page: 4, total: 25, next_cursor: index < 6 ? expect.any(String) : null },
          });
        }
        const walked = pages.flatMap((page) => uuidsOf(page.data));
        expect({ sort, walked }).toEqual({ sort, walked: await allUuids(ws, sort) });
        expect(new Set(walked).size).toBe(25);
      }
      // Defaults (created_at desc) in both modes, and one page holding everything.
      const [everything] = await walk(ws, { per_page: 100 });
      expect(everything).toEqual({ data: (await listData(ws, { per_page: 100 })).data, per_page: 100, total: 25, next_cursor: null });
      expect(uuidsOf((await cursorPage(ws, { cursor: '' })).data)).toEqual((await allUuids(ws)).slice(0, 15));
    });

    it('applies the filters in cursor mode, total counting every match, and ends without an empty page', async () => {
      const ws = await t.newWorkspace();
      await seed(ws);
      const cases: Query[] = [
        { channel: 'whatsapp' },
        { channel: 'sms', status: 'closed', sort_by: 'updated_at' },
        { channel: 'whatsapp,sms', status: 'Active', sort_dir: 'asc' },
        { created_from: at(2), created_to: at(5), sort_by: 'updated_at', sort_dir: 'asc' },
        { updated_since: at(103), channel: 'sms' },
        { channel: 'email' },
      ];
      for (const filters of cases) {
        const expected = await allUuids(ws, filters);
        const pages = await walk(ws, { ...filters, per_page: 4 });
        expect({ filters, walked: pages.flatMap((page) => uuidsOf(page.data)) }).toEqual({ filters, walked: expected });
        expect({ filters, totals: pages.map((page) => page.total) }).toEqual({ filters, totals: pages.map(() => expected.length) });
        // Whatsapp holds exactly 8: the second page is the last, not an empty third.
        expect({ filters, pages: pages.length }).toEqual({ filters, pages: Math.max(1, Math.ceil(expected.length / 4)) });
      }
      expect(await allUuids(ws, { channel: 'whatsapp' })).toHaveLength(8);
      expect(await walk(ws, { channel: 'email' })).toEqual([{ data: [], per_page: 15, total: 0, next_cursor: null }]);
    });

    it('neither repeats nor skips while conversations are added between pages: newest first leaves them out, oldest first ends with them', async () => {
      const ws = await t.newWorkspace();
      await createAll(
        ws,
        Array.from({ length: 10 }, (_, i) => minimalBody({ created_at: at(Math.floor(i / 2)) })),
      );
      // Conversations added during the walks are created "now", later than every seeded one.
      clockAt(now());
      for (const sortDir of ['desc', 'asc'] as const) {
        const before = await allUuids(ws, { sort_dir: sortDir });
        const added: string[] = [];
        const pages = await walk(ws, { sort_dir: sortDir, per_page: 3 }, async () => {
          added.push((await create(ws, minimalBody())).uuid);
        });
        const walked = pages.flatMap((page) => uuidsOf(page.data));
        expect(new Set(walked).size).toBe(walked.length);
        if (sortDir === 'desc') {
          expect(walked).toEqual(before);
          expect(added).toHaveLength(3);
        } else {
          // Each page added one more, so the walk ends only once it has caught up with them.
          expect(walked).toEqual([...before, ...added]);
        }
        expect(pages[pages.length - 1]!.total).toBe(before.length + added.length);
        expect(await allUuids(ws, { sort_dir: sortDir })).toEqual(
          sortDir === 'desc' ? [...[...added].reverse(), ...before] : [...before, ...added],
        );
      }
    });

    it('rejects a cursor made for another sort, or one it never handed out, with 422 naming cursor', async () => {
      const ws = await t.newWorkspace();
      await seed(ws);
      const { next_cursor: cursor } = await cursorPage(ws, { per_page: 4, cursor: '' });
      expect(cursor).toEqual(expect.any(String));
      const madeFor = validation('cursor', 'cursor was made for sort_by=created_at&sort_dir=desc; repeat those with it');
      for (const sort of [{ sort_dir: 'asc' }, { sort_by: 'updated_at' }, { sort_by: 'updated_at', sort_dir: 'asc' }]) {
        expectResponse(await ws.list({ ...sort, per_page: 4, cursor: cursor! }), 422, madeFor, sort);
      }
      // The same cursor with its own sort, spelled out or by default, goes on.
      expect((await cursorPage(ws, { sort_by: 'created_at', sort_dir: 'desc', per_page: 4, cursor: cursor! })).data).toHaveLength(4);

      const encode = (text: string) => Buffer.from(text).toString('base64url');
      for (const garbage of [
        'garbage',
        '!!!!',
        '0',
        'c1:created_at:desc:1709287200:1',
        encode('c1:created_at:desc:1709287200:'),
        encode('c1:created_at:desc:abc:1'),
        encode('c1:created_at:desc:1.5:1'),
        encode('c1:created_at:desc:1709287200:-1'),
        encode('c1:timestamp:desc:1709287200:1'),
        encode('c2:created_at:desc:1709287200:1'),
        encode('c1:created_at:desc:1709287200:1234567890123456'),
        encode(`c1:created_at:desc:1709287200:1\n`),
      ]) {
        expectResponse(await ws.list({ cursor: garbage }), 422, validation('cursor', 'cursor is not one this API handed out'), garbage);
      }
      expectResponse(await ws.list({ cursor: 'a'.repeat(201) }), 422, validation('cursor'));
      expectResponse(await ws.list(`?cursor=${cursor}&cursor=${cursor}`), 422, validation('cursor', 'cursor must be given only once'));
    });
  });

  describe('ETag and If-None-Match', () => {
    /** A 200 with an ETag; the same request with that tag in If-None-Match is a 304 with an empty body and the same tag. */
    async function tagged(ws: TestWorkspace, url: string) {
      const response = await get(ws, url);
      expect(response.statusCode, `${url} ${response.body}`).toBe(200);
      const etag = response.headers.etag as string;
      expect(etag, url).toMatch(/^W\/"[^"]+"$/);
      const again = await get(ws, url, etag);
      expect({ url, status: again.statusCode, body: again.body, etag: again.headers.etag }).toEqual({ url, status: 304, body: '', etag });
      return { etag, json: response.json() };
    }

    /** The conditional request after a change: a 200 with the current data and a new tag. */
    async function changed(ws: TestWorkspace, url: string, oldEtag: string) {
      const response = await get(ws, url, oldEtag);
      expect(response.statusCode, url).toBe(200);
      expect(response.headers.etag, url).not.toBe(oldEtag);
      const fresh = await get(ws, url);
      expect(response.json()).toEqual(fresh.json());
      expect(response.headers.etag).toBe(fresh.headers.etag);
      return { etag: response.headers.etag as string, json: response.json() };
    }

    it('labels list and detail answers, and answers a repeat with 304 and an empty body', async () => {
      const ws = await t.newWorkspace();
      const conversation = await create(ws, conversationBody());
      for (const url of [
        listUrl(),
        listUrl({ page: 2, per_page: 1 }),
        listUrl({ channel: 'whatsapp,sms', status: 'Active' }),
        listUrl({ cursor: '' }),
        detailUrl(conversation.uuid),
      ]) {
        await tagged(ws, url);
      }
      const { json } = await tagged(ws, detailUrl(conversation.uuid));
      expect(json.data).toEqual(conversation);
    });

    // Fails until GET /conversations/{uuid}/messages and /sessions opt in with `config: { etag: true }`
    it('labels the messages and sessions lists of a conversation, and answers a repeat with 304', async () => {
      const ws = await t.newWorkspace();
      const session = randomUUID();
      const conversation = await create(ws, conversationBody({ session_uuids: [session] }));
      await appendMessage(ws, conversation.uuid, { session_uuid: session, sender: 'Contact', content: 'Hi', created_at: at(1) });
      const urls = [detailUrl(conversation.uuid, '/messages'), detailUrl(conversation.uuid, '/sessions')];
      const tags = [];
      for (const url of urls) tags.push((await tagged(ws, url)).etag);
      await appendMessage(ws, conversation.uuid, { session_uuid: session, sender: 'AI', content: 'Hello', created_at: at(2) });
      for (const [index, url] of urls.entries()) await changed(ws, url, tags[index]!);
    });

    it("answers 200 with the new data and a new tag after any change to the workspace's data", async () => {
      const ws = await t.newWorkspace();
      const body = conversationBody();
      const conversation = await create(ws, body);
      const urls = [listUrl(), listUrl({ status: 'closed' }), detailUrl(conversation.uuid)];
      let tags = await Promise.all(urls.map(async (url) => (await tagged(ws, url)).etag));
      const expectNewTags = async (label: string) => {
        const next: string[] = [];
        for (const [index, url] of urls.entries()) {
          const fresh = await changed(ws, url, tags[index]!);
          expect(new Set([fresh.etag, ...tags]).size, label).toBe(tags.length + 1);
          expect((await get(ws, url, fresh.etag)).statusCode, label).toBe(304);
          next.push(fresh.etag);
        }
        tags = next;
      };

      const other = await create(ws, minimalBody({ created_at: '2024-01-01T00:00:00Z' }));
      await expectNewTags('PUT of a new conversation');
      expect((await listData(ws)).total).toBe(2);

      expect((await ws.put(other.uuid, { channel: 'Email', contact: other.contact })).statusCode).toBe(200);
      await expectNewTags('PUT of a changed conversation');
      expect((await detail(ws, other.uuid)).channel).toBe('Email');

      expect((await patch(ws, conversation.uuid, { status: 'Closed' })).statusCode).toBe(200);
      await expectNewTags('PATCH');
      expect(uuidsOf((await listData(ws, { status: 'closed' })).data)).toEqual([conversation.uuid]);

      await appendMessage(ws, conversation.uuid, { sender: 'Contact', content: 'Still there?', created_at: '2031-01-01T00:00:00Z' });
      await expectNewTags('POST of a message');
      expect((await detail(ws, conversation.uuid)).timestamp).toBe('2031-01-01T00:00:00Z');
    });

    it("keeps a workspace's tags valid while another workspace changes", async () => {
      const a = await t.newWorkspace();
      const b = await t.newWorkspace();
      const ofA = await create(a, conversationBody());
      const ofB = await create(b, conversationBody());
      const urls = [listUrl(), detailUrl(ofA.uuid)];
      const tags = await Promise.all(urls.map(async (url) => (await tagged(a, url)).etag));

      await create(b, minimalBody());
      expect((await patch(b, ofB.uuid, { status: 'Closed' })).statusCode).toBe(200);
      await appendMessage(b, ofB.uuid, { sender: 'AI', content: 'Hi' });
      // A's uuid in B's hands changes nothing either.
      expect((await patch(b, ofA.uuid, { status: 'Closed' })).statusCode).toBe(404);

      for (const [index, url] of urls.entries()) expect((await get(a, url, tags[index])).statusCode, url).toBe(304);
      // A's tag never validates B's answer to the same URL.
      const bList = await get(b, listUrl(), tags[0]);
      expect(bList.statusCode).toBe(200);
      expect(bList.headers.etag).not.toBe(tags[0]);
    });

    it('gives every URL its own tag', async () => {
      const ws = await t.newWorkspace();
      const [one, two] = await createAll(ws, [minimalBody(), minimalBody()]);
      const urls = [
        listUrl(),
        listUrl({ page: 2 }),
        listUrl({ page: 2, per_page: 1 }),
        listUrl({ per_page: 1 }),
        listUrl({ channel: 'sms' }),
        listUrl({ channel: 'SMS' }),
        listUrl({ sort_dir: 'asc' }),
        listUrl({ cursor: '' }),
        detailUrl(one!.uuid),
        detailUrl(two!.uuid),
        detailUrl(one!.uuid.toUpperCase()),
      ];
      const tags = [];
      for (const url of urls) tags.push((await tagged(ws, url)).etag);
      expect(new Set(tags).size).toBe(urls.length);
      // One URL's tag is stale for another.
      expect((await get(ws, listUrl({ page: 2 }), tags[0])).statusCode).toBe(200);
      expect((await get(ws, detailUrl(two!.uuid), tags[8])).statusCode).toBe(200);
    });

    it('answers 304 to a list holding the current tag, 200 to *, to a stale or to an unknown one', async () => {
      const ws = await t.newWorkspace();
      const conversation = await create(ws, minimalBody());
      for (const url of [listUrl(), detailUrl(conversation.uuid)]) {
        const { etag } = await tagged(ws, url);
        const strong = etag.replace(/^W\//, '');
        const matching = [`"other", ${etag}`, `${etag},"other"`, `W/"a",W/"b" , ${etag}`, strong, `"x", ${strong}`];
        for (const ifNoneMatch of matching) {
          const response = await get(ws, url, ifNoneMatch);
          expect({ url, ifNoneMatch, status: response.statusCode, body: response.body }).toEqual({
            url,
            ifNoneMatch,
            status: 304,
            body: '',
          });
        }
        // `*` is not honoured: answering it needs the handler to know the resource exists first.
        for (const ifNoneMatch of ['"other"', 'W/"other", "x"', `${etag}x`, '', '*', ' * ']) {
          expect({ url, ifNoneMatch, status: (await get(ws, url, ifNoneMatch)).statusCode }).toEqual({ url, ifNoneMatch, status: 200 });
        }
      }

      const listTag = (await tagged(ws, listUrl())).etag;
      await create(ws, minimalBody());
      const stale = await get(ws, listUrl(), listTag);
      expect(stale.statusCode).toBe(200);
      expect(stale.json().data.total).toBe(2);
      expect((await get(ws, listUrl(), `"other", ${listTag}`)).statusCode).toBe(200);
    });

    it('answers * with 404, never 304, for a conversation that is not in the workspace', async () => {
      const a = await t.newWorkspace();
      const b = await t.newWorkspace();
      const ofB = await create(b, minimalBody());
      for (const uuid of [randomUUID(), ofB.uuid]) {
        expectResponse(await get(a, detailUrl(uuid), '*'), 404, NOT_FOUND, uuid);
        expectResponse(await get(a, detailUrl(uuid.toUpperCase()), '*'), 404, NOT_FOUND, uuid);
      }
      expect((await get(b, detailUrl(ofB.uuid), '*')).statusCode).toBe(200);
    });
  });
});
