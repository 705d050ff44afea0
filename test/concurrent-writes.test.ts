import { randomUUID } from 'node:crypto';
import { expect, it } from 'vitest';
import { describeEachDialect, type TestWorkspace } from './helpers/app.js';
import { minimalBody } from './helpers/fixtures.js';

const patch = (ws: TestWorkspace, uuid: string, status: string) =>
  ws.request({ method: 'PATCH', url: `/api/v1/conversations/${uuid}`, payload: { status } });
const post = (ws: TestWorkspace, uuid: string, content: string) =>
  ws.request({ method: 'POST', url: `/api/v1/conversations/${uuid}/messages`, payload: { sender: 'Contact', content } });

/**
 * Writes to one workspace sent all at once, as a busy platform sends them. On PostgreSQL those
 * that queue share transactions (db/transaction.ts); each must still answer as if it ran alone,
 * and one that fails must fail alone, leaving nothing behind.
 */
describeEachDialect('concurrent writes to one workspace', (t) => {
  it('each answers with its own effect; a failing one fails alone and leaves nothing', async () => {
    const ws = await t.newWorkspace();
    const a = randomUUID();
    const call = randomUUID();
    expect((await ws.put(a, minimalBody({ call: { uuid: call } }))).statusCode).toBe(201);

    const b = randomUUID();
    const c = randomUUID();
    const [closed, active, message, lost, created, conflicting, ...more] = await Promise.all([
      patch(ws, a, 'Closed'),
      patch(ws, a, 'Active'),
      post(ws, a, 'first'),
      post(ws, randomUUID(), 'nowhere'),
      ws.put(b, minimalBody({ status: 'Closed' })),
      ws.put(c, minimalBody({ call: { uuid: call } })),
      ...Array.from({ length: 8 }, (_, i) => post(ws, a, `more ${i}`)),
    ]);

    expect(closed!.statusCode).toBe(200);
    expect(closed!.json().data.status).toBe('Closed');
    expect(active!.statusCode).toBe(200);
    expect(active!.json().data.status).toBe('Active');
    expect(message!.statusCode).toBe(201);
    expect(message!.json().data).toMatchObject({ conversation_uuid: a, content: 'first' });
    expect(lost!.statusCode).toBe(404);
    expect(created!.statusCode).toBe(201);
    expect(created!.json().data).toMatchObject({ uuid: b, status: 'Closed' });
    expect(conflicting!.statusCode).toBe(409);
    expect(conflicting!.json().error).toMatchObject({ code: 'CONFLICT', field: 'call.uuid' });
    for (const response of more) expect(response.statusCode).toBe(201);

    const listed = (await ws.list()).json().data;
    expect(listed.total).toBe(2);
    expect(listed.data.map((conversation: { uuid: string }) => conversation.uuid).sort()).toEqual([a, b].sort());
    const stored = (await ws.request({ method: 'GET', url: `/api/v1/conversations/${a}` })).json().data;
    expect(stored.call.uuid).toBe(call);
    expect((await ws.list({ status: stored.status })).json().data.total).toBe(stored.status === 'Closed' ? 2 : 1);
    expect((await ws.request({ method: 'GET', url: `/api/v1/conversations/${c}` })).statusCode).toBe(404);
    const messages = (await ws.request({ method: 'GET', url: `/api/v1/conversations/${a}/messages?per_page=100` })).json().data;
    expect(messages.total).toBe(9);

    // A burst in which nothing fails: on PostgreSQL it commits as one.
    const burst = await Promise.all([
      patch(ws, b, 'Active'),
      ...Array.from({ length: 10 }, (_, i) => post(ws, b, `burst ${i}`)),
      patch(ws, b, 'Closed'),
    ]);
    expect(burst.map((response) => response.statusCode)).toEqual([200, ...Array(10).fill(201), 200]);
    expect(burst[0]!.json().data.status).toBe('Active');
    expect(burst[11]!.json().data.status).toBe('Closed');
    const after = (await ws.request({ method: 'GET', url: `/api/v1/conversations/${b}/messages?per_page=100` })).json().data;
    expect(after.total).toBe(10);
    const final = (await ws.request({ method: 'GET', url: `/api/v1/conversations/${b}` })).json().data.status;
    expect((await ws.list({ status: final })).json().data.data.map((conversation: { uuid: string }) => conversation.uuid)).toContain(b);
  });
});
