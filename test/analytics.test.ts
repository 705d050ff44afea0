import { randomUUID } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import type { Database } from '../src/db/tables.js';
import { describeEachDialect, type Query, type TestWorkspace, toQueryString } from './helpers/app.js';
import { conversationBody, minimalBody } from './helpers/fixtures.js';

// "now" is pinned (only Date is faked, timers run) so that meta.generated_at compares exactly.
const NOW = '2030-06-01T12:00:00Z';
beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(new Date(NOW));
});
afterEach(() => {
  vi.useRealTimers();
});

/** The window most tests export: all of 2024-03-01. */
const WINDOW = { from: '2024-03-01T00:00:00Z', to: '2024-03-02T00:00:00Z' };

interface Exported {
  message_uuid: string;
  content: string;
  [key: string]: unknown;
}

const exportMessages = (ws: TestWorkspace, query: Query | string) =>
  ws.request({ method: 'GET', url: `/api/v1/analytics/messages${toQueryString(query)}` });

async function put(ws: TestWorkspace, body: object) {
  const uuid = randomUUID();
  const res = await ws.put(uuid, body);
  expect(res.statusCode, res.body).toBe(201);
  return { uuid, ...(res.json().data as { agent_uuid: string | null; campaign_uuid: string | null; contact: { uuid: string } }) };
}

async function append(ws: TestWorkspace, conversation: string, payload: Record<string, unknown>) {
  const res = await ws.request({ method: 'POST', url: `/api/v1/conversations/${conversation}/messages`, payload });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().data as { uuid: string; content: string };
}

/**
 * Follows next_cursor from `query.cursor` (or the start) to the last page, checking each page's
 * shape on the way, and that the end is a place to resume from; returns the messages and the last cursor.
 */
async function walkFrom(ws: TestWorkspace, query: Query, between?: (page: number) => Promise<void>) {
  const seen: Exported[] = [];
  let cursor = query.cursor as string | undefined;
  for (let page = 1; page < 100; page++) {
    const res = await exportMessages(ws, { ...query, cursor });
    expect(res.statusCode, res.body).toBe(200);
    const { messages, pagination } = res.json() as {
      messages: Exported[];
      pagination: { next_cursor: string | null; has_more: boolean; limit: number };
    };
    seen.push(...messages);
    // The cursor after the last message returned; with none returned, the one sent (null if none was).
    if (messages.length > 0) expect(pagination.next_cursor).toEqual(expect.any(String));
    else expect(pagination.next_cursor).toBe(cursor ?? null);
    if (!pagination.has_more) {
      if (pagination.next_cursor !== null) {
        // Asked again from the end, with nothing new: no messages, and the same cursor back.
        const again = await exportMessages(ws, { ...query, cursor: pagination.next_cursor });
        expect(again.json().messages).toEqual([]);
        expect(again.json().pagination).toEqual(pagination);
      }
      return { seen, cursor: pagination.next_cursor };
    }
    expect(messages).toHaveLength(pagination.limit);
    cursor = pagination.next_cursor!;
    await between?.(page);
  }
  throw new Error('the walk did not end');
}

/** The messages of a walk from the first page to the last. */
const walk = async (ws: TestWorkspace, query: Query, between?: (page: number) => Promise<void>) =>
  (await walkFrom(ws, { ...query, cursor: undefined }, between)).seen;

const contents = (messages: { content: string }[]) => messages.map((m) => m.content);

const validation = (field: string, details: string) => ({
  success: false,
  message: 'The given data was invalid',
  error: { code: 'VALIDATION_ERROR', details, field },
});

const meta = (overrides: Record<string, unknown> = {}) => ({
  from: WINDOW.from,
  to: WINDOW.to,
  channel: null,
  agent_uuid: null,
  campaign_uuid: null,
  generated_at: NOW,
  ...overrides,
});

/** PostgreSQL only: sessions of this database waiting for a lock. */
async function lockWaiters(db: Kysely<Database>) {
  const { rows } = await sql<{ n: number }>`
    select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`.execute(db);
  return rows[0]!.n;
}

