import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { expect, it } from 'vitest';
import { importNdjson } from '../src/bulk/import.js';
import { describeEachDialect, type TestWorkspace } from './helpers/app.js';
import { conversationBody } from './helpers/fixtures.js';

/**
 * The list reads each conversation from its stored JSON (conversations.body). These tests change
 * every part a conversation embeds by every write path and check that the list, the detail and
 * the write's own answer always agree, and that a body gone stale is never served.
 */

async function* linesOf(lines: unknown[]) {
  for (const line of lines) yield JSON.stringify(line);
}

async function listed(ws: TestWorkspace, uuid: string) {
  const response = await ws.list({ per_page: 100 });
  expect(response.statusCode).toBe(200);
  return (response.json().data.data as { uuid: string }[]).find((item) => item.uuid === uuid);
}

async function detail(ws: TestWorkspace, uuid: string) {
  const response = await ws.request({ method: 'GET', url: `/api/v1/conversations/${uuid}` });
  expect(response.statusCode).toBe(200);
  return response.json().data;
}

describeEachDialect('stored conversation bodies', (t) => {
  const staleBodies = async (workspaceId: number) => {
    const { rows } = await sql<{
      n: number;
    }>`select count(*) as n from conversations where workspace_id = ${workspaceId} and body is null`.execute(t.db);
    return Number(rows[0]!.n);
  };

  it('follows a contact changed through another conversation, a message that starts a session and a PATCH', async () => {
    const ws = await t.newWorkspace();
    const contact = { uuid: randomUUID(), name: 'Ada', surname: 'Lovelace', phone_number: '+44 20 7946 0958', email: 'ada@example.com' };
    const [a, b] = [randomUUID(), randomUUID()];
    expect((await ws.put(a, conversationBody({ contact }))).statusCode).toBe(201);
    expect((await ws.put(b, conversationBody({ contact }))).statusCode).toBe(201);

    const renamed = { ...contact, name: 'Augusta', phone_number: '+44 20 7946 0000' };
    expect((await ws.put(b, conversationBody({ contact: renamed }))).statusCode).toBe(200);
    expect((await listed(ws, a))!).toMatchObject({ contact: renamed });
    expect(await detail(ws, a)).toMatchObject({ contact: renamed });
    expect((await ws.list({ phone: '7946 0000' })).json().data.total).toBe(2);

    const session = randomUUID();
    const message = { uuid: randomUUID(), sender: 'Contact', content: 'Hello', session_uuid: session, created_at: '2030-01-01T00:00:00Z' };
    expect((await ws.request({ method: 'POST', url: `/api/v1/conversations/${a}/messages`, payload: message })).statusCode).toBe(201);
    const afterMessage = await detail(ws, a);
    expect(afterMessage.session_uuids).toContain(session);
    expect(afterMessage.timestamp).toBe('2030-01-01T00:00:00Z');
    expect(await listed(ws, a)).toEqual(afterMessage);

    const patched = await ws.request({ method: 'PATCH', url: `/api/v1/conversations/${a}`, payload: { status: 'Closed' } });
    expect(patched.statusCode).toBe(200);
    expect(await listed(ws, a)).toEqual(patched.json().data);
    expect(await detail(ws, a)).toEqual(patched.json().data);
    expect(await staleBodies(ws.id)).toBe(0);
  });

  it('follows an import that rewrites a contact, a call and tasks of conversations written through the API', async () => {
    const ws = await t.newWorkspace();
    const contact = { uuid: randomUUID(), name: 'Grace', surname: 'Hopper', phone_number: '+1 555 010 9999', email: null };
    const [a, b] = [randomUUID(), randomUUID()];
    const bodyA = conversationBody({ contact });
    expect((await ws.put(a, bodyA)).statusCode).toBe(201);

    const call = { ...bodyA.call, summary: 'Rewritten by the import' };
    const lineA = {
      ...bodyA,
      uuid: a,
      contact: { ...contact, name: 'Rear Admiral Grace' },
      call,
      task_uuids: [randomUUID(), randomUUID()],
    };
    const lineB = { ...conversationBody({ contact: lineA.contact }), uuid: b };
    const result = await importNdjson(t.db, ws.id, linesOf([lineA, lineB]));
    expect(result.imported).toBe(2);
    expect(result.rejected).toEqual([]);

    const listedA = await listed(ws, a);
    expect(listedA).toMatchObject({ contact: lineA.contact, call: { summary: 'Rewritten by the import' } });
    expect([...(listedA as unknown as { task_uuids: string[] }).task_uuids].sort()).toEqual([...lineA.task_uuids].sort());
    expect(await detail(ws, a)).toEqual(listedA);
    expect(await listed(ws, b)).toEqual(await detail(ws, b));
    expect(await staleBodies(ws.id)).toBe(0);
  });

  it('stores, after a message or a status change, the body a rebuild from the tables makes', async () => {
    const ws = await t.newWorkspace();
    const uuid = randomUUID();
    expect((await ws.put(uuid, conversationBody())).statusCode).toBe(201);
    // What a write stored, then what the tables give once that body is dropped: the same text, key order included.
    const detailText = async () => {
      const response = await ws.request({ method: 'GET', url: `/api/v1/conversations/${uuid}` });
      expect(response.statusCode).toBe(200);
      return response.body;
    };
    const storedThenRebuilt = async () => {
      const stored = await detailText();
      await sql`update conversations set body = null where workspace_id = ${ws.id} and uuid = ${uuid}`.execute(t.db);
      // Moved as a write would, or the detail would come from the answers kept for this version.
      await sql`update workspaces set data_version = data_version + 1 where id = ${ws.id}`.execute(t.db);
      expect(await staleBodies(ws.id)).toBe(1);
      expect(await detailText()).toBe(stored);
      const { status } = JSON.parse(stored).data;
      // Stored again, as a write leaves it.
      expect((await ws.request({ method: 'PATCH', url: `/api/v1/conversations/${uuid}`, payload: { status } })).statusCode).toBe(200);
      expect(await staleBodies(ws.id)).toBe(0);
      return JSON.parse(stored).data;
    };
    const post = (message: Record<string, unknown>) =>
      ws.request({
        method: 'POST',
        url: `/api/v1/conversations/${uuid}/messages`,
        payload: { sender: 'Contact', content: 'Hi', ...message },
      });

    expect((await post({ created_at: '2030-01-01T00:00:00Z' })).statusCode).toBe(201);
    const afterLater = await storedThenRebuilt();
    expect(afterLater.timestamp).toBe('2030-01-01T00:00:00Z');

    expect((await post({ created_at: '2024-03-01T10:02:00Z', session_uuid: randomUUID() })).statusCode).toBe(201);
    const afterEarlier = await storedThenRebuilt();
    expect(afterEarlier.timestamp).toBe('2030-01-01T00:00:00Z');
    expect(afterEarlier.session_uuids).toHaveLength(2);

    const closed = await ws.request({ method: 'PATCH', url: `/api/v1/conversations/${uuid}`, payload: { status: 'Closed' } });
    expect(closed.statusCode).toBe(200);
    expect(closed.json()).toEqual({
      success: true,
      message: 'Conversation updated successfully',
      data: { ...afterEarlier, status: 'Closed', updated_at: closed.json().data.updated_at },
    });
    expect(await storedThenRebuilt()).toEqual(closed.json().data);
    expect(await listed(ws, uuid)).toEqual(closed.json().data);
  });

  it('serves a stale body from the tables, and the next write of the workspace stores it again', async () => {
    const ws = await t.newWorkspace();
    const uuids = [randomUUID(), randomUUID(), randomUUID()];
    for (const uuid of uuids) expect((await ws.put(uuid, conversationBody())).statusCode).toBe(201);
    const before = (await ws.list()).json();

    // As a migration that adds what bodies show would leave them.
    await sql`update conversations set body = null where workspace_id = ${ws.id}`.execute(t.db);
    expect(await staleBodies(ws.id)).toBe(3);
    // Another URL for the same page: the first one's answer is kept until the next write.
    expect((await ws.list({ sort_dir: 'desc' })).json()).toEqual(before);
    expect(await detail(ws, uuids[0]!)).toEqual(before.data.data.find((item: { uuid: string }) => item.uuid === uuids[0]));

    expect(
      (await ws.request({ method: 'PATCH', url: `/api/v1/conversations/${uuids[0]}`, payload: { status: 'Active' } })).statusCode,
    ).toBe(200);
    expect(await staleBodies(ws.id)).toBe(0);
    expect((await ws.list()).json()).toEqual(before);
  });

  it('stores, by import, PUT, message and PATCH alike, the bytes a rebuild from the tables makes (non-ASCII text included)', async () => {
    const ws = await t.newWorkspace();
    const [imported, put, messaged, patched] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    const contact = (name: string) => ({ uuid: randomUUID(), name, surname: 'Öztürk', phone_number: '+90 212 555 0101', email: null });
    const body = (name: string, day: number) => conversationBody({ contact: contact(name), created_at: `2024-03-0${day}T10:00:00Z` });
    expect((await importNdjson(t.db, ws.id, linesOf([{ ...body('Şule', 1), uuid: imported }]))).imported).toBe(1);
    expect((await ws.put(put, body('Zoë', 2))).statusCode).toBe(201);
    expect((await ws.put(messaged, body('李雷 🌿', 3))).statusCode).toBe(201);
    const message = { uuid: randomUUID(), sender: 'Contact', content: 'Merhaba', created_at: '2024-03-03T11:00:00Z' };
    expect((await ws.request({ method: 'POST', url: `/api/v1/conversations/${messaged}/messages`, payload: message })).statusCode).toBe(
      201,
    );
    expect((await ws.put(patched, body('Ñandú', 4))).statusCode).toBe(201);
    expect((await ws.request({ method: 'PATCH', url: `/api/v1/conversations/${patched}`, payload: { status: 'Closed' } })).statusCode).toBe(
      200,
    );
    const page = { per_page: 4 };
    // The page's items as sent, without the envelope, whose total the writes below move.
    const items = async () => {
      const text = (await ws.list(page)).body;
      return text.slice(text.indexOf('"data":[{'), text.lastIndexOf('],"per_page"'));
    };
    const stored = await items();
    expect(stored).toContain('"name":"李雷 🌿"');
    expect((await ws.list(page)).json().data.data.map((item: { uuid: string }) => item.uuid)).toEqual([patched, messaged, put, imported]);

    for (const [day, uuid] of [imported, put, messaged, patched].entries()) {
      await sql`update conversations set body = null where workspace_id = ${ws.id} and uuid = ${uuid}`.execute(t.db);
      // A write moves the workspace's version, so that the page is read again, not answered as kept.
      const older = conversationBody({ created_at: `2020-01-0${day + 1}T00:00:00Z` });
      expect((await ws.put(randomUUID(), older)).statusCode).toBe(201);
      expect(await staleBodies(ws.id)).toBe(0);
      expect(await items()).toBe(stored);
    }
  });
});
