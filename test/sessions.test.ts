import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { describeEachDialect, type Query, type TestWorkspace, toQueryString } from './helpers/app.js';
import { conversationBody, minimalBody } from './helpers/fixtures.js';

// "now" is pinned (only Date is faked, timers run) so that created_at and updated_at compare exactly.
const NOW = '2030-06-01T12:00:00Z';
beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(new Date(NOW));
});
afterEach(() => {
  vi.useRealTimers();
});

const getSessions = (ws: TestWorkspace, conversation: string, query?: Query | string) =>
  ws.request({ method: 'GET', url: `/api/v1/conversations/${conversation}/sessions${toQueryString(query)}` });
const postMessage = (ws: TestWorkspace, conversation: string, payload: object) =>
  ws.request({ method: 'POST', url: `/api/v1/conversations/${conversation}/messages`, payload });

async function put(ws: TestWorkspace, uuid: string, body: object, status = 201) {
  const res = await ws.put(uuid, body);
  expect(res.statusCode, res.body).toBe(status);
  return res.json().data;
}

async function append(ws: TestWorkspace, conversation: string, payload: Record<string, unknown>) {
  const res = await postMessage(ws, conversation, payload);
  expect(res.statusCode, res.body).toBe(201);
}

const sessionPage = (data: unknown[], { page = 1, perPage = 15, total }: { page?: number; perPage?: number; total: number }) => ({
  success: true,
  message: 'Conversation sessions retrieved successfully',
  data: { current_page: page, data, per_page: perPage, total, last_page: Math.max(1, Math.ceil(total / perPage)) },
});

const validation = (field: string, details: string) => ({
  success: false,
  message: 'The given data was invalid',
  error: { code: 'VALIDATION_ERROR', details, field },
});

const conversationNotFound = {
  success: false,
  message: 'Conversation not found',
  error: { code: 'NOT_FOUND', details: 'Conversation not found' },
};

/** A session as the list shows it, with the context of `conversation` (as PUT answered it). */
function sessionOf(
  conversation: {
    uuid: string;
    agent_uuid: string | null;
    contact: object;
    call: { uuid: string } | null;
    campaign_uuid: string | null;
    listing_uuid: string | null;
    task_uuids: string[];
  },
  session: { uuid: string; started_at?: string | null; last_activity_at?: string | null; created_at?: string; updated_at?: string },
) {
  return {
    uuid: session.uuid,
    started_at: session.started_at ?? null,
    ended_at: null,
    last_activity_at: session.last_activity_at ?? null,
    summary: null,
    created_at: session.created_at ?? NOW,
    updated_at: session.updated_at ?? session.created_at ?? NOW,
    conversation_uuid: conversation.uuid,
    agent_uuid: conversation.agent_uuid,
    contact: conversation.contact,
    call_uuid: conversation.call?.uuid ?? null,
    campaign_uuid: conversation.campaign_uuid,
    listing_uuid: conversation.listing_uuid,
    task_uuids: conversation.task_uuids,
  };
}

