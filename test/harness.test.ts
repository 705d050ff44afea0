import { expect, it } from 'vitest';
import { describeEachDialect } from './helpers/app.js';
import { conversationBody } from './helpers/fixtures.js';

describeEachDialect('harness', (t) => {
  it('round-trips a conversation', async () => {
    const ws = await t.newWorkspace();
    const body = conversationBody();
    const put = await ws.put('3c90c3cc-0d44-4b50-8888-8dd25736052a', body);
    expect(put.statusCode).toBe(201);
    const list = await ws.list();
    expect(list.json().data.data[0]).toEqual({ uuid: '3c90c3cc-0d44-4b50-8888-8dd25736052a', ...body });
  });
});
