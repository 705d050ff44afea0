import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { exportNdjson } from '../src/bulk/export.js';
import { importNdjson } from '../src/bulk/import.js';
import { writeTransaction } from '../src/db/transaction.js';
import { describeEachDialect, type TestWorkspace } from './helpers/app.js';
import { conversationBody } from './helpers/fixtures.js';
import { parley } from './helpers/cli.js';
import { generatedLines, linesOf, ndjson } from './helpers/import-lines.js';

const NOW = new Date('2026-11-25T12:00:00Z');

/** Every conversation of the workspace through the API, oldest first. */
async function listAll(ws: TestWorkspace, query: Record<string, string> = {}) {
  const all: Record<string, unknown>[] = [];
  for (let page = 1; ; page++) {
    const response = await ws.list({ ...query, page, per_page: 100, sort_by: 'created_at', sort_dir: 'asc' });
    expect(response.statusCode).toBe(200);
    const { data } = response.json();
    all.push(...data.data);
    if (page >= data.last_page) return { conversations: all, total: data.total as number };
  }
}

async function messagesOf(ws: TestWorkspace, uuid: string) {
  const response = await ws.request({ method: 'GET', url: `/api/v1/conversations/${uuid}/messages?per_page=100` });
  expect(response.statusCode).toBe(200);
  return response.json().data.data as Record<string, unknown>[];
}

const total = async (ws: TestWorkspace, query: Record<string, string>) => (await ws.list({ ...query, per_page: 1 })).json().data.total;

