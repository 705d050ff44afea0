import { randomUUID } from 'node:crypto';
import { statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { expect, it } from 'vitest';
import { importNdjson } from '../src/bulk/import.js';
import { holdRestarts, RESTART_FRAMES } from '../src/db/checkpointer.js';
import { describeEachDialect, type TestContext, type TestWorkspace } from './helpers/app.js';
import { conversationBody } from './helpers/fixtures.js';
import { generatedLines, linesOf, ndjson } from './helpers/import-lines.js';

/**
 * SQLite only: the write-ahead log is SQLite's (PostgreSQL recycles its own). Under writes that
 * never pause, a checkpoint that copies the log back without starting it over let it grow for as
 * long as they went on; the server's log must stay bounded, and lose nothing when it starts over.
 */

/** A log frame: a page of 4,096 bytes and its 24-byte header. */
const FRAME_BYTES = 4096 + 24;
const WRITES = 4000;

/**
 * Posts `WRITES` messages to a new conversation of `ws` as fast as they go, and checks that the
 * log started over often enough to stay under the bound, and that every message was kept.
 */
async function expectBoundedUnderWrites(t: TestContext, ws: TestWorkspace) {
  const log = `${t.database.url.slice('sqlite:'.length)}-wal`;
  const uuid = randomUUID();
  expect((await ws.put(uuid, conversationBody())).statusCode).toBe(201);
  const url = `/api/v1/conversations/${uuid}/messages`;
  // These writes come some 2,500 a second, 25 times the benchmark's, appending about 19 MB
  // between two of the checkpointer's ticks: alone the log peaked at 46–55 MB, and under the
  // whole suite on two cores it once passed twice a restart's size. Thrice that still fails
  // a log that never starts over, which these writes grow to about 125 MB.
  const bound = 3 * RESTART_FRAMES * FRAME_BYTES;
  // The frames in the log, asked of a checkpoint that does nothing (SQLite's NOOP mode).
  const framesInLog = async () => (await sql<{ log: number }>`pragma wal_checkpoint(noop)`.execute(t.db)).rows[0]!.log;
  let frames = await framesInLog();
  let appended = 0;
  let largest = 0;
  for (let i = 0; i < WRITES; i++) {
    const res = await ws.request({ method: 'POST', url, payload: { sender: 'AI', content: `m${i}` } });
    expect(res.statusCode, res.body).toBe(201);
    const now = await framesInLog();
    // Fewer frames than before: the log started over, and holds only what came since.
    appended += now >= frames ? now - frames : now;
    frames = now;
    largest = Math.max(largest, statSync(log).size);
  }
  // Had the log never started over, these writes would have grown it past the bound.
  expect(appended * FRAME_BYTES).toBeGreaterThan(bound);
  expect(largest).toBeLessThan(bound);

  const page = await ws.request({ method: 'GET', url: `${url}?per_page=1` });
  expect(page.json().data.total).toBe(WRITES);
}

describeEachDialect(
  'the write-ahead log',
  (t) => {
    it('stays bounded under writes that never pause, and keeps every one of them', async () => {
      await expectBoundedUnderWrites(t, await t.newWorkspace());
    }, 120_000);

    it("stays bounded under writes after an import, which holds the checkpointer's restarts only while it runs", async () => {
      const ws = await t.newWorkspace();
      expect(await importNdjson(t.db, ws.id, linesOf(ndjson(generatedLines(50, 5, new Date()))))).toMatchObject({
        imported: 50,
        rejectedCount: 0,
      });
      await expectBoundedUnderWrites(t, ws);
    }, 120_000);

    it("stays bounded while a bulk write into another file holds that file's restarts", async () => {
      const release = holdRestarts(join(tmpdir(), `parley-other-${randomUUID()}.db`));
      try {
        await expectBoundedUnderWrites(t, await t.newWorkspace());
      } finally {
        release();
      }
    }, 120_000);
  },
  { dialects: ['sqlite'] },
);