describeEachDialect('conversation sessions', (t) => {
  it("lists a conversation's sessions with the agent, contact, call, campaign, listing and tasks of the conversation", async () => {
    const ws = await t.newWorkspace();
    const uuid = randomUUID();
    const [s1, s2] = [randomUUID(), randomUUID()];
    const body = conversationBody({ session_uuids: [s1, s2], task_uuids: [randomUUID(), randomUUID()] });
    const conversation = await put(ws, uuid, body);

    const res = await getSessions(ws, uuid);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual(
      sessionPage(
        [
          {
            uuid: s1,
            started_at: null,
            ended_at: null,
            last_activity_at: null,
            summary: null,
            created_at: NOW,
            updated_at: NOW,
            conversation_uuid: uuid,
            agent_uuid: body.agent_uuid,
            contact: body.contact,
            call_uuid: body.call.uuid,
            campaign_uuid: body.campaign_uuid,
            listing_uuid: body.listing_uuid,
            task_uuids: body.task_uuids,
          },
          sessionOf(conversation, { uuid: s2 }),
        ],
        { total: 2 },
      ),
    );
    // The path uuid may be given in any case.
    expect((await getSessions(ws, uuid.toUpperCase())).json()).toEqual(res.json());
  });

  it('gives null call, campaign, agent and listing, and no tasks, for a conversation without a call', async () => {
    const ws = await t.newWorkspace();
    const uuid = randomUUID();
    const session = randomUUID();
    const contact = { uuid: randomUUID() };
    await put(ws, uuid, minimalBody({ contact, session_uuids: [session] }));

    expect((await getSessions(ws, uuid)).json()).toEqual(
      sessionPage(
        [
          {
            uuid: session,
            started_at: null,
            ended_at: null,
            last_activity_at: null,
            summary: null,
            created_at: NOW,
            updated_at: NOW,
            conversation_uuid: uuid,
            agent_uuid: null,
            contact: { uuid: contact.uuid, name: null, surname: null, phone_number: null, email: null },
            call_uuid: null,
            campaign_uuid: null,
            listing_uuid: null,
            task_uuids: [],
          },
        ],
        { total: 1 },
      ),
    );
  });

  it('follows the conversation when its call, contact or agent change', async () => {
    const ws = await t.newWorkspace();
    const uuid = randomUUID();
    const body = conversationBody();
    await put(ws, uuid, body);

    const updated = await put(
      ws,
      uuid,
      { channel: body.channel, contact: { uuid: body.contact.uuid, name: 'Grace' }, agent_uuid: null, call: null },
      200,
    );
    expect(updated).toMatchObject({ call: null, campaign_uuid: null, task_uuids: [], agent_uuid: null });
    expect((await getSessions(ws, uuid)).json()).toEqual(sessionPage([sessionOf(updated, { uuid: body.session_uuids[0]! })], { total: 1 }));
    expect((await getSessions(ws, uuid)).json().data.data[0]).toMatchObject({
      agent_uuid: null,
      contact: { ...body.contact, name: 'Grace' },
      call_uuid: null,
      campaign_uuid: null,
      task_uuids: [],
    });
  });

  it('answers an empty page with the defaults when the conversation has no session', async () => {
    const ws = await t.newWorkspace();
    const uuid = randomUUID();
    await put(ws, uuid, minimalBody());
    const res = await getSessions(ws, uuid);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual(sessionPage([], { total: 0 }));
  });

  it('pages 15 by default, oldest first, takes per_page up to 100, and answers a page past the end with no rows', async () => {
    const ws = await t.newWorkspace();
    const uuid = randomUUID();
    // 17 sessions from the PUT (all created in the same second: insertion order decides) and 2 created later by messages.
    const fromPut = Array.from({ length: 17 }, () => randomUUID());
    const conversation = await put(ws, uuid, conversationBody({ session_uuids: fromPut }));
    const later = [randomUUID(), randomUUID()];
    vi.setSystemTime(new Date('2030-06-01T12:00:05Z'));
    await append(ws, uuid, { session_uuid: later[0], sender: 'Contact', content: 'a', created_at: '2024-03-01T09:00:00Z' });
    vi.setSystemTime(new Date('2030-06-01T12:00:09Z'));
    await append(ws, uuid, { session_uuid: later[1], sender: 'Contact', content: 'b', created_at: '2024-03-01T08:00:00Z' });

    const all = [
      ...fromPut.map((s) => sessionOf(conversation, { uuid: s })),
      sessionOf(conversation, {
        uuid: later[0]!,
        started_at: '2024-03-01T09:00:00Z',
        last_activity_at: '2024-03-01T09:00:00Z',
        created_at: '2030-06-01T12:00:05Z',
      }),
      sessionOf(conversation, {
        uuid: later[1]!,
        started_at: '2024-03-01T08:00:00Z',
        last_activity_at: '2024-03-01T08:00:00Z',
        created_at: '2030-06-01T12:00:09Z',
      }),
    ];
    expect((await getSessions(ws, uuid)).json()).toEqual(sessionPage(all.slice(0, 15), { total: 19 }));
    expect((await getSessions(ws, uuid, { page: 2 })).json()).toEqual(sessionPage(all.slice(15), { page: 2, total: 19 }));
    expect((await getSessions(ws, uuid, { per_page: 100 })).json()).toEqual(sessionPage(all, { perPage: 100, total: 19 }));
    expect((await getSessions(ws, uuid, { per_page: 5, page: 4 })).json()).toEqual(
      sessionPage(all.slice(15), { page: 4, perPage: 5, total: 19 }),
    );
    expect((await getSessions(ws, uuid, { per_page: 5, page: 5 })).json()).toEqual(sessionPage([], { page: 5, perPage: 5, total: 19 }));
    expect((await getSessions(ws, uuid, { page: 2_147_483_647 })).json()).toEqual(sessionPage([], { page: 2_147_483_647, total: 19 }));

    // The conversation lists the same sessions in the same order.
    const listed = (await ws.list()).json().data.data[0];
    expect(listed.session_uuids).toEqual(all.map((s) => s.uuid));
  });

  it('rejects malformed or out-of-range page parameters, naming them', async () => {
    const ws = await t.newWorkspace();
    const uuid = randomUUID();
    await put(ws, uuid, conversationBody());
    const cases: [Query | string, string, string][] = [
      [{ per_page: 101 }, 'per_page', 'per_page must be <= 100'],
      [{ per_page: 0 }, 'per_page', 'per_page must be >= 1'],
      [{ per_page: 'ten' }, 'per_page', 'per_page must be an integer'],
      [{ page: 0 }, 'page', 'page must be >= 1'],
      [{ page: 1.5 }, 'page', 'page must be an integer'],
      ['?page=1&page=1', 'page', 'page must be given only once'],
    ];
    for (const [query, field, details] of cases) {
      const res = await getSessions(ws, uuid, query);
      expect(res.statusCode, JSON.stringify(query)).toBe(422);
      expect(res.json()).toEqual(validation(field, details));
    }
    // Parameters the endpoint does not know are ignored.
    expect((await getSessions(ws, uuid, { sort_dir: 'desc', sender: 'AI' })).json().data.total).toBe(1);
  });

  it('answers 422 for a malformed conversation uuid and 404 for an unknown one', async () => {
    const ws = await t.newWorkspace();
    const res = await getSessions(ws, 'not-a-uuid');
    expect(res.statusCode).toBe(422);
    expect(res.json()).toEqual(validation('uuid', 'uuid must be a UUID'));
    const unknown = await getSessions(ws, randomUUID());
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toEqual(conversationNotFound);
  });

  it("never shows another workspace's sessions, even for a session uuid both workspaces use", async () => {
    const a = await t.newWorkspace();
    const b = await t.newWorkspace();
    const shared = randomUUID();
    const ofA = randomUUID();
    const ofB = randomUUID();
    const conversationA = await put(a, ofA, conversationBody({ session_uuids: [shared] }));
    const conversationB = await put(b, ofB, conversationBody({ session_uuids: [shared, randomUUID()] }));
    await append(b, ofB, { session_uuid: shared, sender: 'Contact', content: 'b', created_at: '2024-03-01T09:00:00Z' });
    const bSessions = (await getSessions(b, ofB)).json();
    expect(bSessions.data.total).toBe(2);

    for (const res of [await getSessions(a, ofB), await getSessions(a, ofB.toUpperCase(), { per_page: 100 })]) {
      expect(res.statusCode).toBe(404);
      expect(res.json()).toEqual(conversationNotFound);
    }
    // A message from A naming the shared session uuid times A's session, not B's.
    await append(a, ofA, { session_uuid: shared, sender: 'AI', content: 'a', created_at: '2024-03-05T10:00:00Z' });
    expect((await getSessions(a, ofA)).json()).toEqual(
      sessionPage(
        [sessionOf(conversationA, { uuid: shared, started_at: '2024-03-05T10:00:00Z', last_activity_at: '2024-03-05T10:00:00Z' })],
        { total: 1 },
      ),
    );
    expect((await getSessions(b, ofB)).json()).toEqual(bSessions);
    expect(bSessions.data.data[0]).toEqual(
      sessionOf(conversationB, { uuid: shared, started_at: '2024-03-01T09:00:00Z', last_activity_at: '2024-03-01T09:00:00Z' }),
    );
  });
});
