import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { describeEachDialect, type Query, type TestWorkspace, toQueryString } from './helpers/app.js';
import { conversationBody } from './helpers/fixtures.js';

// "now" is pinned (only Date is faked, timers run) so that updated_at and default times compare exactly.
const NOW = '2030-06-01T12:00:00Z';
beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(new Date(NOW));
});
afterEach(() => {
  vi.useRealTimers();
});

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

const messagesUrl = (conversation: string, query?: Query | string) =>
  `/api/v1/conversations/${conversation}/messages${toQueryString(query)}`;
const getMessages = (ws: TestWorkspace, conversation: string, query?: Query | string) =>
  ws.request({ method: 'GET', url: messagesUrl(conversation, query) });
const postMessage = (ws: TestWorkspace, conversation: string, payload: object) =>
  ws.request({ method: 'POST', url: messagesUrl(conversation), payload });
const getSessions = (ws: TestWorkspace, conversation: string) =>
  ws.request({ method: 'GET', url: `/api/v1/conversations/${conversation}/sessions` });

async function newConversation(ws: TestWorkspace, overrides: Record<string, unknown> = {}) {
  const uuid = randomUUID();
  const body = conversationBody(overrides);
  const res = await ws.put(uuid, body);
  expect(res.statusCode).toBe(201);
  return { uuid, body };
}

/** The conversation as GET /api/v1/conversations shows it. */
async function listed(ws: TestWorkspace, uuid: string) {
  const res = await ws.list({ per_page: 100 });
  expect(res.statusCode).toBe(200);
  return (res.json().data.data as Record<string, unknown>[]).find((c) => c.uuid === uuid);
}

/** Appends a message and returns it as the API answered it. */
async function append(ws: TestWorkspace, conversation: string, payload: Record<string, unknown>) {
  const res = await postMessage(ws, conversation, payload);
  expect(res.statusCode, res.body).toBe(201);
  return res.json().data as Record<string, unknown>;
}

