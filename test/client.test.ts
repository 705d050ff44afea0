import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Conversation, type ConversationInput, ParleyClient, ParleyError, retryAfterMs } from '../clients/typescript/src/index.js';
import { GENERATED_FILE, renderGeneratedTypes } from '../clients/typescript/scripts/generate.js';
import { describeEachDialect } from './helpers/app.js';
import { conversationBody } from './helpers/fixtures.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

describe('@parley/client package', () => {
  it('has generated types that match the current OpenAPI document (run npm run client:generate if not)', async () => {
    expect(readFileSync(GENERATED_FILE, 'utf8') === (await renderGeneratedTypes())).toBe(true);
  });

  it('compiles on its own, with its own tsconfig', async () => {
    const tsc = fileURLToPath(new URL('../node_modules/typescript/bin/tsc', import.meta.url));
    await expect(
      promisify(execFile)(process.execPath, [tsc, '--noEmit', '-p', 'clients/typescript/tsconfig.json'], { cwd: ROOT }),
    ).resolves.toBeDefined();
  }, 60_000);
});

describeEachDialect('@parley/client against a live server', (t) => {
  let client: ParleyClient;
  let baseUrl: string;
  /** By uuid, as the server answered each PUT. */
  const stored = new Map<string, Conversation>();
  const agentA = randomUUID();
  const agentB = randomUUID();
  const campaign = randomUUID();
  let bodies: Array<{ uuid: string; body: ConversationInput }>;

  beforeAll(async () => {
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    baseUrl = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
    const workspace = await t.newWorkspace();
    client = new ParleyClient({ baseUrl, token: workspace.token });

    const channels = ['Whatsapp', 'SMS', 'Whatsapp', 'Call', 'Email', 'Whatsapp', 'SMS'] as const;
    bodies = channels.map((channel, i) => {
      const body = conversationBody({
        channel,
        status: i % 3 === 0 ? 'Closed' : 'Active',
        agent_uuid: i % 2 === 0 ? agentA : agentB,
        created_at: `2024-03-0${i + 1}T10:00:00Z`,
        updated_at: `2024-03-0${i + 1}T12:00:00Z`,
        timestamp: `2024-03-0${i + 1}T12:00:00Z`,
        campaign_uuid: i === 4 ? campaign : randomUUID(),
      }) as ConversationInput;
      body.contact.phone_number = `+90 (532) 100-00${i}${i}`;
      return { uuid: randomUUID(), body };
    });
    for (const { uuid, body } of bodies) {
      const { created, conversation } = await client.putConversation(uuid, body);
      expect(created).toBe(true);
      stored.set(uuid, conversation);
    }
  });

  const uuidsOf = (conversations: Conversation[]) => conversations.map((conversation) => conversation.uuid);
  /** Newest first, as the list orders by default. */
  const expected = (keep: (index: number) => boolean = () => true) =>
    bodies
      .map(({ uuid }, i) => ({ uuid, i }))
      .filter(({ i }) => keep(i))
      .map(({ uuid }) => uuid)
      .reverse();

  it('writes idempotently: the same PUT again is an update that changes nothing', async () => {
    const { uuid, body } = bodies[0]!;
    const again = await client.putConversation(uuid, body);
    expect(again).toEqual({ created: false, conversation: stored.get(uuid) });
  });

  it('lists a page with its totals', async () => {
    const page = await client.listConversations({ per_page: 3 });
    expect(page).toEqual({
      current_page: 1,
      data: expected()
        .slice(0, 3)
        .map((uuid) => stored.get(uuid)),
      per_page: 3,
      total: 7,
      last_page: 3,
    });
    const last = await client.listConversations({ per_page: 3, page: 3 });
    expect(uuidsOf(last.data)).toEqual(expected().slice(6));
    const ascending = await client.listConversations({ sort_dir: 'asc', sort_by: 'updated_at' });
    expect(uuidsOf(ascending.data)).toEqual(expected().reverse());
  });

  it('passes every filter, with several values where the API takes them', async () => {
    const list = async (filters: Parameters<ParleyClient['listConversations']>[0]) =>
      uuidsOf((await client.listConversations(filters)).data);
    expect(await list({ channel: 'Whatsapp' })).toEqual(expected((i) => [0, 2, 5].includes(i)));
    expect(await list({ channel: ['SMS', 'Call'] })).toEqual(expected((i) => [1, 3, 6].includes(i)));
    expect(await list({ status: 'Closed' })).toEqual(expected((i) => i % 3 === 0));
    expect(await list({ status: ['Active', 'Closed'] })).toEqual(expected());
    expect(await list({ agent_uuid: agentB })).toEqual(expected((i) => i % 2 === 1));
    expect(await list({ agent_uuid: [agentA, agentB], channel: 'Whatsapp', status: 'Active' })).toEqual(
      expected((i) => [2, 5].includes(i)),
    );
    expect(await list({ phone: '532 100 0033' })).toEqual(expected((i) => i === 3));
    expect(await list({ contact_uuid: bodies[1]!.body.contact.uuid })).toEqual(expected((i) => i === 1));
    expect(await list({ campaign_uuid: campaign })).toEqual(expected((i) => i === 4));
    expect(await list({ task_uuid: bodies[2]!.body.task_uuids![0] })).toEqual(expected((i) => i === 2));
    expect(await list({ created_from: '2024-03-03T00:00:00Z', created_to: '2024-03-05T23:59:59Z' })).toEqual(
      expected((i) => i >= 2 && i <= 4),
    );
    expect(await list({ updated_since: '2024-03-07T00:00:00Z' })).toEqual(expected((i) => i === 6));
    expect(await list({ channel: 'Webchat' })).toEqual([]);
  });

  it('iterates over every page with the cursor, each conversation once', async () => {
    const all: Conversation[] = [];
    for await (const conversation of client.iterateConversations({ per_page: 2 })) all.push(conversation);
    expect(all).toEqual(expected().map((uuid) => stored.get(uuid)));

    const filtered: string[] = [];
    for await (const conversation of client.iterateConversations({ per_page: 1, channel: 'Whatsapp', sort_dir: 'asc' }))
      filtered.push(conversation.uuid);
    expect(filtered).toEqual(expected((i) => [0, 2, 5].includes(i)).reverse());

    const first = await client.listConversationsByCursor({ cursor: '', per_page: 4 });
    expect(first).toMatchObject({ per_page: 4, total: 7, next_cursor: expect.any(String) });
    const second = await client.listConversationsByCursor({ cursor: first.next_cursor!, per_page: 4 });
    expect(second.next_cursor).toBeNull();
    expect(uuidsOf([...first.data, ...second.data])).toEqual(expected());
  });

  it('reads one conversation and changes its status', async () => {
    const { uuid } = bodies[1]!;
    expect(await client.getConversation(uuid)).toEqual(stored.get(uuid));
    const closed = await client.setConversationStatus(uuid, 'Closed');
    expect(closed).toMatchObject({ uuid, status: 'Closed' });
    expect(await client.getConversation(uuid)).toEqual(closed);
    stored.set(uuid, closed);
  });

  it('appends, lists and iterates messages, and lists sessions', async () => {
    const { uuid, body } = bodies[3]!;
    const sent = [];
    for (let i = 0; i < 5; i++) {
      const { created, message } = await client.postMessage(uuid, {
        uuid: randomUUID(),
        sender: i % 2 === 0 ? 'Contact' : 'AI',
        content: `message ${i}`,
        created_at: `2024-03-04T10:0${i}:00Z`,
        session_uuid: body.session_uuids![0],
      });
      expect(created).toBe(true);
      sent.push(message);
    }
    const repeat = await client.postMessage(uuid, { uuid: sent[0]!.uuid, sender: 'Contact', content: 'message 0' });
    expect(repeat).toEqual({ created: false, message: sent[0] });

    const page = await client.listMessages(uuid, { per_page: 2, page: 2 });
    expect(page).toEqual({ current_page: 2, data: sent.slice(2, 4), per_page: 2, total: 5, last_page: 3 });
    expect((await client.listMessages(uuid, { sender: 'AI' })).data).toEqual([sent[1], sent[3]]);

    const all = [];
    for await (const message of client.iterateMessages(uuid, { per_page: 2 })) all.push(message);
    expect(all).toEqual(sent);
    const newestFirst = [];
    for await (const message of client.iterateMessages(uuid, { per_page: 3, sort_dir: 'desc' })) newestFirst.push(message);
    expect(newestFirst).toEqual([...sent].reverse());

    const sessions = await client.listSessions(uuid);
    expect(sessions).toMatchObject({ current_page: 1, total: 1, last_page: 1 });
    expect(sessions.data[0]).toMatchObject({ uuid: body.session_uuids![0], conversation_uuid: uuid, call_uuid: body.call!.uuid });

    const exported = await client.exportMessages({ from: '2024-03-04T00:00:00Z', to: '2024-03-05T00:00:00Z', channel: 'Call', limit: 3 });
    expect(exported.pagination).toMatchObject({ has_more: true, limit: 3 });
    expect(exported.messages.map((message) => message.message_uuid)).toEqual(sent.slice(0, 3).map((message) => message.uuid));
    const rest = await client.exportMessages({
      from: '2024-03-04T00:00:00Z',
      to: '2024-03-05T00:00:00Z',
      cursor: exported.pagination.next_cursor!,
    });
    expect(rest.messages.map((message) => message.message_uuid)).toEqual(sent.slice(3).map((message) => message.uuid));
  });

  it('throws ParleyError with the status and the error envelope', async () => {
    const failure = async (promise: Promise<unknown>) => {
      const error = await promise.then(
        () => null,
        (caught: unknown) => caught,
      );
      expect(error).toBeInstanceOf(ParleyError);
      return error as ParleyError;
    };

    const invalid = await failure(client.listConversations({ per_page: 101 }));
    expect(invalid).toMatchObject({ status: 422, code: 'VALIDATION_ERROR', field: 'per_page' });
    expect(invalid.body).toEqual({
      success: false,
      message: 'The given data was invalid',
      error: { code: 'VALIDATION_ERROR', details: expect.any(String), field: 'per_page' },
    });
    expect(invalid.requestId).toMatch(/\S/);
    expect(invalid.message).toMatch(/^422 VALIDATION_ERROR: /);

    const missing = await failure(client.getConversation(randomUUID()));
    expect(missing).toMatchObject({ status: 404, code: 'NOT_FOUND' });

    const malformed = await failure(client.getConversation('not-a-uuid'));
    expect(malformed).toMatchObject({ status: 422, code: 'VALIDATION_ERROR', field: 'uuid' });

    const { body } = bodies[0]!;
    const conflict = await failure(client.putConversation(randomUUID(), { ...body, contact: { uuid: randomUUID() } }));
    expect(conflict).toMatchObject({ status: 409, code: 'CONFLICT', field: 'call.uuid' });

    const stranger = new ParleyClient({ baseUrl: `${baseUrl}/api/v1/`, token: 'prl_not-a-real-token' });
    expect(await failure(stranger.listConversations())).toMatchObject({ status: 401, code: 'INVALID_AUTH_TOKEN' });
  });
});

