import { randomUUID } from 'node:crypto';
import type { KyselyPlugin } from 'kysely';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { importNdjson } from '../src/bulk/import.js';
import { describeEachDialect, type Query, type TestContext, type TestWorkspace, workspaceClient } from './helpers/app.js';
import { conversationBody, minimalBody } from './helpers/fixtures.js';

/** The example response of the published reference page (seeds/conversations-list.txt), verbatim. */
const SEED_EXAMPLE = {
  success: true,
  message: 'Conversations retrieved successfully',
  data: {
    current_page: 1,
    data: [
      {
        uuid: '3c90c3cc-0d44-4b50-8888-8dd25736052a',
        type: 'Real',
        status: 'Active',
        responded_by: 'AI',
        is_simulation: true,
        timestamp: '2023-11-07T05:31:56Z',
        created_at: '2023-11-07T05:31:56Z',
        updated_at: '2023-11-07T05:31:56Z',
        agent_uuid: '3c90c3cc-0d44-4b50-8888-8dd25736052a',
        channel: 'Whatsapp',
        contact: {
          uuid: '3c90c3cc-0d44-4b50-8888-8dd25736052a',
          name: '<string>',
          surname: '<string>',
          phone_number: '<string>',
          email: '<string>',
        },
        session_uuids: ['3c90c3cc-0d44-4b50-8888-8dd25736052a'],
        campaign_uuid: '3c90c3cc-0d44-4b50-8888-8dd25736052a',
        listing_uuid: '3c90c3cc-0d44-4b50-8888-8dd25736052a',
        task_uuids: ['3c90c3cc-0d44-4b50-8888-8dd25736052a'],
        call: {
          uuid: '3c90c3cc-0d44-4b50-8888-8dd25736052a',
          direction: 'Inbound',
          status: 'in-progress',
          duration: 123,
          recording_url: '<string>',
          handled_by: 'AI',
          summary: '<string>',
          timestamp: '2023-11-07T05:31:56Z',
        },
      },
    ],
    total: 123,
    last_page: 123,
  },
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;

/** Every object as its ordered list of keys, recursively: toEqual on the result compares key order too. */
function keyOrder(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(keyOrder);
  if (value !== null && typeof value === 'object') return Object.entries(value).map(([key, item]) => [key, keyOrder(item)]);
  return null;
}

/** Every leaf as its kind: uuid, time, string, integer, boolean or null. */
function shapeOf(value: unknown): unknown {
  if (value === null) return 'null';
  if (Array.isArray(value)) return value.map(shapeOf);
  if (typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, shapeOf(item)]));
  if (typeof value === 'string') return UUID.test(value) ? 'uuid' : TIME.test(value) ? 'time' : 'string';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

/** `2024-03-01T10:00:00Z` plus `minutes`. */
const at = (minutes: number) => new Date(Date.UTC(2024, 2, 1, 10, 0, 0) + minutes * 60_000).toISOString().replace('.000Z', 'Z');

type Conversation = ReturnType<typeof conversationBody> & { uuid: string };

async function create(ws: TestWorkspace, body: Record<string, unknown>, uuid: string = randomUUID()): Promise<Conversation> {
  const response = await ws.put(uuid, body);
  expect(response.statusCode, response.body).toBe(201);
  return response.json().data;
}

async function page(ws: TestWorkspace, query: Query | string = {}) {
  const response = await ws.list(query);
  expect(response.statusCode, response.body).toBe(200);
  return response.json().data as { current_page: number; data: Conversation[]; per_page: number; total: number; last_page: number };
}

/** An import line: a conversation created at `at(i)`, with a contact of its own holding `phone_number`. */
function lineWithPhone(i: number, phone_number: string, overrides: Record<string, unknown> = {}) {
  return {
    uuid: randomUUID(),
    ...conversationBody({ created_at: at(i), ...overrides, contact: { ...conversationBody().contact, uuid: randomUUID(), phone_number } }),
  };
}

/** Imports `lines` into the workspace, then lists all of it, newest first. */
async function importedAndListed(t: TestContext, ws: TestWorkspace, lines: object[]): Promise<Conversation[]> {
  await importNdjson(
    t.db,
    ws.id,
    (async function* () {
      for (const line of lines) yield JSON.stringify(line);
    })(),
  );
  const all: Conversation[] = [];
  for (let n = 1; n <= Math.ceil(lines.length / 100); n++) all.push(...(await page(ws, { page: n, per_page: 100 })).data);
  return all;
}

/** Each query's whole page against the conversations it should find, in order (default 15 a page). */
async function expectPages(ws: TestWorkspace, cases: [Query, Conversation[]][]) {
  for (const [query, expected] of cases) {
    const perPage = Number(query.per_page ?? 15);
    const pageNumber = Number(query.page ?? 1);
    expect({ query, data: await page(ws, query) }).toEqual({
      query,
      data: {
        current_page: pageNumber,
        data: expected.slice((pageNumber - 1) * perPage, pageNumber * perPage),
        per_page: perPage,
        total: expected.length,
        last_page: Math.ceil(expected.length / perPage),
      },
    });
  }
}

const uuidsOf = async (ws: TestWorkspace, query: Query | string = {}) => (await page(ws, query)).data.map((c) => c.uuid);

function expectValidationError(response: { statusCode: number; json(): unknown }, field: string) {
  expect(response.statusCode).toBe(422);
  expect(response.json()).toEqual({
    success: false,
    message: 'The given data was invalid',
    error: { code: 'VALIDATION_ERROR', details: expect.any(String), field },
  });
}

const emptyPage = (extra: Partial<{ current_page: number; per_page: number }> = {}) => ({
  success: true,
  message: 'Conversations retrieved successfully',
  data: { current_page: 1, data: [], per_page: 15, total: 0, last_page: 1, ...extra },
});