describeEachDialect('parley import', (t) => {
  let dir: string;
  const cli = (args: string[], input?: string) => parley(t.database.url, args, input);
  const file = (name: string, lines: unknown[]) => {
    const path = join(dir, name);
    writeFileSync(path, ndjson(lines));
    return path;
  };

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'parley-import-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('lands every line as the list shows it, with its messages; importing the file again changes nothing', async () => {
    const ws = await t.newWorkspace();
    const lines = generatedLines(60, 11, NOW);
    const path = file('generated.ndjson', lines);

    const first = await cli(['import', ws.subdomain, path]);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(
      new RegExp(`^Imported 60 conversations into workspace "${ws.subdomain}" in [\\d.]+ s \\([\\d,]+/s\\)\\.\\n$`),
    );
    const listed = await listAll(ws);
    expect(listed.total).toBe(60);
    expect(listed.conversations).toEqual(lines.map(({ messages: _, ...conversation }) => conversation));
    const sample = lines[7]!;
    const transcript = await messagesOf(ws, sample.uuid);
    expect(transcript).toEqual(sample.messages!.map((message) => ({ ...message, conversation_uuid: sample.uuid })));

    const byStatus = await total(ws, { status: 'Closed' });
    const again = await cli(['import', ws.subdomain, path]);
    expect(again.code).toBe(0);
    expect(await listAll(ws)).toEqual(listed);
    expect(await total(ws, { status: 'Closed' })).toBe(byStatus);
    expect(await messagesOf(ws, sample.uuid)).toEqual(transcript);
  });

  it('reports each bad line by number with the API reason on stderr, lands the good ones and exits 2', async () => {
    const ws = await t.newWorkspace();
    const generated = generatedLines(12, 12, NOW);
    const a = generated.find((line) => line.call)!;
    const [b, c, d, e, f] = generated.filter((line) => line !== a);
    const { status: _, ...noStatus } = b!;
    const lines = [
      a,
      '{"uuid": ',
      noStatus,
      '',
      { ...c, call: { ...a.call, direction: 'Outbound' } },
      { ...d, call: null, task_uuids: [], campaign_uuid: randomUUID() },
      { ...e, messages: [{ ...a.messages![0], session_uuid: null, content: 'taken' }] },
      { ...f, contact: { ...f!.contact, name: 'nul \u0000 inside' } },
      { ...f, channel: 'Fax' },
      { ...f, contact: { ...f!.contact, surname: 'half \ud83d a pair' } },
      f,
    ];
    const run = await cli(['import', ws.subdomain, file('bad.ndjson', lines)]);
    expect(run.code).toBe(2);
    expect(run.stderr.split('\n').filter((line) => line.startsWith('parley: line'))).toEqual([
      'parley: line 2: The line is not valid JSON',
      'parley: line 3: status: status is required',
      `parley: line 5: call.uuid: Call ${a.call!.uuid} belongs to another conversation`,
      "parley: line 6: campaign_uuid: campaign_uuid needs a call: a conversation's campaign is its call's",
      `parley: line 7: messages.0.uuid: Message ${a.messages![0]!.uuid} belongs to another conversation`,
      'parley: line 8: contact.name: contact.name must not contain the character U+0000',
      'parley: line 9: channel: channel must be one of Whatsapp, SMS, Call, Messenger, Instagram, Email, Webchat',
      'parley: line 10: contact.surname: contact.surname must be valid Unicode (it holds an unpaired surrogate)',
    ]);
    expect(run.stdout).toMatch(/^Imported 2 conversations into .*; 8 rejected \(see above\)\.\n$/);
    const landed = (await listAll(ws)).conversations.map((conversation) => conversation.uuid);
    expect(landed).toEqual(
      [a.uuid, f!.uuid].sort((x, y) => generated.findIndex((l) => l.uuid === x) - generated.findIndex((l) => l.uuid === y)),
    );
  });

  it('reads standard input for -', async () => {
    const ws = await t.newWorkspace();
    const lines = generatedLines(5, 13, NOW);
    const run = await cli(['import', ws.subdomain, '-'], ndjson(lines));
    expect(run.code).toBe(0);
    expect((await listAll(ws)).conversations.map((conversation) => conversation.uuid)).toEqual(lines.map((line) => line.uuid));
  });

  it('refuses an unknown workspace or a missing file in one line', async () => {
    const ws = await t.newWorkspace();
    expect(await cli(['import', 'nowhere', '-'])).toMatchObject({ code: 1, stderr: 'parley: No workspace has the subdomain "nowhere"\n' });
    const missing = await cli(['import', ws.subdomain, join(dir, 'missing.ndjson')]);
    expect(missing).toMatchObject({ code: 1, stdout: '' });
    expect(missing.stderr).toMatch(/^parley: Cannot read .*missing\.ndjson: no such file\n$/);
  });

  it('keeps total exact after an import, and after a re-import that moves statuses, channels, agents and campaigns', async () => {
    const ws = await t.newWorkspace();
    const lines = generatedLines(40, 14, NOW);
    const agents = [...new Set(lines.map((line) => line.agent_uuid).filter(Boolean))] as string[];
    const campaigns = [...new Set(lines.map((line) => line.campaign_uuid).filter(Boolean))] as string[];
    expect(campaigns.length).toBeGreaterThan(1);
    const expectTotals = async (current: typeof lines) => {
      const count = (test: (line: (typeof lines)[number]) => boolean) => current.filter(test).length;
      expect(await total(ws, {})).toBe(current.length);
      for (const status of ['Active', 'Closed']) expect(await total(ws, { status })).toBe(count((line) => line.status === status));
      for (const channel of ['Whatsapp', 'SMS', 'Call']) {
        expect(await total(ws, { channel, status: 'Active' })).toBe(count((line) => line.channel === channel && line.status === 'Active'));
      }
      for (const agent of agents) expect(await total(ws, { agent_uuid: agent })).toBe(count((line) => line.agent_uuid === agent));
      for (const campaign of campaigns) {
        expect(await total(ws, { campaign_uuid: campaign })).toBe(count((line) => line.campaign_uuid === campaign));
      }
    };

    await importNdjson(t.db, ws.id, linesOf(ndjson(lines)));
    await expectTotals(lines);

    const moved = lines.map((line, i) => {
      if (i % 5 === 1) return { ...line, call: null, campaign_uuid: null, task_uuids: [], updated_at: '2026-11-25T12:00:00Z' };
      if (i % 3 !== 0) return line;
      return {
        ...line,
        status: line.status === 'Active' ? 'Closed' : 'Active',
        channel: i % 2 ? 'SMS' : 'Whatsapp',
        agent_uuid: agents[i % agents.length]!,
        campaign_uuid: line.call ? campaigns[i % campaigns.length]! : null,
        updated_at: '2026-11-25T12:00:00Z',
      };
    });
    const result = await importNdjson(t.db, ws.id, linesOf(ndjson(moved)), { batchSize: 7 });
    expect(result).toMatchObject({ imported: 40, rejected: [], rejectedCount: 0 });
    await expectTotals(moved as typeof lines);
  });

  it('means what PUTs of the lines one by one mean, whatever the batch size', async () => {
    const [A, B, C, D, E] = Array.from({ length: 5 }, () => randomUUID() as string) as [string, string, string, string, string];
    const [c1, c2, c3, s1, s2, t1, t2] = Array.from({ length: 7 }, () => randomUUID() as string) as [
      string,
      string,
      string,
      string,
      string,
      string,
      string,
    ];
    const call = (uuid: string) => ({ ...conversationBody().call, uuid });
    const line = (uuid: string, overrides: Record<string, unknown>) => ({
      uuid,
      ...conversationBody({ call: null, campaign_uuid: null, task_uuids: [], session_uuids: [], ...overrides }),
    });
    const contact = conversationBody().contact;
    const lines = [
      line(A, { contact, call: call(c1), task_uuids: [t1], session_uuids: [s1] }),
      line(B, { call: call(c1) }), // 409: A has the call
      line(A, { contact, call: call(c2), task_uuids: [t1], session_uuids: [s1] }), // 409: t1 is c1's
      line(A, { contact: { ...contact, name: 'Renamed' }, call: call(c2), session_uuids: [s1, s2] }), // c1 dropped, t1 still c1's
      line(B, { call: call(c1), status: 'Closed' }), // c1 is free again
      line(B, { session_uuids: [s1], call: call(c1) }), // 409: s1 is A's
      line(A, { contact, call: call(c2), session_uuids: [s2] }), // s1 dropped
      line(B, { session_uuids: [s1], call: call(c1) }), // s1 is free again
      line(C, { campaign_uuid: randomUUID() }), // 422: no call
      line(D, { call: call(c3), task_uuids: [t1, t2] }), // t1 was unlinked when B took c1 without it
      line(B, { session_uuids: [s1], call: call(c1), task_uuids: [t2] }), // 409: t2 is c3's
      line(D, { call: call(c3), task_uuids: [t1] }), // t2 unlinked from c3
      line(B, { session_uuids: [s1], call: call(c1), task_uuids: [t2] }), // t2 is free now
      line(E, { call: call(c2) }), // 409: A's call
      line(A, { contact }), // A's call, sessions and tasks go
      line(E, { call: call(c2), session_uuids: [s2] }), // both free now
    ];

    const viaPut = await t.newWorkspace();
    const refused: number[] = [];
    for (const [index, { uuid, ...body }] of lines.entries()) {
      const response = await viaPut.put(uuid, body);
      if (response.statusCode >= 400) refused.push(index + 1);
    }
    expect(refused).toEqual([2, 3, 6, 9, 11, 14]);
    const expected = (await listAll(viaPut)).conversations;

    for (const batchSize of [1, 3, 100]) {
      const ws = await t.newWorkspace();
      const result = await importNdjson(t.db, ws.id, linesOf(ndjson(lines)), { batchSize });
      expect(result.rejected.map((rejected) => rejected.line)).toEqual(refused);
      expect(result.imported).toBe(lines.length - refused.length);
      expect((await listAll(ws)).conversations).toEqual(expected);
    }
  });

  it("keeps phone fragments' totals and first pages as PUTs of the lines leave them, through re-imports and the writes after", async () => {
    type Line = ReturnType<typeof generatedLines>[number];
    const lines = generatedLines(40, 22, NOW);
    const digits = (contact: Line['contact']) => contact.phone_number!.replace(/\D/g, '');
    // Contacts with several conversations, and one number's fragments that other numbers share.
    expect(new Set(lines.map((line) => line.contact.uuid)).size).toBeLessThan(lines.length);
    const fragments = [
      ...new Set(lines.flatMap(({ contact }) => [digits(contact).slice(-4), digits(contact).slice(0, 5), digits(contact).slice(2, 4)])),
    ];
    const viaPut = await t.newWorkspace();
    const viaImport = await t.newWorkspace();
    const write = async (written: Line[], batchSize: number) => {
      for (const { uuid, messages: _, ...body } of written) expect((await viaPut.put(uuid, body)).statusCode).toBeLessThan(300);
      expect(await importNdjson(t.db, viaImport.id, linesOf(ndjson(written)), { batchSize })).toMatchObject({ rejectedCount: 0 });
    };
    const expectSamePhonePages = async () => {
      for (const phone of fragments) {
        const page = async (ws: TestWorkspace) => {
          const { total, data } = (await ws.list({ phone, per_page: 3 })).json().data;
          return { phone, total, uuids: data.map((conversation: { uuid: string }) => conversation.uuid) };
        };
        expect(await page(viaImport)).toEqual(await page(viaPut));
      }
    };

    await write(lines.slice(0, 25), 10);
    await expectSamePhonePages();
    // New conversations of known contacts; conversations moved to new contacts, to known ones and
    // re-dated; contacts renumbered; each in batches that also add contacts.
    const newContact = (i: number) => ({
      ...lines[i]!.contact,
      uuid: randomUUID(),
      phone_number: `+44 7700 9${String(i).padStart(5, '0')}`,
    });
    const changed = lines.map((line, i): Line => {
      if (i % 6 === 0) return { ...line, contact: newContact(i) };
      if (i % 6 === 1) return { ...line, contact: lines[(i + 7) % 40]!.contact, created_at: '2026-11-24T12:00:00Z' };
      if (i % 6 === 2) return { ...line, contact: { ...line.contact, phone_number: `+1 555 01${String(i).padStart(2, '0')}` } };
      return line;
    });
    await write(changed, 7);
    await expectSamePhonePages();
    // The API's writes after an import keep them too: the import left the suffixes to the triggers again.
    const { uuid: added, messages: _, ...generated } = generatedLines(1, 23, NOW)[0]!;
    const after = { ...generated, contact: changed[3]!.contact, created_at: '2026-11-25T11:00:00Z' };
    for (const ws of [viaPut, viaImport]) expect((await ws.put(added, after)).statusCode).toBe(201);
    await expectSamePhonePages();
    const contactLines = changed.filter((line) => line.contact.uuid === after.contact.uuid);
    expect(await total(viaImport, { phone: digits(after.contact) })).toBe(contactLines.length + 1);
  });

  it("stores each new conversation with the body its rows give, its contact as the batch's last line naming it leaves it", async () => {
    const ws = await t.newWorkspace();
    const lines = generatedLines(40, 21, NOW);
    lines[30] = { ...lines[30]!, contact: { ...lines[0]!.contact, name: 'Renamed later' } };
    const result = await importNdjson(t.db, ws.id, linesOf(ndjson(lines)));
    expect(result.imported).toBe(40);
    const bodies = async () =>
      (await t.db.selectFrom('conversations').select(['uuid', 'body']).where('workspace_id', '=', ws.id).orderBy('id').execute()).map(
        ({ uuid, body }) => [uuid, body === null ? null : JSON.parse(body)],
      );
    const written = await bodies();
    expect(written).toHaveLength(40);
    expect(Object.fromEntries(written)[lines[0]!.uuid].contact.name).toBe('Renamed later');

    await t.db.updateTable('conversations').set({ body: null }).where('workspace_id', '=', ws.id).execute();
    await writeTransaction(t.db, ws.id, async () => {});
    expect(await bodies()).toEqual(written);
  });

  it('upserts messages by uuid and refuses a message of another conversation or a session the line does not list', async () => {
    const ws = await t.newWorkspace();
    const [a, b] = generatedLines(2, 15, NOW);
    await importNdjson(t.db, ws.id, linesOf(ndjson([a, b])));
    const edited = { ...a!, messages: [{ ...a!.messages![0]!, content: 'edited' }] };
    const foreignSession = { ...b!, messages: [{ ...b!.messages![0]!, uuid: randomUUID(), session_uuid: a!.session_uuids![0]! }] };
    const stolen = { ...b!, messages: [{ ...a!.messages![0]!, session_uuid: null }] };
    const result = await importNdjson(t.db, ws.id, linesOf(ndjson([edited, foreignSession, stolen])));
    expect(result.rejected).toEqual([
      {
        line: 2,
        code: 'VALIDATION_ERROR',
        field: 'messages.0.session_uuid',
        reason: `messages.0.session_uuid: Session ${a!.session_uuids![0]} is not one of the conversation's session_uuids`,
      },
      {
        line: 3,
        code: 'CONFLICT',
        field: 'messages.0.uuid',
        reason: `messages.0.uuid: Message ${a!.messages![0]!.uuid} belongs to another conversation`,
      },
    ]);
    const transcript = await messagesOf(ws, a!.uuid);
    expect(transcript.map((message) => message.content)).toEqual(['edited', ...a!.messages!.slice(1).map((message) => message.content)]);

    // A line without `messages` leaves the stored ones alone.
    const { messages: _, ...bare } = a!;
    await importNdjson(t.db, ws.id, linesOf(ndjson([bare])));
    expect(await messagesOf(ws, a!.uuid)).toEqual(transcript);
  });

  it('exports what it imported, byte for byte', async () => {
    const ws = await t.newWorkspace();
    const text = ndjson(generatedLines(30, 16, NOW));
    await importNdjson(t.db, ws.id, linesOf(text));
    let exported = '';
    for await (const line of exportNdjson(t.db, ws.id)) exported += line;
    expect(exported).toBe(text);
  });
});
