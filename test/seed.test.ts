import { expect, it } from 'vitest';
import { exportNdjson } from '../src/bulk/export.js';
import { seedWorkspace } from '../src/bulk/seed.js';
import { findWorkspace } from '../src/workspaces/repository.js';
import { describeEachDialect } from './helpers/app.js';
import { parley } from './helpers/cli.js';

const NOW = '2026-11-25T12:00:00Z';

describeEachDialect('parley seed', (t) => {
  const cli = (...args: string[]) => parley(t.database.url, args);
  const exportOf = async (workspaceId: number) => {
    let text = '';
    for await (const line of exportNdjson(t.db, workspaceId)) text += line;
    return text;
  };

  it('creates the workspace and fills it; the same seed gives the same data, another seed other data', async () => {
    const [first, second, other] = await Promise.all([
      cli('seed', `seed-a-${t.dialect}`, '--conversations', '120', '--seed', '7', '--now', NOW),
      cli('seed', `seed-b-${t.dialect}`, '--conversations', '120', '--seed', '7', '--now', NOW),
      cli('seed', `seed-c-${t.dialect}`, '--conversations', '120', '--seed', '8', '--now', NOW),
    ]);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(
      new RegExp(
        `^Created workspace "seed-a-${t.dialect}"\\.\\nSeeded workspace "seed-a-${t.dialect}" with 120 conversations \\(seed 7, up to ${NOW}\\) in [\\d.]+ s \\([\\d,]+/s\\)\\.\\n$`,
      ),
    );
    expect(second.code).toBe(0);
    expect(other.code).toBe(0);

    const [a, b, c] = await Promise.all(['a', 'b', 'c'].map((name) => findWorkspace(t.db, `seed-${name}-${t.dialect}`)));
    const exported = await exportOf(a!.id);
    expect(exported.split('\n')).toHaveLength(121);
    expect(await exportOf(b!.id)).toBe(exported);
    expect(await exportOf(c!.id)).not.toBe(exported);

    // Seeding again into the same workspace changes nothing.
    expect((await cli('seed', `seed-a-${t.dialect}`, '--conversations', '120', '--seed', '7', '--now', NOW)).stdout).not.toContain(
      'Created',
    );
    expect(await exportOf(a!.id)).toBe(exported);
  });

  it('writes realistic conversations, each with a few messages, through the API shape', async () => {
    const ws = await t.newWorkspace();
    const progress: number[] = [];
    await seedWorkspace(t.db, ws.id, { conversations: 150, seed: 3, now: new Date(NOW), onProgress: (done) => progress.push(done) });
    expect(progress.at(-1)).toBe(150);

    const page = (await ws.list({ per_page: 100 })).json().data;
    expect(page.total).toBe(150);
    const channels = new Set(page.data.map((conversation: { channel: string }) => conversation.channel));
    expect(channels.size).toBeGreaterThanOrEqual(5);
    const withCall = page.data.filter((conversation: { call: unknown }) => conversation.call).length;
    expect(withCall).toBeGreaterThan(20);
    expect(withCall).toBeLessThan(70);

    const lines = (await exportOf(ws.id))
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line));
    for (const line of lines) {
      expect(line.messages.length).toBeGreaterThanOrEqual(1);
      expect(line.messages.length).toBeLessThanOrEqual(5);
      for (const message of line.messages) {
        expect(message.created_at >= line.created_at && message.created_at <= line.timestamp).toBe(true);
        expect(line.session_uuids).toContain(message.session_uuid);
      }
      // The latest activity is the last message.
      if (line.messages.length > 1) expect(line.messages.at(-1).created_at).toBe(line.timestamp);
    }
  });

  it('refuses a count that is not a whole number', async () => {
    const run = await cli('seed', 'nowhere', '--conversations', '1e3');
    expect(run).toMatchObject({ code: 1, stdout: '', stderr: 'parley: --conversations must be a whole number, got "1e3"\n' });
  });
});