describeEachDialect('GET /api/v1/conversations', (t) => {
  describe('response shape', () => {
    it('matches the seed example key by key, in the same order, with the same kinds of values', async () => {
      const ws = await t.newWorkspace();
      const body = conversationBody();
      const uuid = randomUUID();
      await create(ws, body, uuid);

      const response = await ws.list();
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toMatch(/^application\/json/);
      const json = response.json();
      expect(json).toEqual({
        success: true,
        message: 'Conversations retrieved successfully',
        data: { current_page: 1, data: [{ uuid, ...body }], per_page: 15, total: 1, last_page: 1 },
      });

      // The seed's envelope, with per_page added after data (the contract's one addition).
      const seedOrder = keyOrder(SEED_EXAMPLE) as [string, unknown][];
      const [, seedData] = seedOrder[2] as [string, [string, unknown][]];
      const expectedOrder = [
        seedOrder[0],
        seedOrder[1],
        ['data', [seedData[0], seedData[1], ['per_page', null], seedData[2], seedData[3]]],
      ];
      expect(keyOrder(json)).toEqual(expectedOrder);
      // Item, contact and call keys in the seed's order.
      const item = json.data.data[0];
      expect(Object.keys(item)).toEqual(Object.keys(SEED_EXAMPLE.data.data[0]!));
      expect(Object.keys(item.contact)).toEqual(Object.keys(SEED_EXAMPLE.data.data[0]!.contact));
      expect(Object.keys(item.call)).toEqual(Object.keys(SEED_EXAMPLE.data.data[0]!.call));
      // Same kinds of values: uuids, `…Z` times without a fraction, booleans, integers, strings.
      expect(shapeOf(item)).toEqual(shapeOf(SEED_EXAMPLE.data.data[0]));
      expect(shapeOf(json.data.current_page)).toBe('integer');
      expect(shapeOf(json.data.total)).toBe('integer');
      expect(shapeOf(json.data.last_page)).toBe('integer');
      // The raw text carries no fractions of seconds and no offsets other than Z.
      expect(response.body).not.toMatch(/\d\d:\d\d:\d\d\.\d/);
      expect(response.body).not.toMatch(/[+-]\d\d:\d\d"/);
    });

    it('shows unknowns as null, empty lists as [] and a conversation without a call as call: null, keys unchanged', async () => {
      const ws = await t.newWorkspace();
      const uuid = randomUUID();
      const contactUuid = randomUUID();
      const created = await create(ws, { channel: 'SMS', contact: { uuid: contactUuid } }, uuid);

      const { data } = await page(ws);
      expect(data).toEqual([
        {
          uuid,
          type: 'Real',
          status: 'Active',
          responded_by: null,
          is_simulation: false,
          timestamp: created.created_at,
          created_at: created.created_at,
          updated_at: created.updated_at,
          agent_uuid: null,
          channel: 'SMS',
          contact: { uuid: contactUuid, name: null, surname: null, phone_number: null, email: null },
          session_uuids: [],
          campaign_uuid: null,
          listing_uuid: null,
          task_uuids: [],
          call: null,
        },
      ]);
      expect(Object.keys(data[0]!)).toEqual(Object.keys(SEED_EXAMPLE.data.data[0]!));
      expect(Object.keys(data[0]!.contact)).toEqual(Object.keys(SEED_EXAMPLE.data.data[0]!.contact));
      expect(data[0]!.created_at).toMatch(TIME);
    });

    it('shows a call whose fields are unknown with every call key present and null', async () => {
      const ws = await t.newWorkspace();
      const callUuid = randomUUID();
      await create(ws, minimalBody({ call: { uuid: callUuid } }));
      const [item] = (await page(ws)).data;
      expect(item!.call).toEqual({
        uuid: callUuid,
        direction: null,
        status: null,
        duration: null,
        recording_url: null,
        handled_by: null,
        summary: null,
        timestamp: null,
      });
      expect(Object.keys(item!.call!)).toEqual(Object.keys(SEED_EXAMPLE.data.data[0]!.call));
      expect(item!.task_uuids).toEqual([]);
      expect(item!.campaign_uuid).toBeNull();
    });
  });

  describe('paging', () => {
    /** `count` conversations created one minute apart; returned oldest first. */
    async function seed(ws: TestWorkspace, count: number) {
      const created: string[] = [];
      for (let i = 0; i < count; i++) {
        const uuid = randomUUID();
        await create(ws, minimalBody({ created_at: at(i), updated_at: at(i) }), uuid);
        created.push(uuid);
      }
      return created;
    }

    it('defaults to page 1, 15 per page, newest created first', async () => {
      const ws = await t.newWorkspace();
      const created = await seed(ws, 17);
      const response = await ws.list();
      const json = response.json();
      expect(json).toEqual({
        success: true,
        message: 'Conversations retrieved successfully',
        data: { current_page: 1, data: expect.any(Array), per_page: 15, total: 17, last_page: 2 },
      });
      expect(json.data.data.map((c: Conversation) => c.uuid)).toEqual([...created].reverse().slice(0, 15));
      expect(await uuidsOf(ws, { page: 2 })).toEqual([...created].reverse().slice(15));
    });

    it('computes last_page as max(1, ceil(total / per_page)) and answers a page past the end with [] and the true total', async () => {
      const ws = await t.newWorkspace();
      expect((await ws.list()).json()).toEqual(emptyPage());
      expect((await ws.list({ page: 3, per_page: 7 })).json()).toEqual(emptyPage({ current_page: 3, per_page: 7 }));

      const created = await seed(ws, 11);
      const cases: [number, number][] = [
        [1, 11],
        [2, 6],
        [5, 3],
        [10, 2],
        [11, 1],
        [12, 1],
        [100, 1],
      ];
      for (const [perPage, lastPage] of cases) {
        const data = await page(ws, { per_page: perPage });
        expect({ perPage, total: data.total, last_page: data.last_page, per_page: data.per_page }).toEqual({
          perPage,
          total: 11,
          last_page: lastPage,
          per_page: perPage,
        });
      }

      expect(await page(ws, { page: 3, per_page: 5 })).toEqual({
        current_page: 3,
        data: [expect.objectContaining({ uuid: created[0] })],
        per_page: 5,
        total: 11,
        last_page: 3,
      });
      for (const pageNumber of [4, 50, 2_147_483_647]) {
        expect((await ws.list({ page: pageNumber, per_page: 5 })).json()).toEqual({
          success: true,
          message: 'Conversations retrieved successfully',
          data: { current_page: pageNumber, data: [], per_page: 5, total: 11, last_page: 3 },
        });
      }
    });

    it('takes per_page up to 100 and rejects 0, 101, page 0 and non-integers with 422 naming the parameter', async () => {
      const ws = await t.newWorkspace();
      await seed(ws, 2);
      expect((await page(ws, { per_page: 100 })).per_page).toBe(100);
      expect((await page(ws, { per_page: 1 })).data).toHaveLength(1);

      const cases: [string, string][] = [
        ['per_page=101', 'per_page'],
        ['per_page=0', 'per_page'],
        ['per_page=-5', 'per_page'],
        ['per_page=1.5', 'per_page'],
        ['per_page=ten', 'per_page'],
        ['per_page=', 'per_page'],
        ['per_page=1000000000000', 'per_page'],
        ['page=0', 'page'],
        ['page=-1', 'page'],
        ['page=2.5', 'page'],
        ['page=abc', 'page'],
        ['page=', 'page'],
        ['page=true', 'page'],
        ['page=99999999999999999999', 'page'],
        // Ajv alone would coerce these to Infinity (and then skip its range checks) or to 16 and 100.
        ['page=Infinity', 'page'],
        ['page=1e400', 'page'],
        [`page=${'9'.repeat(400)}`, 'page'],
        ['per_page=-Infinity', 'per_page'],
        [`per_page=${'9'.repeat(400)}`, 'per_page'],
        ['page=0x10', 'page'],
        ['per_page=1e1', 'per_page'],
        ['page=NaN', 'page'],
      ];
      for (const [query, field] of cases) {
        const response = await ws.list(`?${query}`);
        expect({ query, status: response.statusCode }).toEqual({ query, status: 422 });
        expectValidationError(response, field);
      }
      expect((await ws.list('?per_page=101')).json().error.details).toMatch(/100/);
    });

    it('rejects a parameter given twice and ignores unknown parameters', async () => {
      const ws = await t.newWorkspace();
      const created = await seed(ws, 3);
      const expected = [...created].reverse();
      const twice: [string, string][] = [
        ['page=1&page=2', 'page'],
        ['per_page=5&per_page=5', 'per_page'],
        ['phone=5&phone=6', 'phone'],
        ['channel=sms&channel=SMS', 'channel'],
        ['status=Active&status=Closed', 'status'],
        [`contact_uuid=${randomUUID()}&contact_uuid=${randomUUID()}`, 'contact_uuid'],
        [`agent_uuid=${randomUUID()}&agent_uuid=${randomUUID()}`, 'agent_uuid'],
        [`campaign_uuid=${randomUUID()}&campaign_uuid=${randomUUID()}`, 'campaign_uuid'],
        [`task_uuid=${randomUUID()}&task_uuid=${randomUUID()}`, 'task_uuid'],
        ['sort_by=created_at&sort_by=updated_at', 'sort_by'],
        ['sort_dir=asc&sort_dir=asc', 'sort_dir'],
      ];
      for (const [query, field] of twice) expectValidationError(await ws.list(`?${query}`), field);

      expect(await uuidsOf(ws, '?include=everything&foo=1&foo=2&PAGE=9&search=x')).toEqual(expected);
      expect((await page(ws, '?unknown[]=1&per_page=2')).data).toHaveLength(2);
    });
  });

  describe('sorting', () => {
    it('orders by created_at or updated_at, ascending or descending', async () => {
      const ws = await t.newWorkspace();
      // Created in the order a, b, c, d; updated in the order c, a, d, b.
      const a = await create(ws, minimalBody({ created_at: at(0), updated_at: at(20) }));
      const b = await create(ws, minimalBody({ created_at: at(1), updated_at: at(40) }));
      const c = await create(ws, minimalBody({ created_at: at(2), updated_at: at(10) }));
      const d = await create(ws, minimalBody({ created_at: at(3), updated_at: at(30) }));
      const cases: [Query, Conversation[]][] = [
        [{}, [d, c, b, a]],
        [{ sort_dir: 'desc' }, [d, c, b, a]],
        [{ sort_dir: 'asc' }, [a, b, c, d]],
        [{ sort_by: 'created_at' }, [d, c, b, a]],
        [{ sort_by: 'created_at', sort_dir: 'asc' }, [a, b, c, d]],
        [{ sort_by: 'created_at', sort_dir: 'desc' }, [d, c, b, a]],
        [{ sort_by: 'updated_at' }, [b, d, a, c]],
        [{ sort_by: 'updated_at', sort_dir: 'asc' }, [c, a, d, b]],
        [{ sort_by: 'updated_at', sort_dir: 'desc' }, [b, d, a, c]],
      ];
      for (const [query, expected] of cases) {
        expect({ query, order: await uuidsOf(ws, query) }).toEqual({ query, order: expected.map((x) => x.uuid) });
      }
      // Paging follows the same order.
      expect(await uuidsOf(ws, { sort_by: 'updated_at', sort_dir: 'asc', per_page: 2, page: 2 })).toEqual([d.uuid, b.uuid]);
    });

    it('rejects an unknown sort key or direction', async () => {
      const ws = await t.newWorkspace();
      expectValidationError(await ws.list({ sort_by: 'timestamp' }), 'sort_by');
      expectValidationError(await ws.list({ sort_by: 'uuid' }), 'sort_by');
      expectValidationError(await ws.list({ sort_dir: 'up' }), 'sort_dir');
      expectValidationError(await ws.list({ sort_dir: '' }), 'sort_dir');
    });

    it('pages through ties on the sort key without repeats or gaps, in insertion order per direction', async () => {
      const ws = await t.newWorkspace();
      const inserted: string[] = [];
      for (let i = 0; i < 23; i++) {
        const uuid = randomUUID();
        await create(ws, minimalBody({ created_at: at(0), updated_at: at(5) }), uuid);
        inserted.push(uuid);
      }
      for (const sortBy of ['created_at', 'updated_at']) {
        for (const sortDir of ['asc', 'desc']) {
          const seen: string[] = [];
          for (let pageNumber = 1; pageNumber <= 5; pageNumber++) {
            const data = await page(ws, { sort_by: sortBy, sort_dir: sortDir, per_page: 5, page: pageNumber });
            expect(data.total).toBe(23);
            expect(data.last_page).toBe(5);
            expect(data.data).toHaveLength(pageNumber < 5 ? 5 : 3);
            seen.push(...data.data.map((c) => c.uuid));
          }
          const expected = sortDir === 'asc' ? inserted : [...inserted].reverse();
          expect({ sortBy, sortDir, seen }).toEqual({ sortBy, sortDir, seen: expected });
          expect(new Set(seen).size).toBe(23);
          // The same request again gives the same page.
          const again = await uuidsOf(ws, { sort_by: sortBy, sort_dir: sortDir, per_page: 5, page: 3 });
          expect(again).toEqual(expected.slice(10, 15));
        }
      }
    });
  });

  describe('filters', () => {
    /**
     * Four conversations, created a minute apart (so the default order is d, c, b, a):
     * a: Whatsapp, Active, agent A1, contact K1, call with campaign P1 and task T1
     * b: SMS, Closed, agent A1, contact K2, call with campaign P2 and tasks T2, T3
     * c: Whatsapp, Closed, agent A2, contact K1, no call
     * d: Call, Active, no agent, contact K3, call with campaign P1, no tasks
     */
    async function fixture(ws: TestWorkspace) {
      const ids = {
        A1: randomUUID(),
        A2: randomUUID(),
        K1: randomUUID(),
        K2: randomUUID(),
        K3: randomUUID(),
        P1: randomUUID(),
        P2: randomUUID(),
        T1: randomUUID(),
        T2: randomUUID(),
        T3: randomUUID(),
      };
      const a = await create(
        ws,
        conversationBody({
          created_at: at(0),
          channel: 'Whatsapp',
          status: 'Active',
          agent_uuid: ids.A1,
          contact: { uuid: ids.K1, phone_number: '+90 (532) 123-4567' },
          campaign_uuid: ids.P1,
          task_uuids: [ids.T1],
        }),
      );
      const b = await create(
        ws,
        conversationBody({
          created_at: at(1),
          channel: 'SMS',
          status: 'Closed',
          agent_uuid: ids.A1,
          contact: { uuid: ids.K2, phone_number: '+1 (555) 010-0999' },
          campaign_uuid: ids.P2,
          task_uuids: [ids.T2, ids.T3],
        }),
      );
      const c = await create(ws, {
        created_at: at(2),
        channel: 'Whatsapp',
        status: 'Closed',
        agent_uuid: ids.A2,
        contact: { uuid: ids.K1 },
      });
      const d = await create(
        ws,
        conversationBody({
          created_at: at(3),
          channel: 'Call',
          status: 'Active',
          agent_uuid: null,
          contact: { uuid: ids.K3, phone_number: '0090.532.999.88.77' },
          campaign_uuid: ids.P1,
          task_uuids: [],
        }),
      );
      return { ...ids, a, b, c, d };
    }

    it('applies each filter alone, with the exact total', async () => {
      const ws = await t.newWorkspace();
      const f = await fixture(ws);
      const cases: [Query, Conversation[]][] = [
        [{ contact_uuid: f.K1 }, [f.c, f.a]],
        [{ contact_uuid: f.K2 }, [f.b]],
        [{ agent_uuid: f.A1 }, [f.b, f.a]],
        [{ agent_uuid: f.A2 }, [f.c]],
        [{ campaign_uuid: f.P1 }, [f.d, f.a]],
        [{ campaign_uuid: f.P2 }, [f.b]],
        [{ task_uuid: f.T1 }, [f.a]],
        [{ task_uuid: f.T3 }, [f.b]],
        [{ channel: 'Whatsapp' }, [f.c, f.a]],
        [{ channel: 'SMS' }, [f.b]],
        [{ channel: 'Call' }, [f.d]],
        [{ channel: 'Email' }, []],
        [{ status: 'Active' }, [f.d, f.a]],
        [{ status: 'Closed' }, [f.c, f.b]],
        // c shares a's contact, so a's number.
        [{ phone: '532' }, [f.d, f.c, f.a]],
        [{ phone: '555' }, [f.b]],
      ];
      for (const [query, expected] of cases) {
        const all = await page(ws, query);
        expect({ query, uuids: all.data.map((x) => x.uuid), total: all.total }).toEqual({
          query,
          uuids: expected.map((x) => x.uuid),
          total: expected.length,
        });
        // The total counts every match, not just the page.
        const first = await page(ws, { ...query, per_page: 1 });
        expect({ query, total: first.total, last_page: first.last_page, length: first.data.length }).toEqual({
          query,
          total: expected.length,
          last_page: Math.max(1, expected.length),
          length: Math.min(1, expected.length),
        });
      }
      // A filtered item is the whole conversation, not a projection.
      expect((await page(ws, { task_uuid: f.T3 })).data).toEqual([f.b]);
    });

    it('combines filters with AND', async () => {
      const ws = await t.newWorkspace();
      const f = await fixture(ws);
      const cases: [Query, Conversation[]][] = [
        [{ channel: 'whatsapp', status: 'closed' }, [f.c]],
        [{ channel: 'Whatsapp', status: 'Active' }, [f.a]],
        [{ agent_uuid: f.A1, campaign_uuid: f.P1 }, [f.a]],
        [{ agent_uuid: f.A1, status: 'Closed' }, [f.b]],
        [{ contact_uuid: f.K1, channel: 'whatsapp', status: 'active' }, [f.a]],
        [{ contact_uuid: f.K1, agent_uuid: f.A2 }, [f.c]],
        [{ campaign_uuid: f.P1, status: 'Closed' }, []],
        [{ campaign_uuid: f.P1, phone: '532 999' }, [f.d]],
        [{ phone: '532', channel: 'Whatsapp' }, [f.c, f.a]],
        [{ phone: '532', channel: 'Whatsapp', status: 'Active' }, [f.a]],
        [{ phone: '532', contact_uuid: f.K2 }, []],
        [
          { task_uuid: f.T2, agent_uuid: f.A1, channel: 'sms', status: 'closed', contact_uuid: f.K2, campaign_uuid: f.P2, phone: '555' },
          [f.b],
        ],
        [{ task_uuid: f.T2, agent_uuid: f.A2 }, []],
        [{ task_uuid: f.T1, campaign_uuid: f.P2 }, []],
      ];
      for (const [query, expected] of cases) {
        const result = await page(ws, query);
        expect({ query, uuids: result.data.map((x) => x.uuid), total: result.total }).toEqual({
          query,
          uuids: expected.map((x) => x.uuid),
          total: expected.length,
        });
      }
    });

    it('takes channel and status in any case and rejects unknown values with 422 naming the parameter', async () => {
      const ws = await t.newWorkspace();
      const f = await fixture(ws);
      for (const channel of ['whatsapp', 'WHATSAPP', 'Whatsapp', 'wHaTsApP']) {
        expect(await uuidsOf(ws, { channel })).toEqual([f.c.uuid, f.a.uuid]);
      }
      expect(await uuidsOf(ws, { channel: 'sms' })).toEqual([f.b.uuid]);
      expect(await uuidsOf(ws, { channel: 'call' })).toEqual([f.d.uuid]);
      for (const status of ['closed', 'CLOSED', 'Closed']) expect(await uuidsOf(ws, { status })).toEqual([f.c.uuid, f.b.uuid]);
      expect(await uuidsOf(ws, { status: 'active' })).toEqual([f.d.uuid, f.a.uuid]);

      // Several values, comma-separated, are tested in conversations-family.test.ts.
      for (const channel of ['telegram', 'whats app', '', '%']) {
        const response = await ws.list({ channel });
        expectValidationError(response, 'channel');
        expect(response.json().error.details).toMatch(/channel/);
      }
      for (const status of ['open', '']) expectValidationError(await ws.list({ status }), 'status');
    });

    it('rejects a malformed uuid in each uuid filter, and answers a well-formed unknown uuid with an empty page', async () => {
      const ws = await t.newWorkspace();
      const f = await fixture(ws);
      const malformed = [
        'not-a-uuid',
        '3c90c3cc-0d44-4b50-8888-8dd25736052',
        '3c90c3cc0d444b5088888dd25736052a',
        '{3c90c3cc-0d44-4b50-8888-8dd25736052a}',
        'urn:uuid:3c90c3cc-0d44-4b50-8888-8dd25736052a',
        '3c90c3cc-0d44-4b50-8888-8dd25736052g',
        ' 3c90c3cc-0d44-4b50-8888-8dd25736052a',
        '',
      ];
      for (const field of ['contact_uuid', 'agent_uuid', 'campaign_uuid', 'task_uuid']) {
        for (const value of malformed) {
          const response = await ws.list({ [field]: value });
          expect({ field, value, status: response.statusCode }).toEqual({ field, value, status: 422 });
          expectValidationError(response, field);
        }
        expect((await ws.list({ [field]: randomUUID() })).json()).toEqual(emptyPage());
        // Another entity's uuid of the wrong kind matches nothing either.
        expect((await ws.list({ [field]: f.a.uuid })).json()).toEqual(emptyPage());
      }
    });

    it('accepts upper-case uuids in filters', async () => {
      const ws = await t.newWorkspace();
      const f = await fixture(ws);
      expect(await uuidsOf(ws, { contact_uuid: f.K1.toUpperCase() })).toEqual([f.c.uuid, f.a.uuid]);
      expect(await uuidsOf(ws, { agent_uuid: f.A2.toUpperCase() })).toEqual([f.c.uuid]);
      expect(await uuidsOf(ws, { campaign_uuid: f.P2.toUpperCase() })).toEqual([f.b.uuid]);
      expect(await uuidsOf(ws, { task_uuid: f.T1.toUpperCase() })).toEqual([f.a.uuid]);
    });
  });

  describe('phone filter', () => {
    async function fixture(ws: TestWorkspace) {
      const withPhone = (phone_number: string | null) =>
        create(ws, minimalBody({ contact: { uuid: randomUUID(), phone_number }, created_at: at(Math.floor(Math.random() * 1000)) }));
      return {
        turkish: await withPhone('+90 (532) 123-4567'),
        dotted: await withPhone('0090.532.999.8877'),
        american: await withPhone('+1 555-0100'),
        literal: await withPhone('+44 (20) 71_3%9'),
        none: await withPhone(null),
      };
    }

    const sorted = (conversations: Conversation[]) => conversations.map((c) => c.uuid).sort();
    const found = async (ws: TestWorkspace, phone: string) => {
      const data = await page(ws, { phone, per_page: 100 });
      expect(data.total).toBe(data.data.length);
      return data.data.map((c) => c.uuid).sort();
    };

    it('matches part of the number whatever the formatting on either side', async () => {
      const ws = await t.newWorkspace();
      const p = await fixture(ws);
      const cases: [string, Conversation[]][] = [
        ['532 123', [p.turkish]],
        ['+90 (532) 123-4567', [p.turkish]],
        ['905321234567', [p.turkish]],
        ['(532)', [p.turkish, p.dotted]],
        ['532', [p.turkish, p.dotted]],
        ['+90532', [p.turkish, p.dotted]],
        ['90 532', [p.turkish, p.dotted]],
        ['532-123', [p.turkish]],
        ['532.123', [p.turkish]],
        ['5 3 2 1 2 3', [p.turkish]],
        ['  4567  ', [p.turkish]],
        ['4567', [p.turkish]],
        ['532 999 88 77', [p.dotted]],
        ['0090', [p.dotted]],
        ['+1 555', [p.american]],
        ['5550100', [p.american]],
        ['(555) 0100', [p.american]],
        // The `+` leads once the parenthesis before it is ignored.
        ['(+1) 555', [p.american]],
        ['0100', [p.american]],
        ['7', [p.turkish, p.dotted, p.literal]],
        ['123456789', []],
        ['99999', []],
      ];
      for (const [phone, expected] of cases) {
        expect({ phone, found: await found(ws, phone) }).toEqual({ phone, found: sorted(expected) });
      }
    });

    it('treats % and _ as ordinary characters, never as wildcards', async () => {
      const ws = await t.newWorkspace();
      const p = await fixture(ws);
      const cases: [string, Conversation[]][] = [
        // As LIKE wildcards these would match the other numbers too.
        ['1_3', [p.literal]],
        ['3%9', [p.literal]],
        ['71_3%9', [p.literal]],
        ['(20) 71_3', [p.literal]],
        ['%1%', []],
        ['5%', []],
        ['_3', [p.literal]],
        ['1__', []],
        ['%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%1', []],
        ['\\5', []],
        ['5\\', []],
      ];
      for (const [phone, expected] of cases) {
        expect({ phone, found: await found(ws, phone) }).toEqual({ phone, found: sorted(expected) });
      }
    });

    it('counts a conversation once however often its number holds the fragment, whatever characters the number is made of', async () => {
      const ws = await t.newWorkspace();
      const contact = (phone_number: string) => ({ uuid: randomUUID(), phone_number });
      const repeated = contact('+1 555 5555');
      const twice = [await create(ws, minimalBody({ contact: repeated })), await create(ws, minimalBody({ contact: repeated }))];
      const astral = await create(ws, minimalBody({ contact: contact('Tel 1𝟚3 ٤5٦ 9\u{10FFFF}\u{10FFFF}') }));
      const near = await create(ws, minimalBody({ contact: contact('1𝟚4 ٤5٧ 98') }));
      const cases: [string, Conversation[]][] = [
        ['555', twice],
        ['55555', twice],
        ['5555555', twice],
        ['1𝟚3', [astral]],
        ['1𝟚', [astral, near]],
        ['5٦', [astral]],
        ['٤5', [astral, near]],
        ['9\u{10FFFF}', [astral]],
        ['9', [astral, near]],
        ['9\u{10FFFF}\u{10FFFF}\u{10FFFF}', []],
      ];
      for (const [phone, expected] of cases) {
        expect({ phone, found: await found(ws, phone) }).toEqual({ phone, found: sorted(expected) });
      }
    });

    it('treats quotes, * and ? in a fragment as ordinary characters too', async () => {
      const ws = await t.newWorkspace();
      const quoted = await create(ws, minimalBody({ contact: { uuid: randomUUID(), phone_number: 'ext "12" *9?' } }));
      await create(ws, minimalBody({ contact: { uuid: randomUUID(), phone_number: '+1 555 129' } }));
      const cases: [string, Conversation[]][] = [
        ['"12"', [quoted]],
        ['2"*9', [quoted]],
        ['*9?', [quoted]],
        ['9?', [quoted]],
        ['1*9', []],
        ['"1', [quoted]],
      ];
      for (const [phone, expected] of cases) {
        expect({ phone, found: await found(ws, phone) }).toEqual({ phone, found: sorted(expected) });
      }
    });

    it('pages a fragment that much of the workspace matches like any other filter, its matches spread or all old', async () => {
      const ws = await t.newWorkspace();
      // 1,500 conversations, oldest first. "5550" is in four numbers in five, spread evenly; "7700"
      // is in the 1,000 oldest only, so that the newest rows hold none of its matches.
      const lines = Array.from({ length: 1_500 }, (_, i) =>
        lineWithPhone(i, `+${i % 5 ? '5550' : '6661'} ${i < 1_000 ? '7700' : '8811'} ${String(i).padStart(4, '0')}`, {
          updated_at: at(2_000 + ((i * 7_919) % 1_500)),
        }),
      );
      const all = await importedAndListed(t, ws, lines);
      expect(all.map((c) => c.uuid)).toEqual(lines.map((line) => line.uuid).reverse());
      const matching = (fragment: string) => all.filter((c) => c.contact.phone_number!.replaceAll(' ', '').includes(fragment));
      const byUpdate = (list: Conversation[]) => [...list].sort((a, b) => a.updated_at.localeCompare(b.updated_at));

      const cases: [Query, Conversation[]][] = [
        [{ phone: '5550' }, matching('5550')],
        [{ phone: '5550', page: 3 }, matching('5550')],
        [{ phone: '5550', page: 80, per_page: 15 }, matching('5550')],
        [{ phone: '5550', sort_by: 'updated_at', sort_dir: 'asc' }, byUpdate(matching('5550'))],
        [{ phone: '7700' }, matching('7700')],
        [{ phone: '7700', page: 2, per_page: 50 }, matching('7700')],
      ];
      await expectPages(ws, cases);

      let cursor = '';
      for (let n = 0; n < 3; n++) {
        const response = await ws.list({ phone: '5550', per_page: 20, cursor });
        expect(response.statusCode).toBe(200);
        const { data } = response.json();
        expect(data.data).toEqual(matching('5550').slice(n * 20, (n + 1) * 20));
        expect(data.total).toBe(1_200);
        cursor = data.next_cursor;
      }
    });

    it('pages a fragment that more contacts match than the queries are given as a list, alone and with another filter', async () => {
      const ws = await t.newWorkspace();
      // 5,200 contacts hold "5550", more than the 5,000 that PostgreSQL's queries take as a list of
      // ids; 300 more do not. One conversation each, oldest first, in two channels.
      const lines = Array.from({ length: 5_500 }, (_, i) =>
        lineWithPhone(i, `+1 ${i < 5_200 ? '5550' : '6661'} ${String(i).padStart(5, '0')}`, { channel: i % 3 ? 'Whatsapp' : 'SMS' }),
      );
      const all = await importedAndListed(t, ws, lines);
      const matching = all.filter((c) => c.contact.phone_number!.includes('5550'));
      expect(matching).toHaveLength(5_200);
      await expectPages(ws, [
        [{ phone: '5550' }, matching],
        [{ phone: '5550', page: 300, per_page: 10 }, matching],
        [{ phone: '5550', channel: 'SMS' }, matching.filter((c) => c.channel === 'SMS')],
        [{ phone: '5550', channel: 'Whatsapp', page: 40, per_page: 50 }, matching.filter((c) => c.channel === 'Whatsapp')],
      ]);
    });

    it('pages a fragment right after the workspace grew tenfold, when the size a walk is planned by is out of date', async () => {
      const ws = await t.newWorkspace();
      // 200 conversations whose numbers all hold "5550", then 2,000 newer ones whose numbers do
      // not: the size counted for the first answer makes the second one walk the newest rows,
      // which hold no match, and the page must still be the 15 newest matches.
      const old = Array.from({ length: 200 }, (_, i) => lineWithPhone(i, `+1 5550 ${String(i).padStart(4, '0')}`));
      const matching = await importedAndListed(t, ws, old);
      await expectPages(ws, [[{ phone: '5550' }, matching]]);
      await importedAndListed(
        t,
        ws,
        Array.from({ length: 2_000 }, (_, i) => lineWithPhone(200 + i, `+44 7700 ${String(i).padStart(4, '0')}`)),
      );
      await expectPages(ws, [
        [{ phone: '5550' }, matching],
        [{ phone: '5550', page: 2 }, matching],
      ]);
    });

    it('pages a fragment that few contacts match, from the first answer on, like any other filter', async () => {
      const ws = await t.newWorkspace();
      // 600 conversations, oldest first, over 300 contacts (two each); each of "0042" to "0046"
      // is in the numbers of 50 contacts, so 100 conversations.
      const codes = ['0042', '0043', '0044', '0045', '0046', '7777'];
      const contacts = Array.from({ length: 300 }, (_, i) => ({
        ...conversationBody().contact,
        uuid: randomUUID(),
        phone_number: `+1 415 ${codes[i % 6]} ${String(i).padStart(4, '0')}`,
      }));
      const lines = Array.from({ length: 600 }, (_, i) => ({
        uuid: randomUUID(),
        ...conversationBody({ created_at: at(i), updated_at: at(1_000 + ((i * 7_919) % 600)), contact: contacts[(i * 7) % 300] }),
      }));
      const all = await importedAndListed(t, ws, lines);
      expect(all).toHaveLength(600);
      const matching = (fragment: string) => all.filter((c) => c.contact.phone_number!.replaceAll(' ', '').includes(fragment));
      const byUpdate = (list: Conversation[]) => [...list].sort((a, b) => a.updated_at.localeCompare(b.updated_at)).reverse();
      expect(matching('0042')).toHaveLength(100);

      // A fragment of its own for each: its first answer is the one that reads its matches whole.
      const cases: [Query, Conversation[]][] = [
        [{ phone: '0042', per_page: 15 }, matching('0042')],
        [{ phone: '0043', page: 2, per_page: 15 }, matching('0043')],
        [{ phone: '0044', sort_by: 'updated_at', page: 3, per_page: 10 }, byUpdate(matching('0044'))],
        [{ phone: '0045', page: 9, per_page: 10 }, matching('0045')],
      ];
      await expectPages(ws, cases);

      // Each cursor page after a write, so that each counts afresh; the write touches no match.
      const expected = matching('0046');
      const untouched = all.find((c) => !c.contact.phone_number!.replaceAll(' ', '').includes('0046'))!;
      let cursor = '';
      for (let n = 0; n < 3; n++) {
        const response = await ws.list({ phone: '0046', channel: 'Whatsapp', per_page: 15, cursor });
        expect(response.statusCode).toBe(200);
        const { data } = response.json();
        expect(data.data).toEqual(expected.slice(n * 15, (n + 1) * 15));
        expect(data.total).toBe(expected.length);
        cursor = data.next_cursor;
        const patched = await ws.request({
          method: 'PATCH',
          url: `/api/v1/conversations/${untouched.uuid}`,
          payload: { status: n % 2 ? 'Active' : 'Closed' },
        });
        expect(patched.statusCode).toBe(200);
      }
    });

    it('rejects a phone without a digit, an empty one and one over 32 characters', async () => {
      const ws = await t.newWorkspace();
      const p = await fixture(ws);
      for (const phone of ['', '   ', '+', '()', '%', '_', '%_%', 'abc', '+-().', '٥٣٢', '５３２']) {
        const response = await ws.list({ phone });
        expect({ phone, status: response.statusCode }).toEqual({ phone, status: 422 });
        expectValidationError(response, 'phone');
      }
      expectValidationError(await ws.list({ phone: '1'.repeat(33) }), 'phone');
      expectValidationError(await ws.list({ phone: `+90 (532) 123-4567 ${'0'.repeat(14)}` }), 'phone');
      expect((await ws.list({ phone: '1'.repeat(32) })).statusCode).toBe(200);
      // 32 characters, most of them ignored.
      expect(await found(ws, `532 123${' '.repeat(25)}`)).toEqual(sorted([p.turkish]));
    });
  });

  describe('relations behind the fields', () => {
    it("takes a conversation's campaign from its call: no call, no campaign, and the campaign filter never finds it", async () => {
      const ws = await t.newWorkspace();
      const campaign = randomUUID();
      const withCall = await create(ws, conversationBody({ campaign_uuid: campaign, created_at: at(0) }));
      const contactUuid = withCall.contact.uuid;
      const withoutCall = await create(ws, minimalBody({ contact: { uuid: contactUuid }, created_at: at(1) }));
      expect(withCall.campaign_uuid).toBe(campaign);
      expect(withoutCall.campaign_uuid).toBeNull();
      expect(withoutCall.call).toBeNull();

      expect(await uuidsOf(ws, { campaign_uuid: campaign })).toEqual([withCall.uuid]);
      expect(await uuidsOf(ws, { contact_uuid: contactUuid })).toEqual([withoutCall.uuid, withCall.uuid]);

      // Removing the call takes the campaign with it.
      const removed = await ws.put(withCall.uuid, { channel: withCall.channel, contact: { uuid: contactUuid }, call: null });
      expect(removed.statusCode).toBe(200);
      expect(removed.json().data).toMatchObject({ call: null, campaign_uuid: null, task_uuids: [] });
      expect((await ws.list({ campaign_uuid: campaign })).json()).toEqual(emptyPage());
    });

    it("lists as task_uuids the tasks whose third_party_id is the call's uuid, oldest first, and [] without a call", async () => {
      const ws = await t.newWorkspace();
      const [t1, t2, t3] = [randomUUID(), randomUUID(), randomUUID()];
      const body = conversationBody({ task_uuids: [t1, t2] });
      const conversation = await create(ws, body);
      expect(conversation.task_uuids).toEqual([t1, t2]);

      // t3 is newer than t1 and t2, whatever order the body names them in.
      const updated = await ws.put(conversation.uuid, { ...body, task_uuids: [t3, t2, t1] });
      expect(updated.statusCode).toBe(200);
      expect(updated.json().data.task_uuids).toEqual([t1, t2, t3]);
      expect((await page(ws)).data[0]!.task_uuids).toEqual([t1, t2, t3]);

      for (const task of [t1, t2, t3]) expect(await uuidsOf(ws, { task_uuid: task })).toEqual([conversation.uuid]);

      const callLess = await create(ws, minimalBody());
      expect(callLess.task_uuids).toEqual([]);
    });

    it('finds a conversation by task_uuid through its call, and no longer once the call is gone', async () => {
      const ws = await t.newWorkspace();
      const task = randomUUID();
      const body = conversationBody({ task_uuids: [task] });
      const conversation = await create(ws, body);
      await create(ws, conversationBody({ task_uuids: [randomUUID()] }));
      expect(await uuidsOf(ws, { task_uuid: task })).toEqual([conversation.uuid]);

      expect((await ws.put(conversation.uuid, { ...body, call: null, campaign_uuid: null, task_uuids: [] })).statusCode).toBe(200);
      expect((await ws.list({ task_uuid: task })).json()).toEqual(emptyPage());
      expect((await page(ws)).total).toBe(2);
    });

    it('lists session_uuids oldest first', async () => {
      const ws = await t.newWorkspace();
      const [s1, s2, s3] = [randomUUID(), randomUUID(), randomUUID()];
      const body = minimalBody({ session_uuids: [s1, s2] });
      const conversation = await create(ws, body);
      expect(conversation.session_uuids).toEqual([s1, s2]);
      const updated = await ws.put(conversation.uuid, { ...body, session_uuids: [s3, s2, s1] });
      expect(updated.json().data.session_uuids).toEqual([s1, s2, s3]);
      expect((await page(ws)).data[0]!.session_uuids).toEqual([s1, s2, s3]);
    });
  });

  describe('query cost', () => {
    /** `ws` through an app of its own whose database counts the SQL queries it runs, and among them the inserts. */
    async function countingClient(ws: TestWorkspace) {
      const count = { queries: 0, inserts: 0 };
      const counter: KyselyPlugin = {
        transformQuery: (args) => {
          if (args.node.kind === 'InsertQueryNode') count.inserts++;
          return args.node;
        },
        transformResult: async (args) => {
          count.queries++;
          return args.result;
        },
      };
      // Writes as the server runs them: on PostgreSQL in the write thread, on connections the counter does not see.
      const app = await buildApp({
        config: { baseDomain: null },
        db: t.db.withPlugin(counter),
        writeThread: t.dialect === 'postgres' ? { url: t.database.url } : undefined,
      });
      return { client: workspaceClient(app, ws.id, ws.subdomain, ws.token), count, close: () => app.close() };
    }

    /**
     * `countingClient`, and `list`: a list request through it, checked against an app with its own
     * cache, which no write reaches (what a request would read afresh), with the queries it ran.
     */
    async function keptListClient(ws: TestWorkspace) {
      const counting = await countingClient(ws);
      const fresh = await buildApp({ config: { baseDomain: null }, db: t.db });
      const freshClient = workspaceClient(fresh, ws.id, ws.subdomain, ws.token);
      const list = async (query: Query) => {
        counting.count.queries = 0;
        const response = await counting.client.list(query);
        expect(response.statusCode, response.body).toBe(200);
        const expected = await freshClient.list(query);
        expect(response.json()).toEqual(expected.json());
        expect(response.headers.etag).toBe(expected.headers.etag);
        return { body: response.json(), queries: counting.count.queries };
      };
      const close = async () => {
        await counting.close();
        await fresh.close();
      };
      return { client: counting.client, freshClient, list, close };
    }

    it('while the data is unchanged, answers a repeated request as before and reuses totals; any write ends both', async () => {
      const ws = await t.newWorkspace();
      const bodies = Array.from({ length: 3 }, (_, i) => conversationBody({ channel: 'SMS', created_at: at(i) }));
      const uuids = [];
      for (const body of bodies) uuids.push((await create(ws, body)).uuid);

      const { client, count, close } = await countingClient(ws);
      try {
        const sms = async (query: Query = {}) => {
          count.queries = 0;
          const response = await client.list({ channel: 'sms', ...query });
          expect(response.statusCode, response.body).toBe(200);
          return { body: response.json(), total: response.json().data.total as number, queries: count.queries };
        };
        const first = await sms();
        expect(first.total).toBe(3);
        // The same URL again: authentication only.
        const again = await sms();
        expect(again).toEqual({ ...first, queries: 1 });
        // Another page of the same filters: the total is reused, the page is read.
        const second = await sms({ per_page: 1, page: 2 });
        expect(second.total).toBe(3);
        expect(second.queries).toBe(first.queries - 1);
        expect(second.body.data.data[0].uuid).toBe(uuids[1]);

        expect((await client.put(uuids[0]!, { ...bodies[0], channel: 'Whatsapp' })).statusCode).toBe(200);
        const afterPut = await sms();
        expect(afterPut.total).toBe(2);
        expect(afterPut.queries).toBe(first.queries);
        expect(afterPut.body.data.data.map((item: { uuid: string }) => item.uuid)).toEqual([uuids[2], uuids[1]]);
        const patch = await client.request({ method: 'PATCH', url: `/api/v1/conversations/${uuids[1]}`, payload: { status: 'Closed' } });
        expect(patch.statusCode).toBe(200);
        const afterPatch = await sms();
        expect(afterPatch.queries).toBe(first.queries);
        expect(afterPatch.body.data.data[1]).toEqual(patch.json().data);
      } finally {
        await close();
      }
    });

    it("keeps a list filtered by agent or contact across writes to other agents' and contacts' conversations, and reads it again after one that can show in it", async () => {
      const ws = await t.newWorkspace();
      const [agentA, agentB] = [randomUUID(), randomUUID()];
      const shared = { uuid: randomUUID(), name: 'Sam', surname: 'Shared', phone_number: '+1 555 0100', email: null };
      const a1 = await create(ws, conversationBody({ agent_uuid: agentA, created_at: at(1) }));
      const a2 = await create(ws, conversationBody({ agent_uuid: agentA, contact: shared, created_at: at(2) }));
      const b1Body = conversationBody({ agent_uuid: agentB, contact: shared, created_at: at(3) });
      const b1 = await create(ws, b1Body);
      const b2Body = conversationBody({ agent_uuid: agentB, created_at: at(4) });
      const b2 = await create(ws, b2Body);

      const { client, freshClient, list, close } = await keptListClient(ws);
      try {
        const append = (uuid: string, content: string) =>
          client.request({ method: 'POST', url: `/api/v1/conversations/${uuid}/messages`, payload: { sender: 'AI', content } });
        const ofA = { agent_uuid: agentA };
        const ofA1Contact = { contact_uuid: a1.contact.uuid };
        const first = await list(ofA);
        expect(first.body.data.total).toBe(2);
        expect(first.queries).toBeGreaterThan(1);
        await list(ofA1Contact);

        // Writes to agent B's conversation with a contact of its own: authentication only.
        const patch = await client.request({ method: 'PATCH', url: `/api/v1/conversations/${b2.uuid}`, payload: { status: 'Closed' } });
        expect(patch.statusCode).toBe(200);
        expect(await list(ofA)).toEqual({ body: first.body, queries: 1 });
        expect((await append(b2.uuid, 'hello')).statusCode).toBe(201);
        expect(await list(ofA)).toEqual({ body: first.body, queries: 1 });
        expect((await client.put(randomUUID(), conversationBody({ agent_uuid: agentB }))).statusCode).toBe(201);
        expect(await list(ofA)).toEqual({ body: first.body, queries: 1 });
        expect((await list(ofA1Contact)).queries).toBe(1);
        // A list that names no agent, contact, campaign or phone fragment is read after every write.
        expect((await list({ status: 'active' })).queries).toBeGreaterThan(1);
        // A write this server did not make (another process's) may have changed anything.
        expect((await freshClient.put(randomUUID(), conversationBody({ agent_uuid: agentB }))).statusCode).toBe(201);
        expect((await list(ofA)).queries).toBeGreaterThan(1);
        expect((await list(ofA)).queries).toBe(1);

        // A message to one of agent A's conversations shows in its list and its contact's.
        expect((await append(a1.uuid, 'hi')).statusCode).toBe(201);
        const afterMessage = await list(ofA);
        expect(afterMessage.queries).toBeGreaterThan(1);
        expect(afterMessage.body.data.data.find((c: Conversation) => c.uuid === a1.uuid).updated_at).not.toBe(a1.updated_at);
        expect((await list(ofA1Contact)).queries).toBeGreaterThan(1);

        // A contact changed through agent B's conversation shows in agent A's list too.
        const renamed = { ...shared, name: 'Samantha' };
        expect((await client.put(b1.uuid, { ...b1Body, contact: renamed })).statusCode).toBe(200);
        const afterRename = await list(ofA);
        expect(afterRename.queries).toBeGreaterThan(1);
        expect(afterRename.body.data.data.find((c: Conversation) => c.uuid === a2.uuid).contact.name).toBe('Samantha');

        // A conversation moved from agent B to agent A shows in A's list.
        await list(ofA);
        expect((await client.put(b2.uuid, { ...b2Body, agent_uuid: agentA })).statusCode).toBe(200);
        const afterMove = await list(ofA);
        expect(afterMove.queries).toBeGreaterThan(1);
        expect(afterMove.body.data.total).toBe(3);
        // And one moved away from agent A leaves it.
        const a1Body = await freshClient.request({ method: 'GET', url: `/api/v1/conversations/${a1.uuid}` });
        expect((await client.put(a1.uuid, { ...a1Body.json().data, agent_uuid: agentB })).statusCode).toBe(200);
        const afterLeave = await list(ofA);
        expect(afterLeave.queries).toBeGreaterThan(1);
        expect(afterLeave.body.data.total).toBe(2);
      } finally {
        await close();
      }
    });

    it('keeps a list filtered by task across writes to conversations without it, and reads it again after one that shows or takes it', async () => {
      const ws = await t.newWorkspace();
      const [taskA, taskB] = [randomUUID(), randomUUID()];
      const aBody = conversationBody({ task_uuids: [taskA], created_at: at(1) });
      const a = await create(ws, aBody);
      const bBody = conversationBody({ task_uuids: [taskB], created_at: at(2) });
      const b = await create(ws, bBody);

      const { client, list, close } = await keptListClient(ws);
      try {
        const ofTaskA = { task_uuid: taskA.toUpperCase() };
        const first = await list(ofTaskA);
        expect(first.body.data.data.map((c: Conversation) => c.uuid)).toEqual([a.uuid]);
        expect(first.queries).toBeGreaterThan(1);
        const activeOfTaskA = { task_uuid: taskA, status: 'active' };
        expect((await list(activeOfTaskA)).body.data.total).toBe(1);

        // Writes to conversations that neither had nor now have the task: authentication only.
        const patch = await client.request({ method: 'PATCH', url: `/api/v1/conversations/${b.uuid}`, payload: { status: 'Closed' } });
        expect(patch.statusCode).toBe(200);
        const message = await client.request({
          method: 'POST',
          url: `/api/v1/conversations/${b.uuid}/messages`,
          payload: { sender: 'AI', content: 'hi' },
        });
        expect(message.statusCode).toBe(201);
        expect((await client.put(randomUUID(), conversationBody({ agent_uuid: a.agent_uuid }))).statusCode).toBe(201);
        expect(await list(ofTaskA)).toEqual({ body: first.body, queries: 1 });
        expect((await list(activeOfTaskA)).queries).toBe(1);

        // A status change to the task's conversation shows in it.
        const closed = await client.request({ method: 'PATCH', url: `/api/v1/conversations/${a.uuid}`, payload: { status: 'Closed' } });
        expect(closed.statusCode).toBe(200);
        const afterPatch = await list(ofTaskA);
        expect(afterPatch.queries).toBeGreaterThan(1);
        expect(afterPatch.body.data.data).toEqual([closed.json().data]);
        expect((await list(activeOfTaskA)).body.data.total).toBe(0);

        // The task taken off its conversation leaves the list empty; linked to another, it shows that one.
        expect((await client.put(a.uuid, { ...aBody, status: 'Closed', task_uuids: [] })).statusCode).toBe(200);
        const afterUnlink = await list(ofTaskA);
        expect(afterUnlink.queries).toBeGreaterThan(1);
        expect(afterUnlink.body.data.total).toBe(0);
        expect((await list(ofTaskA)).queries).toBe(1);
        const linked = await client.put(b.uuid, { ...bBody, status: 'Closed', task_uuids: [taskB, taskA] });
        expect(linked.statusCode).toBe(200);
        const afterLink = await list(ofTaskA);
        expect(afterLink.queries).toBeGreaterThan(1);
        expect(afterLink.body.data.data).toEqual([linked.json().data]);
      } finally {
        await close();
      }
    });

    it('keeps a list filtered by phone across writes to conversations whose numbers do not hold the fragment, and reads it again after one whose number does', async () => {
      const ws = await t.newWorkspace();
      const contact = (phone_number: string | null) => ({ uuid: randomUUID(), name: 'Pat', surname: 'Lee', phone_number, email: null });
      const londonBody = conversationBody({ contact: contact('+44 20 7946 0001'), created_at: at(1) });
      const london = await create(ws, londonBody);
      const boston = await create(ws, conversationBody({ contact: contact('+1 617 555 0199'), created_at: at(2) }));
      const unknown = await create(ws, conversationBody({ contact: contact(null), created_at: at(3) }));

      const { client, list, close } = await keptListClient(ws);
      try {
        const ofLondon = { phone: '(20) 79-46' };
        const first = await list(ofLondon);
        expect(first.body.data.data.map((c: Conversation) => c.uuid)).toEqual([london.uuid]);
        expect(first.queries).toBeGreaterThan(1);

        // Writes to conversations whose numbers do not contain 207946, or that have none: authentication only.
        const patch = await client.request({ method: 'PATCH', url: `/api/v1/conversations/${boston.uuid}`, payload: { status: 'Closed' } });
        expect(patch.statusCode).toBe(200);
        expect(await list(ofLondon)).toEqual({ body: first.body, queries: 1 });
        const message = await client.request({
          method: 'POST',
          url: `/api/v1/conversations/${unknown.uuid}/messages`,
          payload: { sender: 'AI', content: 'hello' },
        });
        expect(message.statusCode).toBe(201);
        expect(await list(ofLondon)).toEqual({ body: first.body, queries: 1 });
        // Its digits, formatted otherwise, hold 2079 and 946 but not 207946.
        expect((await client.put(randomUUID(), conversationBody({ contact: contact('0207 9 946 0002') }))).statusCode).toBe(201);
        expect(await list(ofLondon)).toEqual({ body: first.body, queries: 1 });

        // A new conversation whose contact's number holds it, however formatted, shows in it.
        const second = await client.put(randomUUID(), conversationBody({ contact: contact('020-7946-0002'), created_at: at(4) }));
        expect(second.statusCode).toBe(201);
        const afterNew = await list(ofLondon);
        expect(afterNew.queries).toBeGreaterThan(1);
        expect(afterNew.body.data.data.map((c: Conversation) => c.uuid)).toEqual([second.json().data.uuid, london.uuid]);
        // So does a status change to one of its conversations.
        const closed = await client.request({
          method: 'PATCH',
          url: `/api/v1/conversations/${london.uuid}`,
          payload: { status: 'Closed' },
        });
        expect(closed.statusCode).toBe(200);
        const afterPatch = await list(ofLondon);
        expect(afterPatch.queries).toBeGreaterThan(1);
        expect(afterPatch.body.data.data[1]).toEqual(closed.json().data);
        // And a number changed so that it no longer holds the fragment takes it out.
        const moved = await client.put(london.uuid, {
          ...londonBody,
          contact: { ...londonBody.contact, phone_number: '+44 20 7000 0001' },
        });
        expect(moved.statusCode).toBe(200);
        const afterMove = await list(ofLondon);
        expect(afterMove.queries).toBeGreaterThan(1);
        expect(afterMove.body.data.total).toBe(1);
      } finally {
        await close();
      }
    });

    it('reads a page once for the same request arriving many times at once, each answered with its own headers', async () => {
      const ws = await t.newWorkspace();
      for (let i = 0; i < 3; i++) await create(ws, conversationBody({ created_at: at(i) }));
      const { client, count, close } = await countingClient(ws);
      try {
        // Connections opened first: on PostgreSQL the first request would otherwise be done before the pool had a second one.
        await Promise.all(Array.from({ length: 10 }, (_, i) => client.list({ status: 'closed', per_page: 10 + i })));
        count.queries = 0;
        const together = await Promise.all(Array.from({ length: 10 }, () => client.list({ per_page: 3 })));
        const queriesTogether = count.queries;
        // What one request alone costs once a write has moved the version.
        expect((await client.put(randomUUID(), conversationBody())).statusCode).toBe(201);
        count.queries = 0;
        expect((await client.list({ per_page: 3 })).statusCode).toBe(200);
        const reading = count.queries - 1;
        // One token lookup for the ten (see bearerAuth), one reading.
        expect(queriesTogether).toBe(1 + reading);

        const expected = together[0]!.json();
        expect(expected.data.total).toBe(3);
        for (const response of together) {
          expect(response.statusCode).toBe(200);
          expect(response.json()).toEqual(expected);
          expect(response.headers.etag).toBe(together[0]!.headers.etag);
        }
        expect(new Set(together.map((response) => response.headers['x-request-id'])).size).toBe(10);

        // An answer that is no 200 is not shared: each request makes its own.
        const missing = randomUUID();
        const notFound = await Promise.all(
          Array.from({ length: 5 }, () => client.request({ method: 'GET', url: `/api/v1/conversations/${missing}` })),
        );
        for (const response of notFound) {
          expect(response.statusCode).toBe(404);
          expect(response.json()).toEqual({
            success: false,
            message: 'Conversation not found',
            error: { code: 'NOT_FOUND', details: 'Conversation not found' },
          });
        }
      } finally {
        await close();
      }
    });

    it('reads a page with the same small number of SQL queries whatever per_page is', async () => {
      const ws = await t.newWorkspace();
      const agent = randomUUID();
      const bodies = Array.from({ length: 105 }, (_, i) =>
        conversationBody({
          agent_uuid: agent,
          created_at: at(i),
          session_uuids: [randomUUID(), randomUUID()],
          task_uuids: [randomUUID(), randomUUID()],
        }),
      );
      // In batches, so that PostgreSQL's pool works in parallel; SQLite serialises them anyway.
      for (let i = 0; i < bodies.length; i += 15) {
        await Promise.all(bodies.slice(i, i + 15).map((body) => create(ws, body)));
      }

      const { client, count, close } = await countingClient(ws);
      try {
        const unchanged = { uuid: randomUUID(), body: minimalBody() };
        await create(ws, unchanged.body, unchanged.uuid);
        const cost = async (query: Query) => {
          // An unchanged PUT moves the data version, so the total is counted afresh (see the test above).
          await client.put(unchanged.uuid, unchanged.body);
          count.queries = 0;
          const response = await client.list(query);
          expect(response.statusCode, response.body).toBe(200);
          return { queries: count.queries, items: response.json().data.data.length as number };
        };

        const one = await cost({ per_page: 1 });
        const hundred = await cost({ per_page: 100 });
        expect(one.items).toBe(1);
        expect(hundred.items).toBe(100);
        expect(hundred.queries).toBe(one.queries);
        // Token, total, page ids, page bodies.
        expect(one.queries).toBeLessThanOrEqual(4);

        const lastPage = await cost({ per_page: 100, page: 2, sort_by: 'updated_at', sort_dir: 'asc' });
        expect(lastPage.items).toBe(6);
        expect(lastPage.queries).toBe(one.queries);

        const filters = { agent_uuid: agent, channel: 'whatsapp', status: 'active', phone: '20 7946' };
        // The first request for a common fragment also writes its kept total, once.
        await cost(filters);
        const filteredOne = await cost({ ...filters, per_page: 1 });
        const filteredHundred = await cost({ ...filters, per_page: 100 });
        expect(filteredHundred.items).toBe(100);
        expect(filteredHundred.queries).toBe(filteredOne.queries);
        // One lookup per filter that names something: the agent, and a phone fragment's total (which
        // bounds the matches; on PostgreSQL the same statement lists the contacts it matches).
        expect(filteredOne.queries).toBeLessThanOrEqual(one.queries + 2);
      } finally {
        await close();
      }
    });

    it("tries to keep no more phone fragments' totals once the workspace keeps as many as it may", async () => {
      const ws = await t.newWorkspace();
      // Twenty numbers of random digits: each of their fragments is in at least one of twenty conversations, so common.
      const numbers = Array.from({ length: 20 }, () => Array.from({ length: 10 }, () => Math.floor(Math.random() * 10)).join(''));
      for (const phone_number of numbers) await create(ws, minimalBody({ contact: { uuid: randomUUID(), phone_number } }));
      const fragments = [
        ...new Set(
          numbers.flatMap((digits) =>
            [4, 5, 6, 7].flatMap((length) => Array.from({ length: digits.length - length + 1 }, (_, i) => digits.slice(i, i + length))),
          ),
        ),
      ];
      expect(fragments.length).toBeGreaterThan(300);

      const { client, count, close } = await countingClient(ws);
      try {
        const insertsFor = async (phone: string) => {
          count.inserts = 0;
          const response = await client.list({ phone, per_page: 1 });
          expect(response.statusCode, response.body).toBe(200);
          expect(response.json().data.total).toBeGreaterThan(0);
          return count.inserts;
        };
        // More fragments than a workspace may keep, each asked for the first time.
        const asked = fragments.slice(0, 300);
        for (const phone of asked) await insertsFor(phone);
        const kept = await t.db
          .selectFrom('phone_fragment_totals')
          .where('workspace_id', '=', ws.id)
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .executeTakeFirstOrThrow();
        expect(Number(kept.n)).toBeLessThan(asked.length);
        // Another common fragment is summed, and not written.
        expect(await insertsFor(fragments[300]!)).toBe(0);
      } finally {
        await close();
      }
    });
  });
});
