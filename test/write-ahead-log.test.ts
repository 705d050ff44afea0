import { randomUUID } from 'node:crypto';
import { statSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, buildApp } from '../src/app.js';
import { RESTART_FRAMES } from '../src/db/checkpointer.js';
import { createToken } from '../src/tokens/repository.js';
import { createWorkspace } from '../src/workspaces/repository.js';
import { type TestWorkspace, workspaceClient } from './helpers/app.js';
import { createTestDatabase, type TestDatabase } from './helpers/databases.js';
import { conversationBody } from './helpers/fixtures.js';

/**
 * SQLite only: the write-ahead log is SQLite's (PostgreSQL recycles its own). Under writes that
 * never pause, a checkpoint that copies the log back without starting it over let it grow for as
 * long as they went on; the server's log must stay bounded, and lose nothing when it starts over.
 */

/** A log frame: a page of 4,096 bytes and its 24-byte header. */
const FRAME_BYTES = 4096 + 24;
const WRITES = 4000;

describe('the SQLite write-ahead log [sqlite]', () => {
  let database: TestDatabase;
  let app: App;
  let ws: TestWorkspace;
  let log: string;

  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
    log = `${database.url.slice('sqlite:'.length)}-wal`;
    app = await buildApp({ config: { baseDomain: null }, db: database.db });
    const workspace = await createWorkspace(database.db, 'wal', 'wal');
    const { token } = await createToken(database.db, workspace.id, 'test');
    ws = workspaceClient(app, workspace.id, workspace.subdomain, token);
  });

  afterAll(async () => {
    await app?.close();
    await database?.drop();
  });

  it('stays bounded under writes that never pause, and keeps every one of them', async () => {
    const uuid = randomUUID();
    expect((await ws.put(uuid, conversationBody())).statusCode).toBe(201);
    const url = `/api/v1/conversations/${uuid}/messages`;
    const bound = 2 * RESTART_FRAMES * FRAME_BYTES;
    const logSize = () => statSync(log).size;
    let largest = 0;
    let start = 0;
    let perWrite = 0;
    for (let i = 0; i < WRITES; i++) {
      if (i === 0) start = logSize();
      const res = await ws.request({ method: 'POST', url, payload: { sender: 'AI', content: `m${i}` } });
      expect(res.statusCode, res.body).toBe(201);
      // The log grows by each write's pages until it first starts over, well after these.
      if (i === 199) perWrite = (logSize() - start) / 200;
      largest = Math.max(largest, logSize());
    }
    // Had the log never started over, these writes would have grown it past the bound.
    expect(perWrite * WRITES).toBeGreaterThan(bound);
    expect(largest).toBeLessThan(bound);

    const page = await ws.request({ method: 'GET', url: `${url}?per_page=1` });
    expect(page.json().data.total).toBe(WRITES);
  }, 120_000);
});