describeEachDialect('analytics message export', (t) => {
  it('exports each message with its conversation context, direction and lower-case channel', async () => {
    const ws = await t.newWorkspace();
    const session = randomUUID();
    const whatsapp = await put(ws, conversationBody({ channel: 'Whatsapp', session_uuids: [session] }));
    const sms = await put(ws, minimalBody({ channel: 'SMS' }));

    const inbound = await append(ws, whatsapp.uuid, {
      session_uuid: session,
      sender: 'Contact',
      message_type: 'text',
      content: 'Are you open?',
      created_at: '2024-03-01T10:00:00Z',
    });
    const ai = await append(ws, whatsapp.uuid, {
      session_uuid: session,
      sender: 'AI',
      message_type: 'text',
      content: 'Yes',
      created_at: '2024-03-01T10:00:05Z',
    });
    const human = await append(ws, sms.uuid, { sender: 'Human', content: 'Follow-up', created_at: '2024-03-01T09:00:00Z' });

    const res = await exportMessages(ws, WINDOW);
    expect(res.statusCode).toBe(200);
    const context = {
      conversation_uuid: whatsapp.uuid,
      session_uuid: session,
      contact_uuid: whatsapp.contact.uuid,
      agent_uuid: whatsapp.agent_uuid,
      channel: 'whatsapp',
      channel_label: 'Whatsapp',
    };
    expect(res.json()).toEqual({
      meta: meta(),
      messages: [
        {
          message_uuid: inbound.uuid,
          ...context,
          direction: 'inbound',
          sender: 'Contact',
          message_type: 'text',
          content: 'Are you open?',
          created_at: '2024-03-01T10:00:00Z',
        },
        {
          message_uuid: ai.uuid,
          ...context,
          direction: 'outbound',
          sender: 'AI',
          message_type: 'text',
          content: 'Yes',
          created_at: '2024-03-01T10:00:05Z',
        },
        {
          message_uuid: human.uuid,
          conversation_uuid: sms.uuid,
          session_uuid: null,
          contact_uuid: sms.contact.uuid,
          agent_uuid: null,
          channel: 'sms',
          channel_label: 'SMS',
          direction: 'outbound',
          sender: 'Human',
          message_type: null,
          content: 'Follow-up',
          created_at: '2024-03-01T09:00:00Z',
        },
      ],
      // At the end too: the cursor after the last message, to resume from once more arrive.
      pagination: { next_cursor: expect.any(String), has_more: false, limit: 500 },
    });
  });

  it('requires from and to as date-times, with to later than from', async () => {
    const ws = await t.newWorkspace();
    const cases: [Query | string, string, string][] = [
      [{ to: WINDOW.to }, 'from', 'from is required'],
      [{ from: WINDOW.from }, 'to', 'to is required'],
      [{}, 'from', 'from is required'],
      [{ ...WINDOW, from: 'yesterday' }, 'from', 'from must be a valid date-time'],
      [{ ...WINDOW, from: '2024-03-01' }, 'from', 'from must be a valid date-time'],
      [{ ...WINDOW, to: '2024-03-32T00:00:00Z' }, 'to', 'to must be a valid date-time'],
      [{ ...WINDOW, to: WINDOW.from }, 'to', 'to must be later than from'],
      [{ from: WINDOW.to, to: WINDOW.from }, 'to', 'to must be later than from'],
      // The same instant written with another offset is not later.
      [{ from: WINDOW.from, to: '2024-03-01T02:00:00+02:00' }, 'to', 'to must be later than from'],
      [`?from=${WINDOW.from}&from=${WINDOW.from}&to=${WINDOW.to}`, 'from', 'from must be given only once'],
    ];
    for (const [query, field, details] of cases) {
      const res = await exportMessages(ws, query);
      expect(res.statusCode, JSON.stringify(query)).toBe(422);
      expect(res.json()).toEqual(validation(field, details));
    }
  });

  it('takes from inclusive and to exclusive, in any offset', async () => {
    const ws = await t.newWorkspace();
    const { uuid } = await put(ws, conversationBody());
    for (const [content, created_at] of [
      ['before', '2024-03-01T09:59:59Z'],
      ['at from', '2024-03-01T10:00:00Z'],
      ['inside', '2024-03-01T10:30:00Z'],
      ['just before to', '2024-03-01T10:59:59Z'],
      ['at to', '2024-03-01T11:00:00Z'],
      ['after', '2024-03-01T12:00:00Z'],
    ]) {
      await append(ws, uuid, { sender: 'AI', content, created_at });
    }
    const res = await exportMessages(ws, { from: '2024-03-01T10:00:00Z', to: '2024-03-01T11:00:00Z' });
    expect(res.json().meta).toEqual(meta({ from: '2024-03-01T10:00:00Z', to: '2024-03-01T11:00:00Z' }));
    expect(contents(res.json().messages)).toEqual(['at from', 'inside', 'just before to']);

    const offsets = await exportMessages(ws, { from: '2024-03-01T12:00:00+02:00', to: '2024-03-01T05:00:00-06:00' });
    expect(offsets.json().meta).toEqual(meta({ from: '2024-03-01T10:00:00Z', to: '2024-03-01T11:00:00Z' }));
    expect(contents(offsets.json().messages)).toEqual(['at from', 'inside', 'just before to']);

    const oneSecond = await exportMessages(ws, { from: '2024-03-01T10:59:59Z', to: '2024-03-01T11:00:00Z' });
    expect(contents(oneSecond.json().messages)).toEqual(['just before to']);
    const empty = await exportMessages(ws, { from: '2025-01-01T00:00:00Z', to: '2026-01-01T00:00:00Z' });
    expect(empty.json()).toEqual({
      meta: meta({ from: '2025-01-01T00:00:00Z', to: '2026-01-01T00:00:00Z' }),
      messages: [],
      pagination: { next_cursor: null, has_more: false, limit: 500 },
    });
  });

  it('filters by channel in any case, and rejects an unknown channel', async () => {
    const ws = await t.newWorkspace();
    const whatsapp = await put(ws, conversationBody({ channel: 'Whatsapp' }));
    const sms = await put(ws, conversationBody({ channel: 'SMS' }));
    await append(ws, whatsapp.uuid, { sender: 'Contact', content: 'w1', created_at: '2024-03-01T10:00:00Z' });
    await append(ws, sms.uuid, { sender: 'Contact', content: 's1', created_at: '2024-03-01T10:00:00Z' });
    await append(ws, whatsapp.uuid, { sender: 'AI', content: 'w2', created_at: '2024-03-01T10:01:00Z' });

    for (const [channel, canonical, expected] of [
      ['whatsapp', 'Whatsapp', ['w1', 'w2']],
      ['WHATSAPP', 'Whatsapp', ['w1', 'w2']],
      ['Whatsapp', 'Whatsapp', ['w1', 'w2']],
      ['sms', 'SMS', ['s1']],
      ['Sms', 'SMS', ['s1']],
      ['call', 'Call', []],
    ] as const) {
      const res = await exportMessages(ws, { ...WINDOW, channel });
      expect(res.statusCode).toBe(200);
      expect(res.json().meta, channel).toEqual(meta({ channel: canonical }));
      expect(contents(res.json().messages), channel).toEqual(expected);
    }
    const bad = await exportMessages(ws, { ...WINDOW, channel: 'fax' });
    expect(bad.statusCode).toBe(422);
    expect(bad.json()).toEqual(validation('channel', 'channel must be one of Whatsapp, SMS, Call, Messenger, Instagram, Email, Webchat'));
  });

  it("filters by agent, and by campaign through the conversation's call", async () => {
    const ws = await t.newWorkspace();
    const agent = randomUUID();
    const campaign = randomUUID();
    const first = await put(ws, conversationBody({ agent_uuid: agent, campaign_uuid: campaign }));
    const sameAgentOtherCampaign = await put(ws, conversationBody({ agent_uuid: agent }));
    const sameCampaignNoAgent = await put(ws, conversationBody({ agent_uuid: null, campaign_uuid: campaign, channel: 'Call' }));
    const noCall = await put(ws, minimalBody({ agent_uuid: agent }));
    await append(ws, first.uuid, { sender: 'Contact', content: 'first', created_at: '2024-03-01T10:00:00Z' });
    await append(ws, sameAgentOtherCampaign.uuid, { sender: 'AI', content: 'same agent', created_at: '2024-03-01T10:00:00Z' });
    await append(ws, sameCampaignNoAgent.uuid, { sender: 'AI', content: 'same campaign', created_at: '2024-03-01T10:00:00Z' });
    await append(ws, noCall.uuid, { sender: 'AI', content: 'no call', created_at: '2024-03-01T10:00:00Z' });

    const byAgent = await exportMessages(ws, { ...WINDOW, agent_uuid: agent.toUpperCase() });
    expect(byAgent.json().meta).toEqual(meta({ agent_uuid: agent }));
    expect(contents(byAgent.json().messages)).toEqual(['first', 'same agent', 'no call']);
    expect(byAgent.json().messages.every((m: Exported) => m.agent_uuid === agent)).toBe(true);

    const byCampaign = await exportMessages(ws, { ...WINDOW, campaign_uuid: campaign.toUpperCase() });
    expect(byCampaign.json().meta).toEqual(meta({ campaign_uuid: campaign }));
    expect(contents(byCampaign.json().messages)).toEqual(['first', 'same campaign']);

    const both = await exportMessages(ws, { ...WINDOW, agent_uuid: agent, campaign_uuid: campaign, channel: 'whatsapp' });
    expect(both.json().meta).toEqual(meta({ agent_uuid: agent, campaign_uuid: campaign, channel: 'Whatsapp' }));
    expect(contents(both.json().messages)).toEqual(['first']);
    expect(contents((await exportMessages(ws, { ...WINDOW, campaign_uuid: campaign, channel: 'sms' })).json().messages)).toEqual([]);

    // Well-formed uuids that name nothing match nothing; malformed ones are a 422.
    expect((await exportMessages(ws, { ...WINDOW, agent_uuid: randomUUID() })).json().messages).toEqual([]);
    expect((await exportMessages(ws, { ...WINDOW, campaign_uuid: randomUUID() })).json().messages).toEqual([]);
    for (const field of ['agent_uuid', 'campaign_uuid']) {
      const res = await exportMessages(ws, { ...WINDOW, [field]: 'not-a-uuid' });
      expect(res.statusCode).toBe(422);
      expect(res.json()).toEqual(validation(field, `${field} must be a UUID`));
    }

    // The campaign is the call's: moving the call to another campaign moves the conversation's messages with it.
    const other = randomUUID();
    const res = await ws.put(sameCampaignNoAgent.uuid, {
      channel: 'Call',
      contact: { uuid: sameCampaignNoAgent.contact.uuid },
      campaign_uuid: other,
    });
    expect(res.statusCode).toBe(200);
    expect(contents((await exportMessages(ws, { ...WINDOW, campaign_uuid: campaign })).json().messages)).toEqual(['first']);
    expect(contents((await exportMessages(ws, { ...WINDOW, campaign_uuid: other })).json().messages)).toEqual(['same campaign']);
  });

  it('takes limit from 1 to 1000, 500 by default', async () => {
    const ws = await t.newWorkspace();
    const { uuid } = await put(ws, conversationBody());
    await append(ws, uuid, { sender: 'AI', content: 'a', created_at: '2024-03-01T10:00:00Z' });
    await append(ws, uuid, { sender: 'AI', content: 'b', created_at: '2024-03-01T10:00:00Z' });

    const all = (await exportMessages(ws, WINDOW)).json();
    expect(contents(all.messages)).toEqual(['a', 'b']);
    expect(all.pagination).toEqual({ next_cursor: expect.any(String), has_more: false, limit: 500 });
    // Whatever the limit, the cursor after b is the same.
    expect((await exportMessages(ws, { ...WINDOW, limit: 1000 })).json().pagination).toEqual({
      next_cursor: all.pagination.next_cursor,
      has_more: false,
      limit: 1000,
    });
    expect((await exportMessages(ws, { ...WINDOW, limit: 2 })).json().pagination).toEqual({
      next_cursor: all.pagination.next_cursor,
      has_more: false,
      limit: 2,
    });
    const one = (await exportMessages(ws, { ...WINDOW, limit: 1 })).json();
    expect(contents(one.messages)).toEqual(['a']);
    expect(one.pagination).toEqual({ next_cursor: expect.any(String), has_more: true, limit: 1 });
    expect(one.pagination.next_cursor).not.toBe(all.pagination.next_cursor);

    const cases: [Query | string, string][] = [
      [{ ...WINDOW, limit: 0 }, 'limit must be >= 1'],
      [{ ...WINDOW, limit: 1001 }, 'limit must be <= 1000'],
      [{ ...WINDOW, limit: -5 }, 'limit must be >= 1'],
      [{ ...WINDOW, limit: 2.5 }, 'limit must be an integer'],
      [{ ...WINDOW, limit: 'all' }, 'limit must be an integer'],
      [`?from=${WINDOW.from}&to=${WINDOW.to}&limit=1&limit=2`, 'limit must be given only once'],
    ];
    for (const [query, details] of cases) {
      const res = await exportMessages(ws, query);
      expect(res.statusCode, JSON.stringify(query)).toBe(422);
      expect(res.json()).toEqual(validation('limit', details));
    }
  });

  it('walks every message exactly once, in insertion order, with limit 3', async () => {
    const ws = await t.newWorkspace();
    const conversations = [
      await put(ws, conversationBody({ channel: 'Whatsapp' })),
      await put(ws, conversationBody({ channel: 'SMS' })),
      await put(ws, minimalBody({ channel: 'Whatsapp' })),
    ];
    const inserted: { uuid: string; content: string }[] = [];
    for (let i = 0; i < 21; i++) {
      // created_at deliberately out of insertion order, with ties: the export does not sort by it.
      const createdAt = `2024-03-01T${String(10 + ((i * 7) % 5)).padStart(2, '0')}:00:00Z`;
      const sender = ['Contact', 'AI', 'Human'][i % 3];
      inserted.push(await append(ws, conversations[i % 3]!.uuid, { sender, content: `m${i}`, created_at: createdAt }));
    }
    // Outside the window: never exported.
    await append(ws, conversations[0]!.uuid, { sender: 'AI', content: 'outside', created_at: '2024-03-02T00:00:00Z' });

    const pages: number[] = [];
    const seen = await walk(ws, { ...WINDOW, limit: 3 }, async () => {
      pages.push(0);
    });
    expect(pages).toHaveLength(6); // 21 messages: 7 full pages, the last one says has_more: false
    expect(seen.map((m) => m.message_uuid)).toEqual(inserted.map((m) => m.uuid));
    expect(new Set(seen.map((m) => m.message_uuid)).size).toBe(21);
    expect(seen.map((m) => m.direction)).toEqual(inserted.map((_, i) => (i % 3 === 0 ? 'inbound' : 'outbound')));

    // The same walk under a filter.
    const whatsapp = await walk(ws, { ...WINDOW, channel: 'WhatsApp', limit: 3 });
    expect(contents(whatsapp)).toEqual(contents(inserted.filter((_, i) => i % 3 !== 1)));
    // A page size that divides nothing evenly, and one larger than everything.
    expect(contents(await walk(ws, { ...WINDOW, limit: 4 }))).toEqual(contents(inserted));
    expect(contents(await walk(ws, { ...WINDOW, limit: 1000 }))).toEqual(contents(inserted));
  });

  it('neither repeats nor skips a message while new ones arrive between pages', async () => {
    const ws = await t.newWorkspace();
    const first = await put(ws, conversationBody());
    const second = await put(ws, conversationBody({ channel: 'SMS' }));
    const before: string[] = [];
    for (let i = 0; i < 20; i++) {
      before.push(
        (await append(ws, i % 2 ? first.uuid : second.uuid, { sender: 'AI', content: `old${i}`, created_at: '2024-03-01T12:00:00Z' }))
          .content,
      );
    }
    const arrived: string[] = [];
    const seen = await walk(ws, { ...WINDOW, limit: 3 }, async (page) => {
      if (page > 5) return;
      // Dated earlier than everything already walked past, and on either conversation.
      const created = await append(ws, page % 2 ? first.uuid : second.uuid, {
        sender: 'Contact',
        content: `new${page}`,
        created_at: '2024-03-01T00:00:00Z',
      });
      arrived.push(created.content);
      // A message outside the window arrives too, and is never exported.
      await append(ws, first.uuid, { sender: 'AI', content: `outside${page}`, created_at: '2024-02-29T23:59:59Z' });
    });
    expect(arrived).toHaveLength(5);
    expect(contents(seen)).toEqual([...before, ...arrived]);
    expect(new Set(seen.map((m) => m.message_uuid)).size).toBe(seen.length);
  });

  it('never exports a message ahead of one that an unfinished write will still add before it', async () => {
    const ws = await t.newWorkspace();
    const fastConversation = await put(ws, conversationBody());
    const slowConversation = await put(ws, conversationBody());
    await append(ws, fastConversation.uuid, { sender: 'AI', content: 'old', created_at: '2024-03-01T10:00:00Z' });

    // PostgreSQL: hold the slow conversation's row so that a message write to it stops half-way, as a slow writer would.
    const hold = t.dialect === 'postgres' ? await t.db.startTransaction().execute() : undefined;
    if (hold) await hold.selectFrom('conversations').select('id').where('uuid', '=', slowConversation.uuid).forNoKeyUpdate().execute();
    try {
      const slow = ws.request({
        method: 'POST',
        url: `/api/v1/conversations/${slowConversation.uuid}/messages`,
        payload: { sender: 'AI', content: 'slow', created_at: '2024-03-01T10:00:00Z' },
      });
      if (hold) {
        for (let i = 0; (await lockWaiters(t.db)) < 1; i++) {
          if (i > 500) throw new Error('the slow write never waited');
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
      }
      let fastDone = false;
      const fast = append(ws, fastConversation.uuid, { sender: 'AI', content: 'fast', created_at: '2024-03-01T10:00:00Z' }).finally(() => {
        fastDone = true;
      });
      // The fast write either commits, or waits for the slow one (on the workspace lock, or in this
      // process's queue of the workspace's writers, where no database view can see it): give it time.
      for (let i = 0; !fastDone && i < 30; i++) await new Promise((resolve) => setTimeout(resolve, 10));
      const during = contents(await walk(ws, { ...WINDOW, limit: 1 }));

      await hold?.commit().execute();
      expect((await slow).statusCode).toBe(201);
      await fast;
      const after = contents(await walk(ws, { ...WINDOW, limit: 1 }));
      expect(after.slice().sort()).toEqual(['fast', 'old', 'slow']);
      // What a walk saw earlier is where a later walk starts: the cursor it held skipped nothing.
      expect(after.slice(0, during.length)).toEqual(during);
    } finally {
      await hold
        ?.rollback()
        .execute()
        .catch(() => {});
    }
  });

  it('resumes from the last next_cursor: a later call returns exactly the messages that arrived since', async () => {
    const a = await t.newWorkspace();
    const b = await t.newWorkspace();
    const whatsapp = await put(a, conversationBody({ channel: 'Whatsapp' }));
    const sms = await put(a, minimalBody({ channel: 'SMS' }));
    const ofB = await put(b, conversationBody());

    // Nothing yet, and no cursor sent: nothing to resume from.
    expect((await exportMessages(a, WINDOW)).json().pagination).toEqual({ next_cursor: null, has_more: false, limit: 500 });

    for (let i = 0; i < 5; i++) {
      await append(a, i % 2 ? sms.uuid : whatsapp.uuid, { sender: 'AI', content: `old${i}`, created_at: '2024-03-01T10:00:00Z' });
    }
    const first = await walkFrom(a, { ...WINDOW, limit: 2 });
    expect(contents(first.seen)).toEqual(['old0', 'old1', 'old2', 'old3', 'old4']);
    const smsOnly = await walkFrom(a, { ...WINDOW, channel: 'sms', limit: 2 });
    expect(contents(smsOnly.seen)).toEqual(['old1', 'old3']);

    await append(a, whatsapp.uuid, { sender: 'Contact', content: 'new0', created_at: '2024-03-01T23:59:59Z' });
    await append(a, whatsapp.uuid, { sender: 'AI', content: 'outside', created_at: '2024-03-02T00:00:00Z' });
    await append(b, ofB.uuid, { sender: 'AI', content: 'in B', created_at: '2024-03-01T10:00:00Z' });
    // Dated before everything already exported: it still comes after the cursor.
    await append(a, sms.uuid, { sender: 'Contact', content: 'new1', created_at: '2024-03-01T00:00:00Z' });
    await append(a, whatsapp.uuid, { sender: 'AI', content: 'new2', created_at: '2024-03-01T12:00:00Z' });

    const resumed = (await exportMessages(a, { ...WINDOW, cursor: first.cursor! })).json();
    expect(contents(resumed.messages)).toEqual(['new0', 'new1', 'new2']);
    expect(resumed.pagination).toEqual({ next_cursor: expect.any(String), has_more: false, limit: 500 });
    expect(resumed.pagination.next_cursor).not.toBe(first.cursor);
    // The same in small pages, and once more from its end: nothing new.
    const paged = await walkFrom(a, { ...WINDOW, limit: 1, cursor: first.cursor! });
    expect(contents(paged.seen)).toEqual(['new0', 'new1', 'new2']);
    expect(paged.cursor).toBe(resumed.pagination.next_cursor);
    expect(await exportMessages(a, { ...WINDOW, cursor: paged.cursor! }).then((res) => res.json())).toEqual({
      meta: meta(),
      messages: [],
      pagination: { next_cursor: paged.cursor, has_more: false, limit: 500 },
    });

    // A filtered sync resumes under its filter.
    expect(contents((await walkFrom(a, { ...WINDOW, channel: 'sms', cursor: smsOnly.cursor! })).seen)).toEqual(['new1']);
  });

  it('rejects a cursor it did not hand out', async () => {
    const ws = await t.newWorkspace();
    const { uuid } = await put(ws, conversationBody());
    await append(ws, uuid, { sender: 'AI', content: 'a', created_at: '2024-03-01T10:00:00Z' });
    await append(ws, uuid, { sender: 'AI', content: 'b', created_at: '2024-03-01T10:00:00Z' });
    const { next_cursor: cursor } = (await exportMessages(ws, { ...WINDOW, limit: 1 })).json().pagination;
    expect(contents((await exportMessages(ws, { ...WINDOW, limit: 1, cursor })).json().messages)).toEqual(['b']);

    for (const garbage of [
      'garbage',
      '!!!',
      '',
      '0',
      Buffer.from('m:abc').toString('base64url'),
      Buffer.from('m:-1').toString('base64url'),
      Buffer.from('x:1').toString('base64url'),
      Buffer.from('m:1234567890123456').toString('base64url'),
      `${cursor}x`,
      `%00${cursor}`,
    ]) {
      const res = await exportMessages(ws, { ...WINDOW, cursor: garbage });
      expect(res.statusCode, garbage).toBe(422);
      expect(res.json()).toEqual(validation('cursor', 'cursor is not one this API handed out'));
    }
    const long = await exportMessages(ws, { ...WINDOW, cursor: 'a'.repeat(201) });
    expect(long.statusCode).toBe(422);
    expect(long.json().error.field).toBe('cursor');
    const twice = await exportMessages(ws, `?from=${WINDOW.from}&to=${WINDOW.to}&cursor=${cursor}&cursor=${cursor}`);
    expect(twice.json()).toEqual(validation('cursor', 'cursor must be given only once'));
  });

  it("never exports another workspace's messages, whatever the filters or cursor", async () => {
    const a = await t.newWorkspace();
    const b = await t.newWorkspace();
    const agent = randomUUID();
    const campaign = randomUUID();
    // Both workspaces know the same agent and campaign uuids; each has its own.
    const ofA = await put(a, conversationBody({ agent_uuid: agent, campaign_uuid: campaign }));
    const ofB = await put(b, conversationBody({ agent_uuid: agent, campaign_uuid: campaign }));
    const onlyB = await put(b, conversationBody());
    const aMessages = [];
    for (let i = 0; i < 3; i++) {
      await append(b, ofB.uuid, { sender: 'Contact', content: `b${i}`, created_at: '2024-03-01T10:00:00Z' });
      aMessages.push(await append(a, ofA.uuid, { sender: 'Contact', content: `a${i}`, created_at: '2024-03-01T10:00:00Z' }));
      await append(b, onlyB.uuid, { sender: 'AI', content: `b-only${i}`, created_at: '2024-03-01T10:00:00Z' });
    }
    const expected = contents(aMessages);
    expect(contents(await walk(a, WINDOW))).toEqual(expected);
    expect(contents(await walk(a, { ...WINDOW, limit: 1 }))).toEqual(expected);
    expect(contents(await walk(a, { ...WINDOW, agent_uuid: agent, limit: 2 }))).toEqual(expected);
    expect(contents(await walk(a, { ...WINDOW, campaign_uuid: campaign }))).toEqual(expected);
    expect(contents(await walk(a, { ...WINDOW, agent_uuid: onlyB.agent_uuid! }))).toEqual([]);
    expect(contents(await walk(a, { ...WINDOW, campaign_uuid: onlyB.campaign_uuid! }))).toEqual([]);

    // B's cursor is only a position: in A's hands it still shows A's messages only.
    const bCursor = (await exportMessages(b, { ...WINDOW, limit: 1 })).json().pagination.next_cursor;
    expect(contents((await exportMessages(a, { ...WINDOW, cursor: bCursor })).json().messages)).toEqual(expected);
    expect(contents(await walk(b, WINDOW))).toEqual(['b0', 'b-only0', 'b1', 'b-only1', 'b2', 'b-only2']);
  });
});
