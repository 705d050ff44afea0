import { beforeAll, expect, it } from 'vitest';
import { importNdjson } from '../src/bulk/import.js';
import { generateConversations } from '../src/demo/generator.js';
import { describeEachDialect, type TestWorkspace } from './helpers/app.js';
import { parley } from './helpers/cli.js';
import { linesOf } from './helpers/import-lines.js';

const NOW = new Date('2026-11-25T12:00:00Z');

/** The uuids the list gives for `query`, oldest first. */
async function listed(ws: TestWorkspace, query: Record<string, string>) {
  const uuids: string[] = [];
  for (let page = 1; ; page++) {
    const response = await ws.list({ ...query, page, per_page: 100, sort_by: 'created_at', sort_dir: 'asc' });
    expect(response.statusCode).toBe(200);
    const { data } = response.json();
    uuids.push(...data.data.map((conversation: { uuid: string }) => conversation.uuid));
    if (page >= data.last_page) return uuids;
  }
}

const uuidsOf = (ndjson: string) =>
  ndjson
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line).uuid as string);

describeEachDialect('parley export', (t) => {
  const cli = (args: string[], input?: string) => parley(t.database.url, args, input);
  let source: TestWorkspace;
  let exported: string;
  const generated = [...generateConversations({ count: 80, seed: 21, now: NOW, messages: true })];

  beforeAll(async () => {
    source = await t.newWorkspace();
    const text = generated.map(({ uuid, body, messages }) => JSON.stringify({ uuid, ...body, messages })).join('\n');
    await importNdjson(t.db, source.id, linesOf(text));
    const run = await cli(['export', source.subdomain]);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    exported = run.stdout;
  });

  it('writes one line per conversation, oldest first: the list shape with its messages oldest first', async () => {
    const lines = exported.split('\n');
    expect(lines.pop()).toBe('');
    expect(lines).toHaveLength(80);
    const first = JSON.parse(lines[0]!);
    const { data } = (await source.list({ per_page: 1, sort_by: 'created_at', sort_dir: 'asc' })).json();
    expect(Object.keys(first)).toEqual([...Object.keys(data.data[0]), 'messages']);
    const { messages, ...conversation } = first;
    expect(conversation).toEqual(data.data[0]);
    const transcript = (await source.request({ method: 'GET', url: `/api/v1/conversations/${first.uuid}/messages?per_page=100` })).json()
      .data.data;
    expect(messages).toEqual(transcript.map(({ conversation_uuid: _, ...message }: Record<string, unknown>) => message));
    expect(uuidsOf(exported)).toEqual(await listed(source, {}));
  });

  it('round-trips byte for byte through an empty workspace', async () => {
    const copy = await t.newWorkspace();
    const imported = await cli(['import', copy.subdomain, '-'], exported);
    expect(imported.code).toBe(0);
    const again = await cli(['export', copy.subdomain]);
    expect(again.code).toBe(0);
    expect(again.stdout).toBe(exported);
  });

  it("filters as the list's query parameters of the same names do", async () => {
    const bodies = generated.map((item) => ({ uuid: item.uuid, ...item.body }));
    const withTask = bodies.find((body) => body.task_uuids!.length > 0)!;
    const phone = bodies[5]!.contact.phone_number!;
    const agents = [...new Set(bodies.map((body) => body.agent_uuid).filter(Boolean))].slice(0, 2) as string[];
    const cases: [string[], Record<string, string>][] = [
      [['--status', 'closed'], { status: 'Closed' }],
      [['--channel', 'WHATSAPP,sms'], { channel: 'Whatsapp,SMS' }],
      [['--agent-uuid', agents.join(',').toUpperCase()], { agent_uuid: agents.join(',') }],
      [['--contact-uuid', bodies[3]!.contact.uuid], { contact_uuid: bodies[3]!.contact.uuid }],
      [['--campaign-uuid', withTask.campaign_uuid ?? bodies.find((b) => b.campaign_uuid)!.campaign_uuid!], {}],
      [['--task-uuid', withTask.task_uuids![0]!], { task_uuid: withTask.task_uuids![0]! }],
      [['--phone', phone.slice(-7, -2)], { phone: phone.slice(-7, -2) }],
      [
        ['--created-from', bodies[20]!.created_at!, '--created-to', bodies[40]!.created_at!],
        { created_from: bodies[20]!.created_at!, created_to: bodies[40]!.created_at! },
      ],
      [['--updated-since', bodies[60]!.updated_at!, '--status', 'Active'], { updated_since: bodies[60]!.updated_at!, status: 'Active' }],
    ];
    cases[4]![1] = { campaign_uuid: cases[4]![0][1]! };
    const runs = await Promise.all(cases.map(([args]) => cli(['export', source.subdomain, ...args])));
    for (const [index, [args, query]] of cases.entries()) {
      expect(runs[index], args.join(' ')).toMatchObject({ code: 0, stderr: '' });
      const expected = await listed(source, query);
      expect(uuidsOf(runs[index]!.stdout), args.join(' ')).toEqual(expected);
      expect(expected.length, args.join(' ')).toBeGreaterThan(0);
      expect(expected.length, args.join(' ')).toBeLessThan(80);
    }
  });

  it('refuses a malformed filter in one line, naming the option', async () => {
    const [uuid, channel, phone, time] = await Promise.all([
      cli(['export', source.subdomain, '--contact-uuid', 'nope']),
      cli(['export', source.subdomain, '--channel', 'fax']),
      cli(['export', source.subdomain, '--phone', '+()']),
      cli(['export', source.subdomain, '--created-from', 'yesterday']),
    ]);
    expect(uuid).toMatchObject({ code: 1, stdout: '', stderr: 'parley: --contact-uuid must be a UUID\n' });
    expect(channel).toMatchObject({
      code: 1,
      stderr: 'parley: --channel must be one or more of Whatsapp, SMS, Call, Messenger, Instagram, Email, Webchat, separated by commas\n',
    });
    expect(phone).toMatchObject({ code: 1, stderr: 'parley: --phone must contain at least one digit\n' });
    expect(time).toMatchObject({ code: 1, stderr: 'parley: --created-from must be a valid date-time\n' });
  });
});