const listPage = (data: unknown[], { page = 1, perPage = 25, total }: { page?: number; perPage?: number; total: number }) => ({
  success: true,
  message: 'Conversation messages retrieved successfully',
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

/** `count` messages one minute apart from 2024-03-01T11:00:00Z, contents m0, m1, … */
async function seed(ws: TestWorkspace, conversation: string, count: number) {
  const messages = [];
  for (let i = 0; i < count; i++) {
    const at = new Date(Date.UTC(2024, 2, 1, 11, i)).toISOString().replace('.000', '');
    messages.push(await append(ws, conversation, { sender: 'AI', content: `m${i}`, created_at: at }));
  }
  return messages;
}

describeEachDialect('conversation messages', (t) => {
  it('answers an empty transcript with the defaults: page 1, 25 per page, last_page 1', async () => {
    const ws = await t.newWorkspace();
    const { uuid } = await newConversation(ws);
    const res = await getMessages(ws, uuid);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual(listPage([], { total: 0 }));
  });

  it('returns every field, oldest first, for a conversation uuid given in any case', async () => {
    const ws = await t.newWorkspace();
    const { uuid, body } = await newConversation(ws);
    const messageUuid = randomUUID();
    const session = randomUUID();
    const full = {
      uuid: messageUuid.toUpperCase(),
      session_uuid: session.toUpperCase(),
      sender: 'Contact',
      message_type: 'text',
      content: 'Hello, are you open on Sunday?',
      // An offset and a fraction: stored and returned as whole UTC seconds.
      created_at: '2024-03-01T13:00:00.750+02:00',
    };
    const created = await postMessage(ws, uuid.toUpperCase(), full);
    expect(created.statusCode).toBe(201);
    const first = {
      uuid: messageUuid,
      conversation_uuid: uuid,
      session_uuid: session,
      sender: 'Contact',
      message_type: 'text',
      content: 'Hello, are you open on Sunday?',
      created_at: '2024-03-01T11:00:00Z',
    };
    expect(created.json()).toEqual({ success: true, message: 'Message created successfully', data: first });

    const minimal = await append(ws, uuid, { sender: 'AI', content: '' });
    const second = {
      uuid: minimal.uuid,
      conversation_uuid: uuid,
      session_uuid: null,
      sender: 'AI',
      message_type: null,
      content: '',
      created_at: NOW,
    };
    expect(minimal).toEqual(second);
    expect(minimal.uuid).toMatch(UUID_V4);

    const res = await getMessages(ws, uuid.toUpperCase());
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual(listPage([first, second], { total: 2 }));
    // The append is visible in the conversation too: a new session, a later timestamp, updated_at now.
    expect(await listed(ws, uuid)).toEqual({
      uuid,
      ...body,
      session_uuids: [...body.session_uuids, session],
      timestamp: NOW,
      updated_at: NOW,
    });
  });

  it('pages 25 by default, takes per_page up to 100, and answers a page past the end with no rows and the true total', async () => {
    const ws = await t.newWorkspace();
    const { uuid } = await newConversation(ws);
    const all = await seed(ws, uuid, 27);

    expect((await getMessages(ws, uuid)).json()).toEqual(listPage(all.slice(0, 25), { total: 27 }));
    expect((await getMessages(ws, uuid, { page: 2 })).json()).toEqual(listPage(all.slice(25), { page: 2, total: 27 }));
    expect((await getMessages(ws, uuid, { per_page: 100 })).json()).toEqual(listPage(all, { perPage: 100, total: 27 }));
    expect((await getMessages(ws, uuid, { per_page: 1, page: 27 })).json()).toEqual(
      listPage(all.slice(26), { page: 27, perPage: 1, total: 27 }),
    );
    expect((await getMessages(ws, uuid, { per_page: 10, page: 3 })).json()).toEqual(
      listPage(all.slice(20), { page: 3, perPage: 10, total: 27 }),
    );
    expect((await getMessages(ws, uuid, { per_page: 10, page: 4 })).json()).toEqual(listPage([], { page: 4, perPage: 10, total: 27 }));
    expect((await getMessages(ws, uuid, { page: 2_147_483_647 })).json()).toEqual(listPage([], { page: 2_147_483_647, total: 27 }));
  });

  it('rejects malformed or out-of-range page parameters, naming them', async () => {
    const ws = await t.newWorkspace();
    const { uuid } = await newConversation(ws);
    const cases: [Query | string, string, string][] = [
      [{ per_page: 101 }, 'per_page', 'per_page must be <= 100'],
      [{ per_page: 0 }, 'per_page', 'per_page must be >= 1'],
      [{ per_page: 2.5 }, 'per_page', 'per_page must be an integer'],
      [{ page: 0 }, 'page', 'page must be >= 1'],
      [{ page: -1 }, 'page', 'page must be >= 1'],
      [{ page: 'two' }, 'page', 'page must be an integer'],
      [{ page: 'Infinity' }, 'page', 'page must be an integer'],
      [{ per_page: '1e1' }, 'per_page', 'per_page must be an integer'],
      [{ page: 2_147_483_648 }, 'page', 'page must be <= 2147483647'],
      ['?page=1&page=2', 'page', 'page must be given only once'],
      ['?per_page=5&per_page=5', 'per_page', 'per_page must be given only once'],
    ];
    for (const [query, field, details] of cases) {
      const res = await getMessages(ws, uuid, query);
      expect(res.statusCode, JSON.stringify(query)).toBe(422);
      expect(res.json()).toEqual(validation(field, details));
    }
  });

  it('filters by sender in any case and counts only the matches', async () => {
    const ws = await t.newWorkspace();
    const { uuid } = await newConversation(ws);
    const contact = await append(ws, uuid, { sender: 'Contact', content: 'hi', created_at: '2024-03-01T11:00:00Z' });
    const ai = await append(ws, uuid, { sender: 'AI', content: 'hello', created_at: '2024-03-01T11:01:00Z' });
    const human = await append(ws, uuid, { sender: 'Human', content: 'taking over', created_at: '2024-03-01T11:02:00Z' });
    const contact2 = await append(ws, uuid, { sender: 'Contact', content: 'thanks', created_at: '2024-03-01T11:03:00Z' });

    for (const [sender, expected] of [
      ['AI', [ai]],
      ['ai', [ai]],
      ['HUMAN', [human]],
      ['human', [human]],
      ['Contact', [contact, contact2]],
      ['cOnTaCt', [contact, contact2]],
    ] as const) {
      const res = await getMessages(ws, uuid, { sender });
      expect(res.statusCode).toBe(200);
      expect(res.json(), sender).toEqual(listPage([...expected], { total: expected.length }));
    }
    expect((await getMessages(ws, uuid, { sender: 'contact', per_page: 1, page: 2 })).json()).toEqual(
      listPage([contact2], { page: 2, perPage: 1, total: 2 }),
    );
    expect((await getMessages(ws, uuid, { sender: 'contact', sort_dir: 'desc' })).json()).toEqual(
      listPage([contact2, contact], { total: 2 }),
    );
  });

  it('rejects an unknown sender or sort_dir, and either given twice', async () => {
    const ws = await t.newWorkspace();
    const { uuid } = await newConversation(ws);
    const cases: [Query | string, string, string][] = [
      [{ sender: 'Bot' }, 'sender', 'sender must be one of AI, Human, Contact'],
      [{ sender: '' }, 'sender', 'sender must be one of AI, Human, Contact'],
      [{ sort_dir: 'sideways' }, 'sort_dir', 'sort_dir must be one of asc, desc'],
      ['?sender=AI&sender=Human', 'sender', 'sender must be given only once'],
      ['?sort_dir=asc&sort_dir=desc', 'sort_dir', 'sort_dir must be given only once'],
    ];
    for (const [query, field, details] of cases) {
      const res = await getMessages(ws, uuid, query);
      expect(res.statusCode, JSON.stringify(query)).toBe(422);
      expect(res.json()).toEqual(validation(field, details));
    }
  });

  it('sorts by created_at, ascending by default, breaking ties by insertion order in the same direction', async () => {
    const ws = await t.newWorkspace();
    const { uuid } = await newConversation(ws);
    const late = '2024-03-01T12:00:00Z';
    const early = '2024-03-01T11:00:00Z';
    const [a, b, c, d, e] = [
      await append(ws, uuid, { sender: 'AI', content: 'a', created_at: late }),
      await append(ws, uuid, { sender: 'Contact', content: 'b', created_at: early }),
      await append(ws, uuid, { sender: 'AI', content: 'c', created_at: late }),
      await append(ws, uuid, { sender: 'Human', content: 'd', created_at: early }),
      await append(ws, uuid, { sender: 'AI', content: 'e', created_at: late }),
    ];
    const ascending = [b, d, a, c, e];
    const descending = [e, c, a, d, b];
    expect((await getMessages(ws, uuid)).json()).toEqual(listPage(ascending, { total: 5 }));
    expect((await getMessages(ws, uuid, { sort_dir: 'asc' })).json()).toEqual(listPage(ascending, { total: 5 }));
    expect((await getMessages(ws, uuid, { sort_dir: 'desc' })).json()).toEqual(listPage(descending, { total: 5 }));

    // Page by page the same order, with no row repeated or skipped across the ties.
    for (const [sortDir, expected] of [
      ['asc', ascending],
      ['desc', descending],
    ] as const) {
      const walked = [];
      for (let page = 1; page <= 3; page++) {
        walked.push(...(await getMessages(ws, uuid, { sort_dir: sortDir, per_page: 2, page })).json().data.data);
      }
      expect(walked).toEqual(expected);
    }
  });

  it('answers 422 for a malformed conversation uuid and 404 for an unknown one', async () => {
    const ws = await t.newWorkspace();
    for (const bad of ['not-a-uuid', '3c90c3cc0d444b5088888dd25736052a', '3c90c3cc-0d44-4b50-8888-8dd25736052']) {
      const list = await getMessages(ws, bad);
      expect(list.statusCode).toBe(422);
      expect(list.json()).toEqual(validation('uuid', 'uuid must be a UUID'));
      const post = await postMessage(ws, bad, { sender: 'AI', content: 'x' });
      expect(post.statusCode).toBe(422);
      expect(post.json()).toEqual(validation('uuid', 'uuid must be a UUID'));
    }
    const unknown = randomUUID();
    const list = await getMessages(ws, unknown);
    expect(list.statusCode).toBe(404);
    expect(list.json()).toEqual(conversationNotFound);
    const post = await postMessage(ws, unknown, { sender: 'AI', content: 'x' });
    expect(post.statusCode).toBe(404);
    expect(post.json()).toEqual(conversationNotFound);
  });

  it('is idempotent on uuid: the same uuid again answers 200 with the stored message and changes nothing', async () => {
    const ws = await t.newWorkspace();
    const { uuid, body } = await newConversation(ws);
    const messageUuid = randomUUID();
    const input = { uuid: messageUuid, sender: 'Contact', message_type: 'text', content: 'first', created_at: '2024-03-02T09:00:00Z' };
    const created = await postMessage(ws, uuid, input);
    expect(created.statusCode).toBe(201);
    const stored = created.json().data;
    const conversationAfterCreate = await listed(ws, uuid);
    expect(conversationAfterCreate).toEqual({ uuid, ...body, timestamp: '2024-03-02T09:00:00Z', updated_at: NOW });

    // Later, the same uuid (in another case) with different content, time and a new session: nothing of it is taken.
    vi.setSystemTime(new Date('2030-06-02T00:00:00Z'));
    for (const replay of [
      input,
      { ...input, uuid: messageUuid.toUpperCase() },
      { uuid: messageUuid, session_uuid: randomUUID(), sender: 'AI', content: 'second', created_at: '2024-03-09T00:00:00Z' },
    ]) {
      const res = await postMessage(ws, uuid, replay);
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ success: true, message: 'Message already exists', data: stored });
    }
    expect((await getMessages(ws, uuid)).json()).toEqual(listPage([stored], { total: 1 }));
    expect(await listed(ws, uuid)).toEqual(conversationAfterCreate);
    expect((await getSessions(ws, uuid)).json().data.total).toBe(1);
  });

  it('stores one message and one session when the same append arrives several times at once', async () => {
    const ws = await t.newWorkspace();
    const { uuid, body } = await newConversation(ws);
    const messageUuid = randomUUID();
    const session = randomUUID();
    const input = { uuid: messageUuid, session_uuid: session, sender: 'AI', content: 'once', created_at: '2024-03-02T09:00:00Z' };
    const answers = await Promise.all(Array.from({ length: 6 }, () => postMessage(ws, uuid, input)));
    expect(answers.map((res) => res.statusCode).sort()).toEqual([200, 200, 200, 200, 200, 201]);
    const stored = {
      uuid: messageUuid,
      conversation_uuid: uuid,
      session_uuid: session,
      sender: 'AI',
      message_type: null,
      content: 'once',
      created_at: '2024-03-02T09:00:00Z',
    };
    for (const res of answers) expect(res.json().data).toEqual(stored);

    // Different messages opening the same new session at once: one session, all messages in it.
    const others = await Promise.all(
      Array.from({ length: 4 }, (_, i) =>
        postMessage(ws, uuid, {
          session_uuid: session.toUpperCase(),
          sender: 'Contact',
          content: `at once ${i}`,
          created_at: '2024-03-02T09:00:01Z',
        }),
      ),
    );
    expect(others.map((res) => res.statusCode)).toEqual([201, 201, 201, 201]);
    const list = (await getMessages(ws, uuid)).json();
    expect(list.data.total).toBe(5);
    expect(new Set(list.data.data.map((m: { session_uuid: string }) => m.session_uuid))).toEqual(new Set([session]));
    expect(await listed(ws, uuid)).toEqual({
      uuid,
      ...body,
      session_uuids: [...body.session_uuids, session],
      timestamp: '2024-03-02T09:00:01Z',
      updated_at: NOW,
    });
  });

  it('answers 409 on uuid when the message uuid is already on another conversation', async () => {
    const ws = await t.newWorkspace();
    const first = await newConversation(ws);
    const second = await newConversation(ws);
    const messageUuid = randomUUID();
    await append(ws, first.uuid, { uuid: messageUuid, sender: 'AI', content: 'on the first' });

    const res = await postMessage(ws, second.uuid, {
      uuid: messageUuid.toUpperCase(),
      sender: 'AI',
      content: 'on the second',
      created_at: '2024-04-01T00:00:00Z',
    });
    expect(res.statusCode).toBe(409);
    expect(res.json()).toEqual({
      success: false,
      message: 'The request conflicts with stored data',
      error: { code: 'CONFLICT', details: `Message ${messageUuid} belongs to another conversation`, field: 'uuid' },
    });
    expect((await getMessages(ws, second.uuid)).json()).toEqual(listPage([], { total: 0 }));
    expect(await listed(ws, second.uuid)).toEqual({ uuid: second.uuid, ...second.body });
    expect((await getMessages(ws, first.uuid)).json().data.total).toBe(1);
  });

  it("answers 409 on session_uuid when the session is another conversation's, and stores nothing", async () => {
    const ws = await t.newWorkspace();
    const first = await newConversation(ws);
    const second = await newConversation(ws);
    const [session] = first.body.session_uuids;

    const res = await postMessage(ws, second.uuid, {
      session_uuid: session!.toUpperCase(),
      sender: 'AI',
      content: 'x',
      created_at: '2024-04-01T00:00:00Z',
    });
    expect(res.statusCode).toBe(409);
    expect(res.json()).toEqual({
      success: false,
      message: 'The request conflicts with stored data',
      error: { code: 'CONFLICT', details: `Session ${session} belongs to another conversation`, field: 'session_uuid' },
    });
    expect((await getMessages(ws, second.uuid)).json()).toEqual(listPage([], { total: 0 }));
    expect(await listed(ws, second.uuid)).toEqual({ uuid: second.uuid, ...second.body });
    expect(await listed(ws, first.uuid)).toEqual({ uuid: first.uuid, ...first.body });
    const sessions = (await getSessions(ws, first.uuid)).json().data.data;
    expect(sessions.map((s: { uuid: string; started_at: unknown }) => [s.uuid, s.started_at])).toEqual([[session, null]]);
  });

  it('creates the session a new session_uuid names, timed by its messages', async () => {
    const ws = await t.newWorkspace();
    const { uuid, body } = await newConversation(ws);
    const session = randomUUID();

    const m1 = await append(ws, uuid, {
      session_uuid: session.toUpperCase(),
      sender: 'Contact',
      content: 'hi',
      created_at: '2024-03-02T09:00:00Z',
    });
    expect(m1.session_uuid).toBe(session);
    expect(await listed(ws, uuid)).toMatchObject({ session_uuids: [...body.session_uuids, session] });

    const sessionOf = async (wanted: string) =>
      ((await getSessions(ws, uuid)).json().data.data as { uuid: string }[]).find((s) => s.uuid === wanted);
    expect(await sessionOf(session)).toMatchObject({
      uuid: session,
      started_at: '2024-03-02T09:00:00Z',
      ended_at: null,
      last_activity_at: '2024-03-02T09:00:00Z',
      created_at: NOW,
      updated_at: NOW,
      conversation_uuid: uuid,
    });

    // A later message extends the session, an earlier one moves its start back; neither touches the other bound.
    vi.setSystemTime(new Date('2030-06-01T13:00:00Z'));
    await append(ws, uuid, { session_uuid: session, sender: 'AI', content: 'hello', created_at: '2024-03-02T09:30:00Z' });
    await append(ws, uuid, { session_uuid: session, sender: 'AI', content: 'late import', created_at: '2024-03-02T08:00:00Z' });
    expect(await sessionOf(session)).toMatchObject({
      started_at: '2024-03-02T08:00:00Z',
      last_activity_at: '2024-03-02T09:30:00Z',
      created_at: NOW,
      updated_at: '2030-06-01T13:00:00Z',
    });

    // A session the PUT created has no times yet; its first message gives it both.
    const putSession = body.session_uuids[0]!;
    expect(await sessionOf(putSession)).toMatchObject({ started_at: null, last_activity_at: null });
    await append(ws, uuid, { session_uuid: putSession, sender: 'AI', content: 'x', created_at: '2024-03-01T10:30:00Z' });
    expect(await sessionOf(putSession)).toMatchObject({ started_at: '2024-03-01T10:30:00Z', last_activity_at: '2024-03-01T10:30:00Z' });

    expect((await getMessages(ws, uuid)).json().data.data.map((m: { session_uuid: string }) => m.session_uuid)).toEqual([
      putSession,
      session,
      session,
      session,
    ]);
    expect(await listed(ws, uuid)).toMatchObject({ session_uuids: [...body.session_uuids, session] });
  });

  it("moves the conversation's timestamp forward to a later message, never back, and updated_at forward to now", async () => {
    const ws = await t.newWorkspace();
    // timestamp 2024-03-01T10:05:00Z, updated_at 2024-03-01T10:05:00Z
    const { uuid, body } = await newConversation(ws);
    expect(await listed(ws, uuid)).toEqual({ uuid, ...body });

    await append(ws, uuid, { sender: 'Contact', content: 'older than the conversation', created_at: '2024-03-01T09:00:00Z' });
    expect(await listed(ws, uuid)).toEqual({ uuid, ...body, timestamp: body.timestamp, updated_at: NOW });

    vi.setSystemTime(new Date('2030-06-01T12:30:00Z'));
    await append(ws, uuid, { sender: 'AI', content: 'later', created_at: '2024-03-02T08:00:00Z' });
    expect(await listed(ws, uuid)).toEqual({ uuid, ...body, timestamp: '2024-03-02T08:00:00Z', updated_at: '2030-06-01T12:30:00Z' });

    vi.setSystemTime(new Date('2030-06-01T12:45:00Z'));
    await append(ws, uuid, { sender: 'Human', content: 'in between', created_at: '2024-03-01T12:00:00Z' });
    expect(await listed(ws, uuid)).toEqual({ uuid, ...body, timestamp: '2024-03-02T08:00:00Z', updated_at: '2030-06-01T12:45:00Z' });

    // Without created_at the message is dated now, and so is the conversation's latest activity.
    vi.setSystemTime(new Date('2030-06-01T13:00:00Z'));
    await append(ws, uuid, { sender: 'AI', content: 'now' });
    expect(await listed(ws, uuid)).toEqual({ uuid, ...body, timestamp: '2030-06-01T13:00:00Z', updated_at: '2030-06-01T13:00:00Z' });
  });

  it('never moves updated_at or timestamp back when they are already later', async () => {
    const ws = await t.newWorkspace();
    const { uuid, body } = await newConversation(ws, { timestamp: '2099-01-01T00:00:00Z', updated_at: '2099-01-01T00:00:00Z' });
    await append(ws, uuid, { sender: 'AI', content: 'x', created_at: '2050-01-01T00:00:00Z' });
    await append(ws, uuid, { sender: 'AI', content: 'y' });
    expect(await listed(ws, uuid)).toEqual({ uuid, ...body });
  });

  it('rejects invalid bodies with 422 naming the field, and stores nothing', async () => {
    const ws = await t.newWorkspace();
    const { uuid, body } = await newConversation(ws);
    const ok = { sender: 'AI', content: 'x' };
    const cases: [object, string, string][] = [
      [{ content: 'x' }, 'sender', 'sender is required'],
      [{ sender: 'AI' }, 'content', 'content is required'],
      [{}, 'sender', 'sender is required'],
      [{ ...ok, sender: 'Robot' }, 'sender', 'sender must be one of AI, Human, Contact'],
      [{ ...ok, created_at: 'yesterday' }, 'created_at', 'created_at must be a valid date-time'],
      [{ ...ok, created_at: '2024-02-30T10:00:00Z' }, 'created_at', 'created_at must be a valid date-time'],
      [{ ...ok, created_at: '2024-03-01T10:00:00' }, 'created_at', 'created_at must be a valid date-time'],
      [{ ...ok, created_at: '' }, 'created_at', 'created_at must be a valid date-time'],
      [{ ...ok, uuid: 'not-a-uuid' }, 'uuid', 'uuid must be a UUID'],
      [{ ...ok, session_uuid: 'not-a-uuid' }, 'session_uuid', 'session_uuid must be a UUID'],
      [{ ...ok, message_type: '' }, 'message_type', 'message_type must NOT have fewer than 1 characters'],
      [{ ...ok, message_type: 'x'.repeat(65) }, 'message_type', 'message_type must NOT have more than 64 characters'],
      [{ ...ok, content: 'x'.repeat(100_001) }, 'content', 'content must NOT have more than 100000 characters'],
      [{ ...ok, conversation_uuid: uuid }, 'conversation_uuid', 'conversation_uuid is not a known field'],
      [{ ...ok, extra: 1 }, 'extra', 'extra is not a known field'],
      [[ok], 'body', 'body must be an object'],
    ];
    for (const [payload, field, details] of cases) {
      const res = await postMessage(ws, uuid, payload);
      expect(res.statusCode, JSON.stringify(payload).slice(0, 200)).toBe(422);
      expect(res.json()).toEqual(validation(field, details));
    }
    expect((await getMessages(ws, uuid)).json()).toEqual(listPage([], { total: 0 }));
    expect(await listed(ws, uuid)).toEqual({ uuid, ...body });
  });

  it('rejects values of the wrong JSON type rather than coercing them, and a string no database can store', async () => {
    const ws = await t.newWorkspace();
    const { uuid } = await newConversation(ws);
    const ok = { sender: 'AI', content: 'x' };
    const cases: [object, string, string][] = [
      [{ ...ok, content: 42 }, 'content', 'content must be a string'],
      [{ ...ok, content: true }, 'content', 'content must be a string'],
      [{ ...ok, content: null }, 'content', 'content must be a string'],
      [{ ...ok, content: ['x'] }, 'content', 'content must be a string'],
      [{ ...ok, sender: null }, 'sender', 'sender must be a string'],
      [{ ...ok, message_type: 5 }, 'message_type', 'message_type must be a string or null'],
      [{ ...ok, uuid: null }, 'uuid', 'uuid must be a string'],
      [{ ...ok, session_uuid: 7 }, 'session_uuid', 'session_uuid must be a string or null'],
      [{ ...ok, created_at: 1709287200 }, 'created_at', 'created_at must be a string'],
      [{ ...ok, content: 'nul \u0000 byte' }, 'content', 'content must not contain the character U+0000'],
      [{ ...ok, content: 'half \ud83d a pair' }, 'content', 'content must be valid Unicode (it holds an unpaired surrogate)'],
      [{ ...ok, message_type: '\udfff' }, 'message_type', 'message_type must be valid Unicode (it holds an unpaired surrogate)'],
    ];
    for (const [payload, field, details] of cases) {
      const res = await postMessage(ws, uuid, payload);
      expect(res.statusCode, JSON.stringify(payload)).toBe(422);
      expect(res.json()).toEqual(validation(field, details));
    }
    expect((await getMessages(ws, uuid)).json()).toEqual(listPage([], { total: 0 }));
  });

  it('answers 400 for a body that is not JSON', async () => {
    const ws = await t.newWorkspace();
    const { uuid } = await newConversation(ws);
    const url = messagesUrl(uuid);
    const notJson = await ws.request({ method: 'POST', url, payload: 'sender=AI&content=x', headers: { 'content-type': 'text/plain' } });
    expect(notJson.statusCode).toBe(400);
    expect(notJson.json()).toEqual({
      success: false,
      message: 'Unsupported content type',
      error: { code: 'BAD_REQUEST', details: 'The request body must be sent as application/json' },
    });
    const form = await ws.request({
      method: 'POST',
      url,
      payload: 'sender=AI&content=x',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(form.statusCode).toBe(400);
    expect(form.json().error.code).toBe('BAD_REQUEST');
    const malformed = await ws.request({
      method: 'POST',
      url,
      payload: '{"sender": "AI", ',
      headers: { 'content-type': 'application/json' },
    });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json()).toEqual({
      success: false,
      message: 'Malformed JSON body',
      error: { code: 'BAD_REQUEST', details: 'The request body is not valid JSON' },
    });
    expect((await getMessages(ws, uuid)).json()).toEqual(listPage([], { total: 0 }));
  });

  it("never lets a workspace read or write another workspace's conversation, messages or sessions", async () => {
    const a = await t.newWorkspace();
    const b = await t.newWorkspace();
    const ownA = await newConversation(a);
    const ofB = await newConversation(b);
    const bSession = randomUUID();
    const bMessage = await append(b, ofB.uuid, {
      session_uuid: bSession,
      sender: 'Contact',
      content: "B's secret",
      created_at: '2024-03-02T09:00:00Z',
    });
    const bMessages = (await getMessages(b, ofB.uuid)).json();
    const bSessions = (await getSessions(b, ofB.uuid)).json();
    const bConversation = await listed(b, ofB.uuid);

    for (const res of [
      await getMessages(a, ofB.uuid),
      await getMessages(a, ofB.uuid.toUpperCase(), { sender: 'contact' }),
      await postMessage(a, ofB.uuid, { sender: 'AI', content: 'intrusion', created_at: '2099-01-01T00:00:00Z' }),
      await postMessage(a, ofB.uuid, { uuid: bMessage.uuid as string, sender: 'AI', content: 'replay' }),
      await getSessions(a, ofB.uuid),
    ]) {
      expect(res.statusCode).toBe(404);
      expect(res.json()).toEqual(conversationNotFound);
    }

    // B's uuids mean nothing in A: reusing them on A's own conversation neither conflicts nor touches B.
    const reused = await append(a, ownA.uuid, { uuid: bMessage.uuid as string, session_uuid: bSession, sender: 'AI', content: "A's own" });
    expect(reused).toMatchObject({ uuid: bMessage.uuid, conversation_uuid: ownA.uuid, session_uuid: bSession, content: "A's own" });
    expect((await getSessions(a, ownA.uuid)).json().data.total).toBe(2);

    expect((await getMessages(b, ofB.uuid)).json()).toEqual(bMessages);
    expect((await getSessions(b, ofB.uuid)).json()).toEqual(bSessions);
    expect(await listed(b, ofB.uuid)).toEqual(bConversation);
    expect(await listed(a, ofB.uuid)).toBeUndefined();

    const exportA = await a.request({ method: 'GET', url: '/api/v1/analytics/messages?from=2000-01-01T00:00:00Z&to=2100-01-01T00:00:00Z' });
    expect(exportA.json().messages.map((m: { content: string }) => m.content)).toEqual(["A's own"]);
  });
});
