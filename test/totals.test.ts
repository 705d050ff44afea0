import { randomUUID } from 'node:crypto';
import { expect, it } from 'vitest';
import { type Kysely, sql, type Transaction } from 'kysely';
import { importNdjson } from '../src/bulk/import.js';
import type { Database } from '../src/db/tables.js';
import { writeTransaction } from '../src/db/transaction.js';
import * as indexPhoneSuffixes from '../src/db/migrations/2026-11-26T140000-index-phone-suffixes.js';
import * as keepNewestPerPhoneSuffix from '../src/db/migrations/2026-11-27T220000-keep-newest-conversation-per-phone-suffix.js';
import * as keepCommonPhoneFragmentTotals from '../src/db/migrations/2026-11-28T000000-keep-common-phone-fragment-totals.js';
import * as deferPhoneSuffixesInBulkWrites from '../src/db/migrations/2026-11-28T060000-defer-phone-suffixes-in-bulk-writes.js';
import { describeEachDialect, type TestWorkspace } from './helpers/app.js';
import { conversationBody, minimalBody } from './helpers/fixtures.js';

/** A small deterministic generator, so a failure can be replayed. */
function random(seed: number) {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

interface Expected {
  status: string;
  channel: string;
  agent: string | null;
}

const STATUSES = ['Active', 'Closed'];
const CHANNELS = ['Whatsapp', 'SMS', 'Call'];

async function totalOf(ws: TestWorkspace, query: Record<string, string>) {
  const response = await ws.list({ ...query, per_page: 1 });
  expect(response.statusCode).toBe(200);
  return response.json().data.total as number;
}

/** Every total the trigger-kept counts answer, against the truth kept in the test. */
async function expectTotals(ws: TestWorkspace, rows: Map<string, Expected>, agents: string[]) {
  const all = [...rows.values()];
  const count = (keep: (row: Expected) => boolean) => all.filter(keep).length;
  expect(await totalOf(ws, {})).toBe(all.length);
  for (const status of STATUSES) {
    expect(await totalOf(ws, { status })).toBe(count((r) => r.status === status));
    for (const channel of CHANNELS) {
      expect(await totalOf(ws, { status, channel })).toBe(count((r) => r.status === status && r.channel === channel));
    }
  }
  for (const agent of agents) {
    expect(await totalOf(ws, { agent_uuid: agent })).toBe(count((r) => r.agent === agent));
    expect(await totalOf(ws, { agent_uuid: agent, status: 'Closed', channel: 'SMS' })).toBe(
      count((r) => r.agent === agent && r.status === 'Closed' && r.channel === 'SMS'),
    );
  }
  expect(await totalOf(ws, { channel: 'whatsapp,sms' })).toBe(count((r) => r.channel !== 'Call'));
  expect(await totalOf(ws, { agent_uuid: agents.join(',') })).toBe(count((r) => r.agent !== null));
}

describeEachDialect('exact totals after writes', (t) => {
  it('keeps every total exact through creates, status, channel and agent changes, PATCHes and idempotent re-PUTs', async () => {
    const ws = await t.newWorkspace();
    const other = await t.newWorkspace();
    const next = random(20261125);
    const pick = <T>(items: T[]) => items[Math.floor(next() * items.length)]!;
    const agents = [randomUUID(), randomUUID(), randomUUID()];
    const rows = new Map<string, Expected>();

    // Another workspace's writes must never show in this one's totals.
    for (let i = 0; i < 5; i++) await other.put(randomUUID(), minimalBody({ agent_uuid: agents[0], channel: 'SMS', status: 'Closed' }));

    for (let step = 0; step < 60; step++) {
      const existing = [...rows.keys()];
      const action = existing.length === 0 ? 0 : Math.floor(next() * 4);
      if (action <= 1) {
        const uuid = action === 0 ? randomUUID() : pick(existing);
        const row = { status: pick(STATUSES), channel: pick(CHANNELS), agent: next() < 0.2 ? null : pick(agents) };
        const contact = { uuid: randomUUID() };
        const response = await ws.put(uuid, minimalBody({ contact, status: row.status, channel: row.channel, agent_uuid: row.agent }));
        expect(response.statusCode).toBe(action === 0 ? 201 : 200);
        rows.set(uuid, row);
      } else if (action === 2) {
        const uuid = pick(existing);
        const status = pick(STATUSES);
        const response = await ws.request({ method: 'PATCH', url: `/api/v1/conversations/${uuid}`, payload: { status } });
        expect(response.statusCode).toBe(200);
        rows.get(uuid)!.status = status;
      } else {
        const uuid = pick(existing);
        const current = (await ws.request({ method: 'GET', url: `/api/v1/conversations/${uuid}` })).json().data;
        expect((await ws.put(uuid, current)).statusCode).toBe(200);
      }
      if (step % 10 === 9) await expectTotals(ws, rows, agents);
    }
    await expectTotals(ws, rows, agents);
  });
});

describeEachDialect('campaign filter after call changes', (t) => {
  it('follows the call: set, moved to another campaign, replaced by another call, removed', async () => {
    const ws = await t.newWorkspace();
    const [first, second] = [randomUUID(), randomUUID()];
    const uuid = randomUUID();
    const contact = { uuid: randomUUID() };
    const inCampaign = async (campaign: string) => (await ws.list({ campaign_uuid: campaign })).json().data;
    const expectIn = async (campaign: string, uuids: string[]) => {
      const data = await inCampaign(campaign);
      expect({ total: data.total, uuids: data.data.map((c: { uuid: string }) => c.uuid) }).toEqual({ total: uuids.length, uuids });
    };

    await ws.put(uuid, minimalBody({ contact, call: { uuid: randomUUID() }, campaign_uuid: first }));
    await expectIn(first, [uuid]);
    await ws.put(uuid, minimalBody({ contact, campaign_uuid: second }));
    await expectIn(first, []);
    await expectIn(second, [uuid]);
    await ws.put(uuid, minimalBody({ contact, call: { uuid: randomUUID() }, campaign_uuid: first }));
    await expectIn(first, [uuid]);
    await expectIn(second, []);
    await ws.put(uuid, minimalBody({ contact, call: null }));
    await expectIn(first, []);
  });
});

describeEachDialect('phone fragment pages after writes', (t) => {
  it('stay exact, totals and order, as conversations are added, moved to other contacts, re-dated and their contacts renumbered, in this workspace or another', async () => {
    const ws = await t.newWorkspace();
    const other = await t.newWorkspace();
    const next = random(20261126);
    const pick = <T>(items: T[]) => items[Math.floor(next() * items.length)]!;
    const NUMBERS = ['+44 7700 900111', '+44 7700 900222', '+1 555 0100', '+1 (555) 7700', '+90 532 0100 44', null];
    const FRAGMENTS = ['7700', '555', '0100', '44', '900', '532 0100'];
    // Few times, so that many conversations share one and their order falls to the order they were made in.
    const TIMES = ['2024-03-01T10:00:00Z', '2024-03-02T10:00:00Z', '2024-03-03T10:00:00Z'];
    const phones = new Map<string, string | null>();
    const contactOf = new Map<string, string>();
    const createdAt = new Map<string, string>();
    /** Each conversation's place in the order they were made in, which breaks ties of `created_at`. */
    const made = new Map<string, number>();
    const noteMade = (uuid: string) => made.has(uuid) || made.set(uuid, made.size);

    const put = async (workspace: TestWorkspace, uuid: string, contact: string, status = 'Active') => {
      const body = minimalBody({ contact: { uuid: contact, phone_number: phones.get(contact) }, status, created_at: createdAt.get(uuid) });
      const response = await workspace.put(uuid, body);
      expect(response.statusCode, response.body).toBeLessThan(300);
    };
    const uuidsOf = (response: { json(): { data: { data: { uuid: string }[] } } }) => response.json().data.data.map((c) => c.uuid);
    const expectPhonePages = async (step: number) => {
      for (const fragment of FRAGMENTS) {
        const digits = fragment.replaceAll(' ', '');
        const expected = [...contactOf]
          .filter(([, contact]) => phones.get(contact)?.replace(/\D/g, '').includes(digits))
          .map(([uuid]) => uuid)
          .sort((a, b) => createdAt.get(b)!.localeCompare(createdAt.get(a)!) || made.get(b)! - made.get(a)!);
        const whole = await ws.list({ phone: fragment, per_page: 100 });
        const pages = [1, 2].map(async (page) => uuidsOf(await ws.list({ phone: fragment, per_page: 2, page })));
        expect({ step, fragment, total: whole.json().data.total, uuids: uuidsOf(whole), pages: await Promise.all(pages) }).toEqual({
          step,
          fragment,
          total: expected.length,
          uuids: expected,
          pages: [expected.slice(0, 2), expected.slice(2, 4)],
        });
      }
    };

    for (let step = 0; step < 50; step++) {
      const conversations = [...contactOf.keys()];
      const contacts = [...phones.keys()];
      const action = conversations.length < 3 ? 0 : Math.floor(next() * 7);
      if (action === 0 || action === 1) {
        // A new conversation, with a new contact or one already known.
        const contact = action === 0 ? randomUUID() : pick(contacts);
        if (action === 0) phones.set(contact, pick(NUMBERS));
        const uuid = randomUUID();
        createdAt.set(uuid, pick(TIMES));
        await put(ws, uuid, contact);
        contactOf.set(uuid, contact);
        noteMade(uuid);
      } else if (action === 2) {
        // A conversation given another contact.
        const uuid = pick(conversations);
        const contact = pick(contacts);
        await put(ws, uuid, contact);
        contactOf.set(uuid, contact);
      } else if (action === 3) {
        // A contact renumbered, through one of its conversations.
        const uuid = pick(conversations);
        phones.set(contactOf.get(uuid)!, pick(NUMBERS));
        await put(ws, uuid, contactOf.get(uuid)!);
      } else if (action === 4) {
        const uuid = pick(conversations);
        const status = pick(STATUSES);
        expect((await ws.request({ method: 'PATCH', url: `/api/v1/conversations/${uuid}`, payload: { status } })).statusCode).toBe(200);
      } else if (action === 5) {
        // A conversation re-dated.
        const uuid = pick(conversations);
        createdAt.set(uuid, pick(TIMES));
        await put(ws, uuid, contactOf.get(uuid)!);
      } else {
        // Another workspace's conversations, numbered alike, take ids in between and never count here.
        const contact = randomUUID();
        phones.set(contact, pick(NUMBERS));
        await put(other, randomUUID(), contact);
        phones.delete(contact);
      }
      await expectPhonePages(step);
    }

    // An import's new conversations, and a line that moves one to a renumbered contact.
    const [moved] = [...contactOf.keys()];
    const renumbered = randomUUID();
    phones.set(renumbered, '+44 7700 900999');
    const lines = [
      { uuid: randomUUID(), contact: pick([...phones.keys()]) },
      { uuid: randomUUID(), contact: renumbered },
      { uuid: moved!, contact: renumbered },
    ];
    for (const { uuid } of lines) if (!createdAt.has(uuid)) createdAt.set(uuid, pick(TIMES));
    const imported = await importNdjson(
      t.db,
      ws.id,
      (async function* () {
        for (const { uuid, contact } of lines) {
          const body = conversationBody();
          const contactBody = { ...body.contact, uuid: contact, phone_number: phones.get(contact) };
          yield JSON.stringify({ uuid, ...body, created_at: createdAt.get(uuid), contact: contactBody });
        }
      })(),
    );
    expect(imported).toMatchObject({ imported: 3, rejected: [] });
    for (const { uuid, contact } of lines) {
      contactOf.set(uuid, contact);
      noteMade(uuid);
    }
    await expectPhonePages(50);
  });
});

describeEachDialect("a phone fragment's first page", (t) => {
  it('follows the newest conversation of each contact as conversations are added, re-dated and moved', async () => {
    const ws = await t.newWorkspace();
    const contacts = ['+44 7700 900111', '+44 7700 900222', '+44 7700 900333'].map((phone_number) => ({
      uuid: randomUUID(),
      phone_number,
    }));
    const [a, b, c] = contacts.map(() => randomUUID());
    const put = async (uuid: string, contact: (typeof contacts)[number], day: number) =>
      expect((await ws.put(uuid, minimalBody({ contact, created_at: `2024-03-0${day}T10:00:00Z` }))).statusCode).toBeLessThan(300);
    const firstPage = async () => (await ws.list({ phone: '7700', per_page: 1 })).json().data.data.map((c: { uuid: string }) => c.uuid);

    await put(a!, contacts[0]!, 3);
    await put(b!, contacts[1]!, 2);
    await put(c!, contacts[2]!, 1);
    expect(await firstPage()).toEqual([a]);
    // Its contact's newest is now older than the others'.
    await put(a!, contacts[0]!, 1);
    expect(await firstPage()).toEqual([b]);
    // Moved to a contact without any: the one it left has none now, the one it joined has it.
    await put(b!, contacts[0]!, 2);
    await put(a!, contacts[0]!, 1);
    expect(await firstPage()).toEqual([b]);
    await put(b!, contacts[2]!, 2);
    expect(await firstPage()).toEqual([b]);
    await put(c!, contacts[1]!, 4);
    expect(await firstPage()).toEqual([c]);
  });
});

describeEachDialect("a common phone fragment's kept total", (t) => {
  it('follows conversations and contacts deleted in the database, in any order', async () => {
    const ws = await t.newWorkspace();
    const contacts = ['+44 7700 900111', '+44 7700 900222', '+1 555 0100'].map((phone_number) => ({ uuid: randomUUID(), phone_number }));
    const conversations = [0, 0, 1, 1, 1, 2].map((i) => ({ uuid: randomUUID(), contact: contacts[i]! }));
    for (const { uuid, contact } of conversations) expect((await ws.put(uuid, minimalBody({ contact }))).statusCode).toBe(201);
    const total = async (phone: string) => (await ws.list({ phone, per_page: 1 })).json().data.total;
    expect([await total('7700'), await total('0100')]).toEqual([5, 1]);

    // Each deletion in a write transaction of Parley's, which moves the workspace's data version as any write does.
    const remove = (work: (trx: Transaction<Database>) => Promise<unknown>) => writeTransaction(t.db, ws.id, work);
    const contactId = async (i: number) =>
      (await t.db.selectFrom('contacts').select('id').where('uuid', '=', contacts[i]!.uuid).executeTakeFirstOrThrow()).id;
    await remove((trx) => trx.deleteFrom('conversations').where('uuid', '=', conversations[0]!.uuid).execute());
    expect([await total('7700'), await total('0100')]).toEqual([4, 1]);
    // A contact deleted after its conversations; on SQLite, one deleted before them, which a
    // transaction may do there with its foreign keys deferred.
    const second = await contactId(1);
    await remove(async (trx) => {
      await trx.deleteFrom('conversations').where('contact_id', '=', second).execute();
      await trx.deleteFrom('contacts').where('id', '=', second).execute();
    });
    expect([await total('7700'), await total('0100')]).toEqual([1, 1]);
    if (t.dialect === 'sqlite') {
      const third = await contactId(2);
      await remove(async (trx) => {
        await sql`pragma defer_foreign_keys = on`.execute(trx);
        await trx.deleteFrom('contacts').where('id', '=', third).execute();
        await trx.deleteFrom('conversations').where('contact_id', '=', third).execute();
      });
      expect([await total('7700'), await total('0100')]).toEqual([1, 0]);
    }
  });
});

describeEachDialect('phone fragment pages after an upgrade', (t) => {
  it('count and order the conversations written before the migrations that index phone suffixes and keep their newest', async () => {
    const ws = await t.newWorkspace();
    const uuids: string[] = [];
    const put = async (phone_number: string, created_at: string) => {
      const uuid = randomUUID();
      expect((await ws.put(uuid, minimalBody({ contact: { uuid: randomUUID(), phone_number }, created_at }))).statusCode).toBe(201);
      uuids.push(uuid);
    };
    const phonePage = async () => (await ws.list({ phone: '7700', per_page: 2 })).json().data;
    await put('+44 7700 900111', '2024-03-02T10:00:00Z');
    await put('+44 7700 900222', '2024-03-01T10:00:00Z');
    await put('+1 555 0100', '2024-03-03T10:00:00Z');
    await put('+44 7700 900444', '2024-03-01T10:00:00Z');
    // A common fragment, whose total is kept from now on.
    expect(await phonePage()).toMatchObject({ total: 3 });
    // Down the later migrations: the one that lets bulk writes add suffixes, the one that keeps
    // common fragments' totals and the one that rebuilds the suffixes as the earlier one made
    // them; then all up again.
    const db = t.db as Kysely<unknown>;
    await deferPhoneSuffixesInBulkWrites.down(db);
    await keepCommonPhoneFragmentTotals.down(db);
    await keepNewestPerPhoneSuffix.down(db);
    await indexPhoneSuffixes.down(db);
    await indexPhoneSuffixes.up(db);
    await keepNewestPerPhoneSuffix.up(db);
    await keepCommonPhoneFragmentTotals.up(db);
    await deferPhoneSuffixesInBulkWrites.up(db);
    expect(await phonePage()).toMatchObject({ total: 3, data: [{ uuid: uuids[0] }, { uuid: uuids[3] }] });
    await put('07700 900333', '2024-03-01T12:00:00Z');
    expect(await phonePage()).toMatchObject({ total: 4, data: [{ uuid: uuids[0] }, { uuid: uuids[4] }] });
  });
});

describeEachDialect('totals of narrow filters, whatever the page', (t) => {
  it("give a contact's total on every page, short, full, past the end and by cursor, and after its next conversation", async () => {
    const ws = await t.newWorkspace();
    const contact = { uuid: randomUUID() };
    const created = (i: number) => `2024-03-01T10:${String(i).padStart(2, '0')}:00Z`;
    const uuids: string[] = [];
    const write = async () => {
      const uuid = randomUUID();
      expect((await ws.put(uuid, minimalBody({ contact, created_at: created(uuids.length) }))).statusCode).toBe(201);
      uuids.unshift(uuid);
    };
    for (let i = 0; i < 6; i++) await write();

    // Another contact's conversation before each request, so that each counts afresh instead of
    // reusing the total kept for the workspace's data version.
    const writeElsewhere = async () => expect((await ws.put(randomUUID(), minimalBody())).statusCode).toBe(201);
    const expectPages = async (perPage: number) => {
      for (let page = 1; page <= Math.ceil(uuids.length / perPage) + 1; page++) {
        await writeElsewhere();
        const response = await ws.list({ contact_uuid: contact.uuid, per_page: perPage, page });
        expect(response.statusCode).toBe(200);
        const { total, data } = response.json().data;
        expect({ page, total, uuids: data.map((c: { uuid: string }) => c.uuid) }).toEqual({
          page,
          total: uuids.length,
          uuids: uuids.slice((page - 1) * perPage, page * perPage),
        });
      }
      let cursor = '';
      const walked: string[] = [];
      do {
        await writeElsewhere();
        const response = await ws.list({ contact_uuid: contact.uuid, per_page: perPage, cursor });
        expect(response.statusCode).toBe(200);
        const { data } = response.json();
        expect(data.total).toBe(uuids.length);
        walked.push(...data.data.map((c: { uuid: string }) => c.uuid));
        cursor = data.next_cursor ?? '';
      } while (cursor);
      expect(walked).toEqual(uuids);
    };
    // Pages of fewer rows than the matches, as many, one fewer and one more.
    for (const perPage of [4, 6, 5, 7]) await expectPages(perPage);
    await write();
    for (const perPage of [6, 7]) await expectPages(perPage);

    const nobody = await ws.list({ contact_uuid: randomUUID(), page: 2 });
    expect(nobody.json().data).toMatchObject({ total: 0, data: [] });
  });
});