/** A stand-in server answering from a script, to see how the client behaves on answers Parley gives rarely. */
async function stubServer(
  answer: (request: IncomingMessage, count: number) => { status: number; headers?: Record<string, string>; body: string },
) {
  let count = 0;
  const server: Server = createServer((request, response) => {
    const { status, headers, body } = answer(request, ++count);
    response.writeHead(status, { 'content-type': 'application/json', ...headers }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests: () => count,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const RATE_LIMITED = JSON.stringify({
  success: false,
  message: 'Too many requests',
  error: { code: 'RATE_LIMITED', details: 'Slow down' },
});
const EMPTY_PAGE = JSON.stringify({
  success: true,
  message: 'ok',
  data: { current_page: 1, data: [], per_page: 15, total: 0, last_page: 1 },
});

describe('@parley/client on 429 and other answers', () => {
  it('waits as Retry-After says and tries again, a bounded number of times', async () => {
    const seen: string[] = [];
    const stub = await stubServer((request, count) => {
      seen.push(`${request.headers.authorization} ${request.url}`);
      return count < 3 ? { status: 429, headers: { 'retry-after': '0' }, body: RATE_LIMITED } : { status: 200, body: EMPTY_PAGE };
    });
    try {
      const client = new ParleyClient({ baseUrl: stub.url, token: 'tok', retries: 3 });
      expect(await client.listConversations({ channel: ['SMS', 'Call'], per_page: 5 })).toMatchObject({ total: 0 });
      expect(seen).toEqual(Array(3).fill('Bearer tok /api/v1/conversations?channel=SMS%2CCall&per_page=5'));
    } finally {
      await stub.close();
    }
  });

  it('gives up with the 429 once its retries are spent, or at once when Retry-After is too long', async () => {
    const stub = await stubServer((request) => ({
      status: 429,
      headers: { 'retry-after': request.url?.includes('long') ? '3600' : '0' },
      body: RATE_LIMITED,
    }));
    try {
      const client = new ParleyClient({ baseUrl: stub.url, token: 'tok', retries: 2, maxRetryDelayMs: 1000 });
      await expect(client.listConversations()).rejects.toMatchObject({ status: 429, code: 'RATE_LIMITED', details: 'Slow down' });
      expect(stub.requests()).toBe(3);
      await expect(client.listConversations({ phone: 'long' })).rejects.toMatchObject({ status: 429 });
      expect(stub.requests()).toBe(4);
    } finally {
      await stub.close();
    }
  });

  it('reads Retry-After as seconds or as a date', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(retryAfterMs('2', now)).toBe(2000);
    expect(retryAfterMs('Thu, 01 Jan 2026 00:00:05 GMT', now)).toBe(5000);
    expect(retryAfterMs('Wed, 31 Dec 2025 00:00:05 GMT', now)).toBe(0);
    expect(retryAfterMs(null, now)).toBeNull();
    expect(retryAfterMs('soon', now)).toBeNull();
  });

  it('turns an answer that is not an envelope (a proxy page) into a ParleyError too', async () => {
    const stub = await stubServer(() => ({ status: 502, headers: { 'content-type': 'text/html' }, body: '<html>Bad gateway</html>' }));
    try {
      const client = new ParleyClient({ baseUrl: stub.url, token: 'tok' });
      const error = await client.getConversation(randomUUID()).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(ParleyError);
      expect(error).toMatchObject({ status: 502, code: 'HTTP_502', details: '<html>Bad gateway</html>', requestId: null });
      expect(stub.requests()).toBe(1);
    } finally {
      await stub.close();
    }
  });
});
