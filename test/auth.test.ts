import { randomUUID } from 'node:crypto';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import type { KyselyPlugin } from 'kysely';
import { expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { revokeToken } from '../src/tokens/repository.js';
import { issueToken, parseToken } from '../src/tokens/token.js';
import { describeEachDialect, type TestContext, type TestWorkspace } from './helpers/app.js';
import { conversationBody, minimalBody } from './helpers/fixtures.js';

const LIST = '/api/v1/conversations';

const missingToken = {
  success: false,
  message: 'Authentication token is missing',
  error: { code: 'MISSING_AUTH_TOKEN', details: expect.any(String) },
};

const invalidToken = {
  success: false,
  message: 'Invalid authentication token',
  error: { code: 'INVALID_AUTH_TOKEN', details: expect.any(String) },
};

/** What no error body may contain: SQL, driver names, stack frames, source paths. */
const LEAKS = /\bselect\b|\binsert\b|\bwhere\b|syntax|sqlite|postgres|kysely|stack|node_modules|\.ts:\d+|\bat \S+ \(|\n\s+at /i;

/** The one error envelope, exactly: success, message, error { code, details, field? } and nothing else. */
function expectEnvelope(response: LightMyRequestResponse, status: number, code: string) {
  expect(response.statusCode).toBe(status);
  expect(response.headers['content-type']).toMatch(/^application\/json/);
  const body = response.json();
  expect(Object.keys(body)).toEqual(['success', 'message', 'error']);
  expect(body.success).toBe(false);
  expect(typeof body.message).toBe('string');
  expect(Object.keys(body.error)).toEqual(body.error.field === undefined ? ['code', 'details'] : ['code', 'details', 'field']);
  expect(body.error.code).toBe(code);
  expect(typeof body.error.details).toBe('string');
  expect(response.body).not.toMatch(LEAKS);
}

const inject = (t: TestContext, options: InjectOptions) => t.app.inject(options);

/** A conversation with every relation, so that each list filter has something to find. */
async function populated(ws: TestWorkspace, overrides: Record<string, unknown> = {}) {
  const uuid = randomUUID();
  const body = conversationBody(overrides);
  const response = await ws.put(uuid, body);
  expect(response.statusCode).toBe(201);
  return { uuid, ...body };
}

describeEachDialect('authentication', (t) => {
  it('answers 401 MISSING_AUTH_TOKEN without a Bearer Authorization header', async () => {
    const headerValues = [undefined, '', 'Basic dXNlcjpwYXNz', 'Token abc', 'Bearer', 'Bearer ', 'prl_0123456789abcdef_x', 'Bearerabc'];
    for (const authorization of headerValues) {
      const headers = authorization === undefined ? {} : { authorization };
      for (const request of [
        { method: 'GET', url: LIST },
        { method: 'PUT', url: `${LIST}/${randomUUID()}`, payload: minimalBody() },
      ] as InjectOptions[]) {
        const response = await inject(t, { ...request, headers });
        expect({ authorization, status: response.statusCode, body: response.json() }).toEqual({
          authorization,
          status: 401,
          body: missingToken,
        });
        expectEnvelope(response, 401, 'MISSING_AUTH_TOKEN');
      }
    }
  });

  it('answers 401 INVALID_AUTH_TOKEN to a garbage, unknown, wrong-secret or revoked token, all alike', async () => {
    const ws = await t.newWorkspace();
    const spare = await t.newWorkspace();
    const { publicId } = parseToken(ws.token)!;
    const bodies: unknown[] = [];
    const attempt = async (token: string) => {
      const response = await inject(t, { method: 'GET', url: LIST, headers: { authorization: `Bearer ${token}` } });
      expect({ token, status: response.statusCode }).toEqual({ token, status: 401 });
      expectEnvelope(response, 401, 'INVALID_AUTH_TOKEN');
      bodies.push(response.json());
    };

    for (const garbage of [
      'garbage',
      'prl_',
      `${ws.token}x`,
      ws.token.slice(0, -1),
      ws.token.toUpperCase(),
      `prl_${publicId}`,
      "' OR 1=1 --",
      'two words',
    ]) {
      await attempt(garbage);
    }
    await attempt(issueToken().token);
    await attempt(`prl_${publicId}_${'A'.repeat(43)}`);

    expect((await ws.list()).statusCode).toBe(200);
    expect(await revokeToken(t.db, publicId)).toBe(true);
    await attempt(ws.token);
    // A PUT with the revoked token writes nothing.
    const put = await ws.put(randomUUID(), minimalBody());
    expectEnvelope(put, 401, 'INVALID_AUTH_TOKEN');

    for (const body of bodies) expect(body).toEqual(invalidToken);
    expect(new Set(bodies.map((body) => JSON.stringify(body))).size).toBe(1);
    // Other tokens are unaffected.
    expect((await spare.list()).statusCode).toBe(200);
  });

  it('answers requests arriving together each by its own token, all looked up by one statement', async () => {
    const [a, b, revoked] = [await t.newWorkspace(), await t.newWorkspace(), await t.newWorkspace()];
    const [ofA, ofB] = [await populated(a), await populated(b)];
    const { publicId } = parseToken(revoked.token)!;
    expect(await revokeToken(t.db, publicId)).toBe(true);
    const wrongSecret = `prl_${parseToken(a.token)!.publicId}_${'A'.repeat(43)}`;

    // Statements run (not only compiled) that read tokens.
    const reading = new WeakSet<object>();
    let tokenStatements = 0;
    const counter: KyselyPlugin = {
      transformQuery: (args) => {
        if (JSON.stringify(args.node).includes('"api_tokens"')) reading.add(args.queryId);
        return args.node;
      },
      transformResult: async (args) => {
        if (reading.has(args.queryId)) tokenStatements++;
        return args.result;
      },
    };
    const app = await buildApp({ config: { baseDomain: null }, db: t.db.withPlugin(counter) });
    try {
      const tokens = [a.token, b.token, revoked.token, a.token, wrongSecret, issueToken().token, b.token];
      const responses = await Promise.all(
        tokens.map((token) => app.inject({ method: 'GET', url: LIST, headers: { authorization: `Bearer ${token}` } })),
      );
      const outcomes = responses.map((response) =>
        response.statusCode === 200 ? response.json().data.data.map((c: { uuid: string }) => c.uuid) : response.json(),
      );
      expect(outcomes).toEqual([[ofA.uuid], [ofB.uuid], invalidToken, [ofA.uuid], invalidToken, invalidToken, [ofB.uuid]]);
      expect(tokenStatements).toBe(1);
    } finally {
      await app.close();
    }
  });

  it('accepts the scheme in any case and surrounding spaces', async () => {
    const ws = await t.newWorkspace();
    for (const authorization of [`bearer ${ws.token}`, `BEARER ${ws.token}`, `Bearer   ${ws.token}  `]) {
      const response = await inject(t, { method: 'GET', url: LIST, headers: { authorization } });
      expect({ authorization, status: response.statusCode }).toEqual({ authorization, status: 200 });
    }
  });
});

describeEachDialect(
  'subdomain rule',
  (t) => {
    const withHost = (ws: TestWorkspace, host: string, options: InjectOptions = { method: 'GET', url: LIST }) =>
      ws.request({ ...options, headers: { host, ...options.headers } });

    it("accepts a token on its own workspace's host", async () => {
      const ws = await t.newWorkspace();
      await populated(ws);
      for (const host of [`${ws.subdomain}.parley.test`, `${ws.subdomain.toUpperCase()}.PARLEY.TEST`, `${ws.subdomain}.parley.test:443`]) {
        const response = await withHost(ws, host);
        expect({ host, status: response.statusCode }).toEqual({ host, status: 200 });
        expect(response.json().data.total).toBe(1);
      }
    });

    it("answers another workspace's host and a host of no workspace with the same 401, revealing nothing", async () => {
      const ws = await t.newWorkspace();
      const other = await t.newWorkspace();
      const otherHost = await withHost(ws, `${other.subdomain}.parley.test`);
      const noneHost = await withHost(ws, `nosuch-${randomUUID().slice(0, 8)}.parley.test`);
      expectEnvelope(otherHost, 401, 'INVALID_AUTH_TOKEN');
      expectEnvelope(noneHost, 401, 'INVALID_AUTH_TOKEN');
      expect(otherHost.json()).toEqual(invalidToken);
      expect(noneHost.body).toBe(otherHost.body);
      expect(noneHost.headers['content-type']).toBe(otherHost.headers['content-type']);

      // Nor can it write there.
      const put = await withHost(ws, `${other.subdomain}.parley.test`, {
        method: 'PUT',
        url: `${LIST}/${randomUUID()}`,
        payload: minimalBody(),
      });
      expectEnvelope(put, 401, 'INVALID_AUTH_TOKEN');
      expect((await ws.list()).json().data.total).toBe(0);
      expect((await other.list()).json().data.total).toBe(0);
      // Without a token, the answer is the missing-token one on every host.
      const anonymous = await t.app.inject({ method: 'GET', url: LIST, headers: { host: `${other.subdomain}.parley.test` } });
      expect(anonymous.json()).toEqual(missingToken);
    });

    it('lets the token alone decide on any other host', async () => {
      const ws = await t.newWorkspace();
      await populated(ws);
      for (const host of [
        '127.0.0.1',
        '127.0.0.1:3000',
        'localhost',
        'localhost:3000',
        'parley.test',
        'api.example.com',
        'a.b.parley.test',
      ]) {
        const response = await withHost(ws, host);
        expect({ host, status: response.statusCode, total: response.json().data?.total }).toEqual({ host, status: 200, total: 1 });
      }
    });
  },
  { baseDomain: 'parley.test' },
);

describeEachDialect('workspace isolation', (t) => {
  it("never lists or counts another workspace's conversations, whatever the filter", async () => {
    const a = await t.newWorkspace();
    const b = await t.newWorkspace();
    const contact = (phone_number: string) => ({ uuid: randomUUID(), name: 'Ada', surname: null, phone_number, email: null });
    const mine = await populated(a, { channel: 'SMS', status: 'Active', contact: contact('+1 202 555 0143') });
    const theirs = await populated(b, { channel: 'Whatsapp', status: 'Closed', contact: contact('+90 532 765 4321') });
    await populated(b, { channel: 'SMS', status: 'Active' });

    const aList = (await a.list()).json();
    expect(aList.data).toEqual({ current_page: 1, data: [mine], per_page: 15, total: 1, last_page: 1 });

    const empty = {
      success: true,
      message: 'Conversations retrieved successfully',
      data: { current_page: 1, data: [], per_page: 15, total: 0, last_page: 1 },
    };
    const foreignFilters = [
      { contact_uuid: theirs.contact.uuid },
      { agent_uuid: theirs.agent_uuid },
      { campaign_uuid: theirs.campaign_uuid },
      { task_uuid: theirs.task_uuids[0] },
      { phone: '765 4321' },
      { channel: 'whatsapp' },
      { status: 'closed' },
      { phone: "' OR 1=1 --" },
      { phone: '%5%' },
    ];
    for (const query of foreignFilters) expect({ query, body: (await a.list(query)).json() }).toEqual({ query, body: empty });
    // Filters that B's rows would also match count A's rows only.
    expect((await a.list({ channel: 'sms', status: 'active' })).json().data.total).toBe(1);
    expect((await b.list({ channel: 'sms', status: 'active' })).json().data.total).toBe(1);
    expect((await b.list()).json().data.total).toBe(2);
  });

  it("writes only its own rows when a PUT names another workspace's uuids", async () => {
    const a = await t.newWorkspace();
    const b = await t.newWorkspace();
    const theirs = await populated(b);
    const bBefore = (await b.list()).json();

    // B's conversation uuid from A: A gets a conversation of its own under that uuid.
    const { uuid, ...theirBody } = theirs;
    const mineBody = conversationBody({ status: 'Closed', created_at: '2024-03-02T00:00:00Z' });
    const created = await a.put(uuid, mineBody);
    expect(created.statusCode).toBe(201);
    expect(created.json().data).toEqual({ uuid, ...mineBody });

    // B's contact, call, session and task uuids on another conversation of A: no conflict, no effect on B.
    const borrowedUuid = randomUUID();
    const borrowedBody = conversationBody({
      contact: { ...theirBody.contact, name: 'Eve', email: null },
      call: { ...theirBody.call, summary: 'hijacked', duration: 1 },
      session_uuids: theirBody.session_uuids,
      task_uuids: theirBody.task_uuids,
    });
    const borrowed = await a.put(borrowedUuid, borrowedBody);
    expect(borrowed.statusCode).toBe(201);
    expect(borrowed.json().data).toEqual({ uuid: borrowedUuid, ...borrowedBody });
    // Updating A's conversations again stays in A.
    expect((await a.put(uuid, { ...mineBody, status: 'Active' })).statusCode).toBe(200);
    expect(
      (await a.put(borrowedUuid, { ...borrowedBody, call: null, campaign_uuid: null, task_uuids: [], session_uuids: [] })).statusCode,
    ).toBe(200);

    expect((await b.list()).json()).toEqual(bBefore);
    expect((await b.list({ task_uuid: theirs.task_uuids[0] })).json().data.data).toEqual([theirs]);
    expect((await b.list({ contact_uuid: theirs.contact.uuid })).json().data.data).toEqual([theirs]);
    expect((await b.list({ campaign_uuid: theirs.campaign_uuid })).json().data.data).toEqual([theirs]);
    expect((await a.list()).json().data.total).toBe(2);
    expect((await a.list({ task_uuid: theirs.task_uuids[0] })).json().data.total).toBe(0);
    expect((await a.list({ contact_uuid: theirs.contact.uuid })).json().data.data.map((c: { uuid: string }) => c.uuid)).toEqual([
      borrowedUuid,
    ]);
  });
});

describeEachDialect('error envelope', (t) => {
  it('answers an unknown route or method with 404 NOT_FOUND in the envelope', async () => {
    const ws = await t.newWorkspace();
    const requests: InjectOptions[] = [
      { method: 'GET', url: '/api/v1/nope' },
      { method: 'GET', url: '/api/v2/conversations' },
      { method: 'GET', url: '/nope' },
      { method: 'DELETE', url: LIST },
      { method: 'POST', url: LIST, payload: minimalBody() },
      { method: 'GET', url: `${LIST}/${randomUUID()}/nothing` },
    ];
    for (const request of requests) {
      const response = await ws.request(request);
      expect({ request: request.url, status: response.statusCode }).toEqual({ request: request.url, status: 404 });
      expect(response.json()).toEqual({
        success: false,
        message: 'Route not found',
        error: { code: 'NOT_FOUND', details: expect.any(String) },
      });
      expectEnvelope(response, 404, 'NOT_FOUND');
    }
  });

  it('echoes x-request-id on successes and errors', async () => {
    const ws = await t.newWorkspace();
    const id = `req-${randomUUID()}`;
    const cases: [InjectOptions, number][] = [
      [{ method: 'GET', url: LIST }, 200],
      [{ method: 'PUT', url: `${LIST}/${randomUUID()}`, payload: minimalBody() }, 201],
      [{ method: 'GET', url: `${LIST}?per_page=0` }, 422],
      [{ method: 'GET', url: '/api/v1/nope' }, 404],
    ];
    for (const [request, status] of cases) {
      const response = await ws.request({ ...request, headers: { 'x-request-id': id } });
      expect(response.statusCode).toBe(status);
      expect(response.headers['x-request-id']).toBe(id);
    }
    const anonymous = await t.app.inject({ method: 'GET', url: LIST, headers: { 'x-request-id': id } });
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.headers['x-request-id']).toBe(id);
    // Without one, the server still names the request.
    expect((await ws.list()).headers['x-request-id']).toEqual(expect.any(String));
  });

  it('answers nasty query input in the envelope, never with a 500, a stack trace or SQL', async () => {
    const ws = await t.newWorkspace();
    await populated(ws, { contact: { uuid: randomUUID(), phone_number: '+1 202 555 0143' } });
    const long = 'x'.repeat(20_000);
    const cases: [string, number, string | null][] = [
      [`phone=${encodeURIComponent("' OR 1=1 --")}`, 200, null],
      [`phone=${encodeURIComponent("1' OR '1'='1")}`, 200, null],
      [`phone=${encodeURIComponent('1); DROP TABLE conversations; --')}`, 200, null],
      ['phone=1%00', 422, 'phone'],
      ['phone=%00', 422, 'phone'],
      ['agent_uuid=%00', 422, 'agent_uuid'],
      [`contact_uuid=${encodeURIComponent("3c90c3cc-0d44-4b50-8888-8dd25736052a' OR '1'='1")}`, 422, 'contact_uuid'],
      [`task_uuid=${long}`, 422, 'task_uuid'],
      [`campaign_uuid=${long}`, 422, 'campaign_uuid'],
      [`phone=${'1'.repeat(20_000)}`, 422, 'phone'],
      [`channel=${long}`, 422, 'channel'],
      [`status=${long}`, 422, 'status'],
      [`page=${'9'.repeat(400)}`, 422, 'page'],
      [`per_page=${'9'.repeat(400)}`, 422, 'per_page'],
      [`sort_by=${encodeURIComponent('created_at; drop table conversations')}`, 422, 'sort_by'],
      [`sort_dir=${encodeURIComponent('desc, (select 1)')}`, 422, 'sort_dir'],
      [`unknown=${long}`, 200, null],
      [`phone=${encodeURIComponent('📞 202 555')}`, 200, null],
      [`phone=${encodeURIComponent('\u202e0143')}`, 200, null],
      [`phone=${encodeURIComponent('\ud800\udfff1')}`, 200, null],
      ['phone=5%E0%A4%A', 200, null],
      ['phone=%E0%A4%A1', 422, 'phone'],
      [`channel=${encodeURIComponent('Ẃhatsapp')}`, 422, 'channel'],
      [`status=${encodeURIComponent('ACTİVE')}`, 422, 'status'],
      [`contact_uuid=${encodeURIComponent('３c90c3cc-0d44-4b50-8888-8dd25736052a')}`, 422, 'contact_uuid'],
      ['page[]=1&per_page[a]=2', 200, null],
      ['page=1&page=1&page=1', 422, 'page'],
    ];
    for (const [query, status, field] of cases) {
      const response = await ws.list(`?${query}`);
      expect({ query: query.slice(0, 80), status: response.statusCode }).toEqual({ query: query.slice(0, 80), status });
      if (status === 200) {
        expect(response.json()).toEqual({ success: true, message: 'Conversations retrieved successfully', data: expect.any(Object) });
      } else {
        expectEnvelope(response, status, 'VALIDATION_ERROR');
        expect(response.json().error.field).toBe(field);
      }
      expect(response.body).not.toMatch(LEAKS);
    }
    // The injection attempts found nothing they should not have.
    expect((await ws.list(`?phone=${encodeURIComponent("' OR 1=1 --")}`)).json().data.total).toBe(0);
    expect((await ws.list()).json().data.total).toBe(1);
  });

  it('answers nasty bodies in the envelope, never with a 500, a stack trace or SQL', async () => {
    const ws = await t.newWorkspace();
    const uuid = randomUUID();
    const json = { 'content-type': 'application/json' };
    const cases: [InjectOptions, number, string][] = [
      [{ payload: minimalBody({ contact: { uuid: "'; drop table contacts; --" } }) }, 422, 'VALIDATION_ERROR'],
      [{ payload: minimalBody({ channel: "SMS' OR '1'='1" }) }, 422, 'VALIDATION_ERROR'],
      [{ payload: minimalBody({ contact: { uuid: randomUUID(), name: 'a\u0000b' } }) }, 422, 'VALIDATION_ERROR'],
      [{ payload: minimalBody({ created_at: '9999-99-99T99:99:99Z' }) }, 422, 'VALIDATION_ERROR'],
      [{ payload: minimalBody({ call: { uuid: randomUUID(), duration: 1e308 } }) }, 422, 'VALIDATION_ERROR'],
      [{ payload: minimalBody({ session_uuids: Array.from({ length: 1001 }, () => randomUUID()) }) }, 422, 'VALIDATION_ERROR'],
      [{ payload: '['.repeat(100_000) + ']'.repeat(100_000), headers: json }, 422, 'VALIDATION_ERROR'],
      [{ payload: '{"channel":"SMS","contact":{"uuid":"x"}', headers: json }, 400, 'BAD_REQUEST'],
      [{ payload: '\u0000', headers: json }, 400, 'BAD_REQUEST'],
      [{ payload: Buffer.from([0xff, 0xfe, 0xfd]), headers: json }, 400, 'BAD_REQUEST'],
    ];
    for (const [request, status, code] of cases) {
      const response = await ws.request({ method: 'PUT', url: `${LIST}/${uuid}`, ...request });
      expectEnvelope(response, status, code);
    }
    // SQL and markup in stored text are data: stored and returned verbatim.
    const text = "'); DROP TABLE conversations; -- <script>alert(1)</script> 📞 \u202e";
    const stored = await ws.put(uuid, minimalBody({ contact: { uuid: randomUUID(), name: text, phone_number: "555' OR 1=1" } }));
    expect(stored.statusCode).toBe(201);
    expect(stored.json().data.contact).toMatchObject({ name: text, phone_number: "555' OR 1=1" });
    expect((await ws.list({ phone: "555' OR 1=1" })).json().data.total).toBe(1);
    expect((await ws.list()).json().data.total).toBe(1);
  });
});
