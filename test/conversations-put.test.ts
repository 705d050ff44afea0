import { randomUUID } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { describeEachDialect, type TestWorkspace } from './helpers/app.js';
import { conversationBody, minimalBody } from './helpers/fixtures.js';

type Body = ReturnType<typeof conversationBody>;

/** Freezes the clock the server reads (`Date` only: timers, and so the database drivers, run as usual). */
function clockAt(iso: string) {
  vi.useFakeTimers({ toFake: ['Date'], now: new Date(iso) });
}

afterEach(() => {
  vi.useRealTimers();
});

const url = (uuid: string) => `/api/v1/conversations/${uuid}`;

async function listAll(ws: TestWorkspace) {
  const response = await ws.list({ per_page: 100, sort_dir: 'asc' });
  expect(response.statusCode, response.body).toBe(200);
  return response.json().data;
}

async function stored(ws: TestWorkspace, uuid: string) {
  const { data } = await listAll(ws);
  return data.find((conversation: { uuid: string }) => conversation.uuid === uuid);
}

function expectError(response: LightMyRequestResponse, status: number, code: string, field?: string) {
  expect({ status: response.statusCode, body: response.json() }).toEqual({
    status,
    body: {
      success: false,
      message: expect.any(String),
      error: { code, details: expect.any(String), ...(field === undefined ? {} : { field }) },
    },
  });
}

