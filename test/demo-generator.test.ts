import { describe, expect, it } from 'vitest';
import { generateConversations } from '../src/demo/generator.js';
import { describeEachDialect } from './helpers/app.js';

const NOW = new Date('2026-11-25T12:00:00Z');
const NINETY_DAYS_MS = 90 * 86_400_000;
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

const generate = (count: number, seed: number) => [...generateConversations({ count, seed, now: NOW })];
const ms = (iso: string | null | undefined) => Date.parse(iso!);

/** How many items fall in each group, largest group first. */
function groupSizes<T>(items: T[], key: (item: T) => unknown): number[] {
  const sizes = new Map<unknown, number>();
  for (const item of items) sizes.set(key(item), (sizes.get(key(item)) ?? 0) + 1);
  return [...sizes.values()].sort((a, b) => b - a);
}

describe('generateConversations', () => {
  const items = generate(3000, 1);
  const bodies = items.map((item) => item.body);

  it('gives the same conversations for the same seed and other ones for another seed', () => {
    const again = generate(3000, 1);
    expect(again).toEqual(items);
    const other = generate(3000, 2);
    expect(other.map((item) => item.body)).not.toEqual(bodies);
    const uuids = new Set(items.map((item) => item.uuid));
    expect(other.some((item) => uuids.has(item.uuid))).toBe(false);
  });

  it('never reuses a uuid that must be unique, and shapes every uuid as v4', () => {
    const unique = [
      ...items.map((item) => item.uuid),
      ...bodies.flatMap((body) => [...body.session_uuids!, ...body.task_uuids!, ...(body.call ? [body.call.uuid] : [])]),
    ];
    expect(new Set(unique).size).toBe(unique.length);
    const shared = bodies.flatMap((body) => [body.contact.uuid, body.agent_uuid, body.campaign_uuid, body.listing_uuid].filter(Boolean));
    for (const uuid of [...unique, ...shared]) expect(uuid).toMatch(UUID_V4);
  });

  it('keeps times in order: created in the 90 days before now, then activity, then the update', () => {
    let previous = 0;
    for (const body of bodies) {
      const created = ms(body.created_at);
      expect(created).toBeGreaterThanOrEqual(previous);
      expect(created).toBeGreaterThanOrEqual(NOW.getTime() - NINETY_DAYS_MS);
      expect(ms(body.timestamp)).toBeGreaterThanOrEqual(created);
      expect(ms(body.updated_at)).toBeGreaterThanOrEqual(ms(body.timestamp));
      expect(ms(body.updated_at)).toBeLessThanOrEqual(NOW.getTime());
      if (body.call) expect(ms(body.call.timestamp)).toBeGreaterThanOrEqual(created);
      previous = created;
    }
  });

  it('keeps the relations the API requires: calls on every Call conversation, campaigns and tasks only with a call', () => {
    for (const body of bodies) {
      if (body.channel === 'Call') expect(body.call).not.toBeNull();
      if (!body.call) expect(body).toMatchObject({ campaign_uuid: null, task_uuids: [] });
      expect(body.is_simulation).toBe(body.type === 'Simulation');
      expect(body.session_uuids!.length).toBeGreaterThanOrEqual(1);
      expect(body.session_uuids!.length).toBeLessThanOrEqual(3);
      expect(body.task_uuids!.length).toBeLessThanOrEqual(2);
    }
  });

  it('is varied the way a real platform is', () => {
    const share = (test: (body: (typeof bodies)[number]) => boolean) => bodies.filter(test).length / bodies.length;
    expect(new Set(bodies.map((body) => body.channel)).size).toBe(7);
    expect(groupSizes(bodies, (body) => body.channel)[0]! / bodies.length).toBeGreaterThan(0.25);
    expect(share((body) => body.status === 'Active')).toBeGreaterThan(0.6);
    expect(share((body) => body.status === 'Closed')).toBeGreaterThan(0.1);
    expect(share((body) => body.type === 'Simulation')).toBeGreaterThan(0.02);
    expect(share((body) => body.type === 'Simulation')).toBeLessThan(0.15);
    expect(share((body) => body.call !== null)).toBeGreaterThan(0.35);
    expect(share((body) => body.call !== null)).toBeLessThan(0.45);
    const calls = bodies.filter((body) => body.call);
    expect(calls.filter((body) => body.campaign_uuid).length / calls.length).toBeGreaterThan(0.6);

    const agents = groupSizes(
      bodies.filter((body) => body.agent_uuid),
      (body) => body.agent_uuid,
    );
    const busiest = agents.slice(0, Math.ceil(agents.length / 5));
    expect(busiest.reduce((sum, size) => sum + size, 0)).toBeGreaterThan(0.5 * agents.reduce((sum, size) => sum + size, 0));
    expect(groupSizes(bodies, (body) => body.contact.uuid).length).toBeLessThan(bodies.length / 2);

    expect(share((body) => /[^\p{ASCII}]/u.test(`${body.contact.name} ${body.contact.surname}`))).toBeGreaterThan(0.2);
    expect(new Set(bodies.map((body) => body.contact.phone_number!.slice(0, 3))).size).toBeGreaterThan(10);
    const withEmail = bodies.filter((body) => body.contact.email);
    expect(withEmail.length / bodies.length).toBeGreaterThan(0.7);
    for (const body of withEmail) expect(body.contact.email).toMatch(/^[a-z0-9._]+@[a-z0-9.-]+\.[a-z]+$/);
  });
});

describeEachDialect('generated conversations through the API', (t) => {
  it('are all accepted and read back exactly as written', async () => {
    const ws = await t.newWorkspace();
    const generated = generate(120, 3);
    for (const { uuid, body } of generated) expect((await ws.put(uuid, body)).statusCode).toBe(201);

    const pages = await Promise.all([1, 2].map((page) => ws.list({ page, per_page: 100, sort_by: 'created_at', sort_dir: 'asc' })));
    const listed = pages.flatMap((page) => page.json().data.data);
    expect(listed).toEqual(generated.map(({ uuid, body }) => ({ uuid, ...body })));
  });
});