describeEachDialect('PUT /api/v1/conversations/{uuid}', (t) => {
  describe('create and update', () => {
    it('answers 201 on create and 200 on update, with the stored conversation in the envelope', async () => {
      const ws = await t.newWorkspace();
      const uuid = randomUUID();
      const body = conversationBody();
      const created = await ws.put(uuid, body);
      expect(created.statusCode).toBe(201);
      expect(created.headers['content-type']).toMatch(/^application\/json/);
      expect(created.json()).toEqual({ success: true, message: 'Conversation created successfully', data: { uuid, ...body } });
      expect(Object.keys(created.json())).toEqual(['success', 'message', 'data']);

      const changed = { ...body, status: 'Closed', updated_at: '2024-03-02T08:00:00Z' };
      const updated = await ws.put(uuid, changed);
      expect(updated.statusCode).toBe(200);
      expect(updated.json()).toEqual({ success: true, message: 'Conversation updated successfully', data: { uuid, ...changed } });
    });

    it('stores exactly what was PUT: the list returns the same whole conversation', async () => {
      const ws = await t.newWorkspace();
      const first = { uuid: randomUUID(), ...conversationBody() };
      const second = {
        uuid: randomUUID(),
        ...conversationBody({
          type: 'Simulation',
          status: 'Closed',
          responded_by: 'Human',
          is_simulation: true,
          channel: 'Email',
          created_at: '2024-03-05T00:00:00Z',
          timestamp: '2024-03-06T00:00:00Z',
          updated_at: '2024-03-07T00:00:00Z',
          session_uuids: [randomUUID(), randomUUID(), randomUUID()],
          task_uuids: [randomUUID(), randomUUID()],
          call: {
            uuid: randomUUID(),
            direction: 'Outbound',
            status: 'no-answer',
            duration: 0,
            recording_url: null,
            handled_by: 'Human',
            summary: 'ünïcødé — 電話 📞',
            timestamp: '2024-03-05T00:00:30Z',
          },
        }),
      };
      for (const { uuid, ...body } of [first, second]) expect((await ws.put(uuid, body)).statusCode).toBe(201);
      expect(await listAll(ws)).toEqual({ current_page: 1, data: [first, second], per_page: 100, total: 2, last_page: 1 });
    });

    it('changes nothing when the same body is PUT again', async () => {
      const ws = await t.newWorkspace();
      const uuid = randomUUID();
      const body = conversationBody();
      const first = await ws.put(uuid, body);
      const before = await listAll(ws);
      const again = await ws.put(uuid, body);
      expect(again.statusCode).toBe(200);
      expect(again.json()).toEqual({ success: true, message: 'Conversation updated successfully', data: first.json().data });
      expect(await listAll(ws)).toEqual(before);
      // Lists are sets to the writer: another order is the same content.
      const reordered = { ...body, session_uuids: [...body.session_uuids].reverse() };
      expect((await ws.put(uuid, reordered)).json().data).toEqual(first.json().data);
    });

    it('leaves updated_at alone when the same body without updated_at comes again later', async () => {
      const ws = await t.newWorkspace();
      const uuid = randomUUID();
      const { updated_at: _updatedAt, ...body } = conversationBody();
      clockAt('2030-01-01T00:00:00Z');
      const first = await ws.put(uuid, body);
      expect(first.json().data.updated_at).toBe('2030-01-01T00:00:00Z');
      clockAt('2030-01-01T01:00:00Z');
      const again = await ws.put(uuid, body);
      expect(again.statusCode).toBe(200);
      expect(again.json().data).toEqual(first.json().data);
    });
  });

  describe('defaults, omissions and nulls', () => {
    it('fills defaults on creation', async () => {
      const ws = await t.newWorkspace();
      const uuid = randomUUID();
      const contactUuid = randomUUID();
      clockAt('2030-06-01T12:34:56.789Z');
      const response = await ws.put(uuid, { channel: 'Webchat', contact: { uuid: contactUuid } });
      expect(response.statusCode).toBe(201);
      const expected = {
        uuid,
        type: 'Real',
        status: 'Active',
        responded_by: null,
        is_simulation: false,
        timestamp: '2030-06-01T12:34:56Z',
        created_at: '2030-06-01T12:34:56Z',
        updated_at: '2030-06-01T12:34:56Z',
        agent_uuid: null,
        channel: 'Webchat',
        contact: { uuid: contactUuid, name: null, surname: null, phone_number: null, email: null },
        session_uuids: [],
        campaign_uuid: null,
        listing_uuid: null,
        task_uuids: [],
        call: null,
      };
      expect(response.json().data).toEqual(expected);
      expect(await stored(ws, uuid)).toEqual(expected);
    });

    it('defaults timestamp to created_at, or to the call time when that is later', async () => {
      const ws = await t.newWorkspace();
      const created_at = '2024-03-01T10:00:00Z';
      const call = (timestamp: string | null) => ({ uuid: randomUUID(), timestamp });
      const timestampOf = async (body: Record<string, unknown>) => (await ws.put(randomUUID(), body)).json().data.timestamp;
      expect(await timestampOf(minimalBody({ created_at }))).toBe(created_at);
      expect(await timestampOf(minimalBody({ created_at, call: call('2024-03-01T10:07:00Z') }))).toBe('2024-03-01T10:07:00Z');
      expect(await timestampOf(minimalBody({ created_at, call: call('2024-03-01T09:00:00Z') }))).toBe(created_at);
      expect(await timestampOf(minimalBody({ created_at, call: call(null) }))).toBe(created_at);
      expect(await timestampOf(minimalBody({ created_at, timestamp: '2024-03-09T00:00:00Z', call: call('2024-03-01T10:07:00Z') }))).toBe(
        '2024-03-09T00:00:00Z',
      );
    });

    it('keeps stored values for keys left out', async () => {
      const ws = await t.newWorkspace();
      const uuid = randomUUID();
      const body = conversationBody();
      const created = (await ws.put(uuid, body)).json().data;
      const sparse = await ws.put(uuid, { channel: body.channel, contact: { uuid: body.contact.uuid } });
      expect(sparse.statusCode).toBe(200);
      expect(sparse.json().data).toEqual(created);
      const sparseCall = await ws.put(uuid, {
        channel: body.channel,
        contact: { uuid: body.contact.uuid },
        call: { uuid: body.call.uuid },
      });
      expect(sparseCall.json().data).toEqual(created);
      expect(await stored(ws, uuid)).toEqual(created);
    });

    it('clears a value given as null and keeps the rest', async () => {
      const ws = await t.newWorkspace();
      const uuid = randomUUID();
      const body = conversationBody();
      await ws.put(uuid, body);
      const response = await ws.put(uuid, {
        channel: body.channel,
        responded_by: null,
        agent_uuid: null,
        listing_uuid: null,
        campaign_uuid: null,
        contact: { uuid: body.contact.uuid, name: null, email: null },
        call: { uuid: body.call.uuid, duration: null, summary: null, timestamp: null },
        updated_at: '2024-03-02T00:00:00Z',
      });
      expect(response.statusCode).toBe(200);
      const expected = {
        uuid,
        ...body,
        responded_by: null,
        agent_uuid: null,
        listing_uuid: null,
        campaign_uuid: null,
        contact: { ...body.contact, name: null, email: null },
        call: { ...body.call, duration: null, summary: null, timestamp: null },
        updated_at: '2024-03-02T00:00:00Z',
      };
      expect(response.json().data).toEqual(expected);
      expect(await stored(ws, uuid)).toEqual(expected);
    });

    it('moves updated_at to now when a field changes without updated_at, and takes updated_at when given', async () => {
      const ws = await t.newWorkspace();
      const uuid = randomUUID();
      const { updated_at: _updatedAt, ...body } = conversationBody();
      clockAt('2030-01-01T00:00:00Z');
      const created = (await ws.put(uuid, body)).json().data;
      clockAt('2030-01-02T03:04:05Z');
      const changed = await ws.put(uuid, { ...body, status: 'Closed' });
      expect(changed.json().data).toEqual({ ...created, status: 'Closed', updated_at: '2030-01-02T03:04:05Z' });
      const explicit = await ws.put(uuid, { ...body, status: 'Active', updated_at: '2024-01-01T00:00:00+01:00' });
      expect(explicit.json().data).toEqual({ ...created, updated_at: '2023-12-31T23:00:00Z' });
      clockAt('2030-01-03T00:00:00Z');
      const contactChange = await ws.put(uuid, { ...body, contact: { ...body.contact, surname: 'Byron' } });
      expect(contactChange.json().data).toEqual({
        ...created,
        contact: { ...body.contact, surname: 'Byron' },
        updated_at: '2030-01-03T00:00:00Z',
      });
    });

    it('stores times in UTC whole seconds whatever offset, fraction or RFC 3339 spelling they come in', async () => {
      const ws = await t.newWorkspace();
      const cases: [string, string][] = [
        ['2024-03-01T12:00:00.750+02:00', '2024-03-01T10:00:00Z'],
        ['2024-03-01T10:00:00.999999Z', '2024-03-01T10:00:00Z'],
        ['2024-03-01t10:00:00z', '2024-03-01T10:00:00Z'],
        ['2024-03-01T05:00:00-05:00', '2024-03-01T10:00:00Z'],
        ['2024-03-01T15:00:00+05', '2024-03-01T10:00:00Z'],
        ['2024-03-01T15:30:00+0530', '2024-03-01T10:00:00Z'],
        // A leap second stays in its minute.
        ['2016-12-31T23:59:60Z', '2016-12-31T23:59:59Z'],
        ['2016-12-31T23:59:60.5+00:00', '2016-12-31T23:59:59Z'],
        // The ends of what `…Z` can show.
        ['9999-12-31T23:59:59Z', '9999-12-31T23:59:59Z'],
        ['0000-01-01T00:00:00Z', '0000-01-01T00:00:00Z'],
      ];
      for (const [given, expected] of cases) {
        const response = await ws.put(randomUUID(), minimalBody({ created_at: given, call: { uuid: randomUUID(), timestamp: given } }));
        expect({ given, status: response.statusCode }).toEqual({ given, status: 201 });
        expect({ given, created_at: response.json().data.created_at, call: response.json().data.call.timestamp }).toEqual({
          given,
          created_at: expected,
          call: expected,
        });
      }
    });
  });

  describe('related records', () => {
    it('creates and updates the contact, agent, campaign, listing, call, sessions and tasks it names', async () => {
      const ws = await t.newWorkspace();
      const uuid = randomUUID();
      const body = conversationBody();
      await ws.put(uuid, body);
      const next = {
        ...body,
        agent_uuid: randomUUID(),
        listing_uuid: randomUUID(),
        campaign_uuid: randomUUID(),
        contact: { ...body.contact, name: 'Augusta', phone_number: '+44 (0) 20 0000 0000' },
        call: { ...body.call, status: 'failed', duration: 5, handled_by: 'Human' },
        session_uuids: [randomUUID()],
        task_uuids: [randomUUID()],
      };
      const response = await ws.put(uuid, next);
      expect(response.statusCode).toBe(200);
      expect(response.json().data).toEqual({ uuid, ...next });
      expect(await stored(ws, uuid)).toEqual({ uuid, ...next });
      // Each of them is findable under its new uuid and not the old one.
      for (const [filter, value, old] of [
        ['agent_uuid', next.agent_uuid, body.agent_uuid],
        ['campaign_uuid', next.campaign_uuid, body.campaign_uuid],
        ['task_uuid', next.task_uuids[0], body.task_uuids[0]],
      ] as const) {
        expect((await ws.list({ [filter]: value })).json().data.total).toBe(1);
        expect((await ws.list({ [filter]: old })).json().data.total).toBe(0);
      }
      expect((await ws.list({ phone: '0000 0000' })).json().data.total).toBe(1);
      expect((await ws.list({ phone: '7946' })).json().data.total).toBe(0);
    });

    it('shows a change to a shared contact in every conversation of that contact', async () => {
      const ws = await t.newWorkspace();
      const contact = { uuid: randomUUID(), name: 'Ada', surname: 'Lovelace', phone_number: '+44 1', email: 'ada@example.com' };
      const first = randomUUID();
      const second = randomUUID();
      await ws.put(first, minimalBody({ contact, created_at: '2024-03-01T00:00:00Z' }));
      await ws.put(second, minimalBody({ contact: { uuid: contact.uuid }, created_at: '2024-03-02T00:00:00Z' }));
      const renamed = { ...contact, name: 'Augusta', email: null };
      expect((await ws.put(second, minimalBody({ contact: renamed }))).json().data.contact).toEqual(renamed);
      const { data } = await listAll(ws);
      expect(data.map((c: Body) => c.contact)).toEqual([renamed, renamed]);
    });

    it('sets exactly the session_uuids and task_uuids given, and clears them with []', async () => {
      const ws = await t.newWorkspace();
      const uuid = randomUUID();
      const [s1, s2, s3, t1, t2, t3] = Array.from({ length: 6 }, () => randomUUID());
      const body = conversationBody({ session_uuids: [s1, s2], task_uuids: [t1, t2] });
      await ws.put(uuid, body);
      const replaced = await ws.put(uuid, { ...body, session_uuids: [s2, s3], task_uuids: [t3, t2] });
      expect(replaced.json().data).toMatchObject({ session_uuids: [s2, s3], task_uuids: [t2, t3] });
      expect(await stored(ws, uuid)).toMatchObject({ session_uuids: [s2, s3], task_uuids: [t2, t3] });
      // A dropped task no longer leads to the conversation.
      expect((await ws.list({ task_uuid: t1 })).json().data.total).toBe(0);
      expect((await ws.list({ task_uuid: t3 })).json().data.total).toBe(1);

      const cleared = await ws.put(uuid, { ...body, session_uuids: [], task_uuids: [] });
      expect(cleared.json().data).toEqual({ uuid, ...body, session_uuids: [], task_uuids: [] });
      // Dropped sessions and tasks are free for another conversation to take.
      const other = await ws.put(randomUUID(), conversationBody({ session_uuids: [s1, s2, s3], task_uuids: [t1, t2, t3] }));
      expect(other.statusCode).toBe(201);
      expect(other.json().data).toMatchObject({ session_uuids: [s1, s2, s3], task_uuids: [t1, t2, t3] });
    });

    it('removes the call with call: null, and its campaign and tasks with it', async () => {
      const ws = await t.newWorkspace();
      const uuid = randomUUID();
      const body = conversationBody();
      await ws.put(uuid, body);
      clockAt('2030-01-01T00:00:00Z');
      const response = await ws.put(uuid, { channel: body.channel, contact: { uuid: body.contact.uuid }, call: null });
      expect(response.statusCode).toBe(200);
      const expected = { uuid, ...body, call: null, campaign_uuid: null, task_uuids: [], updated_at: '2030-01-01T00:00:00Z' };
      expect(response.json().data).toEqual(expected);
      expect(await stored(ws, uuid)).toEqual(expected);
      expect((await ws.list({ campaign_uuid: body.campaign_uuid })).json().data.total).toBe(0);
      expect((await ws.list({ task_uuid: body.task_uuids[0] })).json().data.total).toBe(0);
      // The call's uuid is free again.
      expect((await ws.put(randomUUID(), minimalBody({ call: { uuid: body.call.uuid } }))).statusCode).toBe(201);
    });
  });

  describe('writes that contradict the rules or stored data', () => {
    it('rejects campaign_uuid or task_uuids without a call with 422 and writes nothing', async () => {
      const ws = await t.newWorkspace();
      const existing = randomUUID();
      const existingBody = minimalBody({ created_at: '2024-03-01T00:00:00Z' });
      await ws.put(existing, existingBody);
      const before = await listAll(ws);

      for (const uuid of [randomUUID(), existing]) {
        const base = { ...existingBody, contact: { uuid: existingBody.contact.uuid, name: 'Changed' }, status: 'Closed' };
        expectError(await ws.put(uuid, { ...base, campaign_uuid: randomUUID() }), 422, 'VALIDATION_ERROR', 'campaign_uuid');
        expectError(await ws.put(uuid, { ...base, task_uuids: [randomUUID()] }), 422, 'VALIDATION_ERROR', 'task_uuids');
        expectError(await ws.put(uuid, { ...base, call: null, task_uuids: [randomUUID()] }), 422, 'VALIDATION_ERROR', 'task_uuids');
      }
      expect(await listAll(ws)).toEqual(before);
      // With a call both are fine; null and [] need no call.
      expect((await ws.put(randomUUID(), minimalBody({ campaign_uuid: null, task_uuids: [] }))).statusCode).toBe(201);
    });

    it('answers 409 on a call uuid that belongs to another conversation, and writes nothing', async () => {
      const ws = await t.newWorkspace();
      const owner = conversationBody();
      const ownerUuid = randomUUID();
      await ws.put(ownerUuid, owner);
      const otherUuid = randomUUID();
      const other = minimalBody({ created_at: '2024-03-05T00:00:00Z' });
      await ws.put(otherUuid, other);
      const before = await listAll(ws);

      expectError(await ws.put(randomUUID(), minimalBody({ call: { uuid: owner.call.uuid } })), 409, 'CONFLICT', 'call.uuid');
      const changedOther = { ...other, status: 'Closed', contact: { ...other.contact, name: 'Changed' }, call: { uuid: owner.call.uuid } };
      expectError(await ws.put(otherUuid, changedOther), 409, 'CONFLICT', 'call.uuid');
      expectError(
        await ws.put(otherUuid, { ...changedOther, call: { uuid: owner.call.uuid.toUpperCase() } }),
        409,
        'CONFLICT',
        'call.uuid',
      );
      expect(await listAll(ws)).toEqual(before);
    });

    it('answers 409 on a session of another conversation, and writes nothing, not even the parts before it', async () => {
      const ws = await t.newWorkspace();
      const owner = conversationBody();
      await ws.put(randomUUID(), owner);
      const otherUuid = randomUUID();
      const other = conversationBody({ created_at: '2024-03-05T00:00:00Z' });
      await ws.put(otherUuid, other);
      const before = await listAll(ws);

      expectError(
        await ws.put(randomUUID(), conversationBody({ session_uuids: [owner.session_uuids[0]] })),
        409,
        'CONFLICT',
        'session_uuids',
      );
      // Every other part of this write is new: contact, agent, call, campaign, tasks, status.
      const sweeping = conversationBody({
        status: 'Closed',
        contact: { ...other.contact, name: 'Changed', phone_number: '+1 999' },
        session_uuids: [randomUUID(), owner.session_uuids[0]!],
      });
      expectError(await ws.put(otherUuid, sweeping), 409, 'CONFLICT', 'session_uuids');
      expect(await listAll(ws)).toEqual(before);
      expect((await ws.list({ campaign_uuid: sweeping.campaign_uuid })).json().data.total).toBe(0);
      expect((await ws.list({ task_uuid: sweeping.task_uuids[0] })).json().data.total).toBe(0);
      expect((await ws.list({ phone: '1 999' })).json().data.total).toBe(0);
    });

    it('answers 409 on a task attached to another call, and writes nothing', async () => {
      const ws = await t.newWorkspace();
      const owner = conversationBody();
      await ws.put(randomUUID(), owner);
      const otherUuid = randomUUID();
      const other = conversationBody({ created_at: '2024-03-05T00:00:00Z' });
      await ws.put(otherUuid, other);
      const before = await listAll(ws);

      expectError(await ws.put(randomUUID(), conversationBody({ task_uuids: [owner.task_uuids[0]] })), 409, 'CONFLICT', 'task_uuids');
      const sweeping = { ...other, status: 'Closed', call: { ...other.call, summary: 'changed' }, task_uuids: [owner.task_uuids[0]] };
      expectError(await ws.put(otherUuid, sweeping), 409, 'CONFLICT', 'task_uuids');
      expect(await listAll(ws)).toEqual(before);
    });

    it('rejects a body uuid that differs from the path with 422 on uuid', async () => {
      const ws = await t.newWorkspace();
      const uuid = randomUUID();
      expectError(await ws.put(uuid, minimalBody({ uuid: randomUUID() })), 422, 'VALIDATION_ERROR', 'uuid');
      expect((await listAll(ws)).total).toBe(0);
      const same = await ws.put(uuid, minimalBody({ uuid: uuid.toUpperCase() }));
      expect(same.statusCode).toBe(201);
      expect(same.json().data.uuid).toBe(uuid);
    });
  });

  describe('validation', () => {
    it('answers 422 naming the field for invalid enums, wrong types, unknown keys, missing keys, bad times and malformed uuids', async () => {
      const ws = await t.newWorkspace();
      const call = () => ({ uuid: randomUUID() });
      const cases: [string, Record<string, unknown>][] = [
        // Enumerations, spelled exactly.
        ['type', minimalBody({ type: 'Fake' })],
        ['type', minimalBody({ type: 'real' })],
        ['status', minimalBody({ status: 'Open' })],
        ['responded_by', minimalBody({ responded_by: 'Bot' })],
        ['channel', minimalBody({ channel: 'Fax' })],
        ['channel', minimalBody({ channel: 'whatsapp' })],
        ['call.direction', minimalBody({ call: { ...call(), direction: 'Sideways' } })],
        ['call.status', minimalBody({ call: { ...call(), status: 'done' } })],
        ['call.handled_by', minimalBody({ call: { ...call(), handled_by: 'Robot' } })],
        // Wrong JSON types are not coerced.
        ['is_simulation', minimalBody({ is_simulation: 'true' })],
        ['is_simulation', minimalBody({ is_simulation: 1 })],
        ['is_simulation', minimalBody({ is_simulation: null })],
        ['type', minimalBody({ type: null })],
        ['channel', minimalBody({ channel: null })],
        ['timestamp', minimalBody({ timestamp: null })],
        ['created_at', minimalBody({ created_at: 1709287200 })],
        ['call.duration', minimalBody({ call: { ...call(), duration: '93' } })],
        ['call.duration', minimalBody({ call: { ...call(), duration: 1.5 } })],
        ['call.duration', minimalBody({ call: { ...call(), duration: -1 } })],
        ['call.duration', minimalBody({ call: { ...call(), duration: true } })],
        ['contact.name', minimalBody({ contact: { uuid: randomUUID(), name: 5 } })],
        ['contact.email', minimalBody({ contact: { uuid: randomUUID(), email: ['a@b.c'] } })],
        ['contact', minimalBody({ contact: 'Ada' })],
        ['contact', minimalBody({ contact: null })],
        ['call', minimalBody({ call: 'none' })],
        ['call', minimalBody({ call: [] })],
        ['session_uuids', minimalBody({ session_uuids: randomUUID() })],
        ['session_uuids', minimalBody({ session_uuids: null })],
        ['task_uuids.0', minimalBody({ call: call(), task_uuids: [1] })],
        ['agent_uuid', minimalBody({ agent_uuid: 42 })],
        // Unknown keys.
        ['foo', minimalBody({ foo: 'bar' })],
        ['contact.age', minimalBody({ contact: { uuid: randomUUID(), age: 36 } })],
        ['call.cost', minimalBody({ call: { ...call(), cost: 1 } })],
        ['messages', minimalBody({ messages: [] })],
        // Missing keys.
        ['contact', { channel: 'SMS' }],
        ['channel', { contact: { uuid: randomUUID() } }],
        ['contact.uuid', minimalBody({ contact: { name: 'Ada' } })],
        ['call.uuid', minimalBody({ call: { status: 'completed' } })],
        // Times.
        ['created_at', minimalBody({ created_at: 'yesterday' })],
        ['created_at', minimalBody({ created_at: '2024-13-01T00:00:00Z' })],
        ['created_at', minimalBody({ created_at: '2024-02-30T00:00:00Z' })],
        ['updated_at', minimalBody({ updated_at: '2024-03-01T10:00:00' })],
        ['updated_at', minimalBody({ updated_at: '2024-03-01' })],
        ['timestamp', minimalBody({ timestamp: '' })],
        ['call.timestamp', minimalBody({ call: { ...call(), timestamp: '10:00' } })],
        // Valid RFC 3339, but in UTC outside the years 0000 to 9999 that `…Z` can show.
        ['created_at', minimalBody({ created_at: '9999-12-31T23:59:59-00:01' })],
        ['call.timestamp', minimalBody({ call: { ...call(), timestamp: '0000-01-01T00:00:00+01:00' } })],
        // Malformed uuids.
        ['contact.uuid', minimalBody({ contact: { uuid: 'ada' } })],
        ['agent_uuid', minimalBody({ agent_uuid: 'not-a-uuid' })],
        ['listing_uuid', minimalBody({ listing_uuid: '' })],
        ['campaign_uuid', minimalBody({ call: call(), campaign_uuid: '3c90c3cc-0d44-4b50-8888-8dd25736052' })],
        ['call.uuid', minimalBody({ call: { uuid: 'urn:uuid:3c90c3cc-0d44-4b50-8888-8dd25736052a' } })],
        ['session_uuids.1', minimalBody({ session_uuids: [randomUUID(), 'x'] })],
        ['task_uuids.0', minimalBody({ call: call(), task_uuids: ['{3c90c3cc-0d44-4b50-8888-8dd25736052a}'] })],
        ['uuid', minimalBody({ uuid: 'nope' })],
        // Lengths, duplicates and characters no database stores alike.
        ['contact.name', minimalBody({ contact: { uuid: randomUUID(), name: 'x'.repeat(10_001) } })],
        ['session_uuids', minimalBody({ session_uuids: ['3c90c3cc-0d44-4b50-8888-8dd25736052a', '3c90c3cc-0d44-4b50-8888-8dd25736052a'] })],
        ['contact.name', minimalBody({ contact: { uuid: randomUUID(), name: 'Ada\u0000' } })],
        ['call.summary', minimalBody({ call: { ...call(), summary: '\u0000' } })],
        // Half a surrogate pair (JSON's "\ud800"): UTF-8 cannot hold it, so each database would store its own replacement.
        ['contact.name', minimalBody({ contact: { uuid: randomUUID(), name: 'Ada \ud83d' } })],
        ['call.summary', minimalBody({ call: { ...call(), summary: '\udc00 alone' } })],
      ];
      for (const [field, body] of cases) {
        const response = await ws.put(randomUUID(), body);
        expect({ field, status: response.statusCode, body: response.json() }).toEqual({
          field,
          status: 422,
          body: {
            success: false,
            message: 'The given data was invalid',
            error: { code: 'VALIDATION_ERROR', details: expect.any(String), field },
          },
        });
        expect(response.json().error.details).toContain(field.split('.')[0]);
      }
      expect((await listAll(ws)).total).toBe(0);
    });

    it('rejects a malformed uuid in the path with 422 on uuid', async () => {
      const ws = await t.newWorkspace();
      for (const uuid of ['nope', '3c90c3cc-0d44-4b50-8888-8dd25736052', '3c90c3cc0d444b5088888dd25736052a', '%00', '%20']) {
        const response = await ws.request({ method: 'PUT', url: url(uuid), payload: minimalBody() });
        expectError(response, 422, 'VALIDATION_ERROR', 'uuid');
      }
      expect((await listAll(ws)).total).toBe(0);
    });

    it('answers 400 to a body that is not JSON or not sent as application/json', async () => {
      const ws = await t.newWorkspace();
      const uuid = randomUUID();
      const json = { 'content-type': 'application/json' };
      for (const payload of ['{', 'not json', '{"channel": "SMS",}', "{'channel': 'SMS'}", '']) {
        expectError(await ws.request({ method: 'PUT', url: url(uuid), payload, headers: json }), 400, 'BAD_REQUEST');
      }
      const text = JSON.stringify(minimalBody());
      for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/xml', 'multipart/form-data; boundary=x']) {
        expectError(
          await ws.request({ method: 'PUT', url: url(uuid), payload: text, headers: { 'content-type': type } }),
          400,
          'BAD_REQUEST',
        );
      }
      // Prototype pollution attempts are refused, not merged.
      const poisoned = '{"channel":"SMS","contact":{"uuid":"3c90c3cc-0d44-4b50-8888-8dd25736052a"},"__proto__":{"admin":true}}';
      expectError(await ws.request({ method: 'PUT', url: url(uuid), payload: poisoned, headers: json }), 400, 'BAD_REQUEST');
      // A JSON body with a charset is fine.
      const ok = await ws.request({
        method: 'PUT',
        url: url(uuid),
        payload: text,
        headers: { 'content-type': 'application/json; charset=utf-8' },
      });
      expect(ok.statusCode).toBe(201);
      expect((await listAll(ws)).total).toBe(1);
    });

    it('answers 422 to JSON that is not an object', async () => {
      const ws = await t.newWorkspace();
      for (const payload of ['[]', '"SMS"', '42', 'null', 'true']) {
        const response = await ws.request({
          method: 'PUT',
          url: url(randomUUID()),
          payload,
          headers: { 'content-type': 'application/json' },
        });
        expectError(response, 422, 'VALIDATION_ERROR', 'body');
      }
      expect((await listAll(ws)).total).toBe(0);
    });

    it('answers 413 to a body over 1 MiB', async () => {
      const ws = await t.newWorkspace();
      const big = JSON.stringify(minimalBody({ contact: { uuid: randomUUID(), name: 'x'.repeat(1024 * 1024) } }));
      const response = await ws.request({
        method: 'PUT',
        url: url(randomUUID()),
        payload: big,
        headers: { 'content-type': 'application/json' },
      });
      expectError(response, 413, 'PAYLOAD_TOO_LARGE');
      expect((await listAll(ws)).total).toBe(0);
    });
  });

  describe('uuids', () => {
    it('stores upper-case uuids in lower case and returns them so', async () => {
      const ws = await t.newWorkspace();
      const uuid = randomUUID();
      const body = conversationBody();
      const upper = {
        ...body,
        uuid: uuid.toUpperCase(),
        agent_uuid: body.agent_uuid.toUpperCase(),
        listing_uuid: body.listing_uuid.toUpperCase(),
        campaign_uuid: body.campaign_uuid.toUpperCase(),
        contact: { ...body.contact, uuid: body.contact.uuid.toUpperCase() },
        session_uuids: body.session_uuids.map((s) => s.toUpperCase()),
        task_uuids: body.task_uuids.map((s) => s.toUpperCase()),
        call: { ...body.call, uuid: body.call.uuid.toUpperCase() },
      };
      const created = await ws.put(uuid.toUpperCase(), upper);
      expect(created.statusCode).toBe(201);
      expect(created.json().data).toEqual({ uuid, ...body });
      expect(await stored(ws, uuid)).toEqual({ uuid, ...body });
      // The lower-case spelling is the same conversation, contact, call, sessions and tasks.
      const again = await ws.put(uuid, body);
      expect(again.statusCode).toBe(200);
      expect(again.json().data).toEqual({ uuid, ...body });
      expect((await listAll(ws)).total).toBe(1);
      expect((await ws.list({ contact_uuid: body.contact.uuid })).json().data.total).toBe(1);
    });
  });
});
