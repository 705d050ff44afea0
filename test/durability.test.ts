import { randomBytes, randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createToken } from '../src/tokens/repository.js';
import { createWorkspace } from '../src/workspaces/repository.js';
import { createTestDatabase, DIALECTS, postgresAvailable, type TestDatabase } from './helpers/databases.js';
import { conversationBody } from './helpers/fixtures.js';
import { type ServerProcess, startServer } from './helpers/server-process.js';

/**
 * What a crash of the server process does to the data: an answered write is there after a
 * restart, and a write cut short leaves nothing of itself. The server is always ended with
 * SIGKILL, never asked to stop, and a new process is started on the same database.
 */

type Body = ReturnType<typeof conversationBody>;
type Conversation = Body & { uuid: string };

interface Message {
  uuid: string;
  conversation_uuid: string;
  session_uuid: string | null;
  sender: string;
  message_type: string | null;
  content: string;
  created_at: string;
}

interface Answer {
  status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- answers are checked against whole expected objects
  body: any;
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const sortedUuids = (count: number) => Array.from({ length: count }, () => randomUUID()).sort();

/** A conversation as big as a busy one: a new contact, agent, campaign and listing, a call with a long summary, 12 sessions, 12 tasks. */
function bigBody(): Body {
  const body = conversationBody({ session_uuids: sortedUuids(12), task_uuids: sortedUuids(12) });
  body.call.summary = 'The caller asked about opening hours, prices and parking. '.repeat(150);
  return body;
}

/** The same conversation with every part changed, so that an update applied in part matches neither version. */
function changedBody(previous: Body): Body {
  return {
    ...previous,
    status: 'Closed',
    updated_at: '2024-03-02T09:00:00Z',
    contact: { ...previous.contact, name: 'Ada (changed)', email: 'ada.changed@example.com' },
    session_uuids: sortedUuids(12),
    task_uuids: sortedUuids(12),
    call: { ...previous.call, status: 'failed', summary: 'Called back: nobody answered. '.repeat(250) },
  };
}

/** Sessions and tasks are sets to a writer; the API reads them in creation order. */
const comparable = (conversation: Conversation) => ({
  ...conversation,
  session_uuids: [...conversation.session_uuids].sort(),
  task_uuids: [...conversation.task_uuids].sort(),
});

/** The rows a body would create that no other conversation uses. */
const ownUuids = (body: Body) => ({
  contacts: [body.contact.uuid],
  calls: [body.call.uuid],
  agents: [body.agent_uuid],
  campaigns: [body.campaign_uuid],
  listings: [body.listing_uuid],
  sessions: body.session_uuids,
  tasks: body.task_uuids,
});

/** Every PUT sent for one conversation, in order (each waits for the previous answer), and how many were answered 2xx. */
interface PutRecord {
  uuid: string;
  bodies: Body[];
  acknowledged: number;
}

/** A conversation that receives messages one after another, each with a later created_at than the one before. */
interface TargetRecord {
  uuid: string;
  body: Body;
  messages: { sent: Message; acknowledged: boolean }[];
}

interface Ledger {
  puts: PutRecord[];
  targets: TargetRecord[];
}

function client(port: number, token: string) {
  return async (method: string, path: string, body?: unknown): Promise<Answer> => {
    const response = await fetch(`http://127.0.0.1:${port}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : null };
  };
}
type Client = ReturnType<typeof client>;

async function pages<T>(request: Client, path: string): Promise<{ items: T[]; total: number }> {
  const items: T[] = [];
  for (let page = 1; ; page++) {
    const answer = await request('GET', `${path}${path.includes('?') ? '&' : '?'}per_page=100&page=${page}`);
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    items.push(...answer.body.data.data);
    if (page >= answer.body.data.last_page) return { items, total: answer.body.data.total };
  }
}

for (const dialect of DIALECTS) {
  describe.skipIf(dialect === 'postgres' && !postgresAvailable())(`durability across a killed server [${dialect}]`, () => {
    let database: TestDatabase;
    let server: ServerProcess | undefined;

    const start = async () => {
      await kill();
      // The load below is one client sending as fast as it can: no rate limit.
      server = await startServer({ DATABASE_URL: database.url, RATE_LIMIT_PER_MINUTE: '0' });
      return server;
    };
    /** The server the previous test left running, or a new one: each start costs seconds. */
    const running = async () => (server && server.child.exitCode === null && server.child.signalCode === null ? server : start());
    const kill = async () => {
      if (!server || server.child.signalCode === 'SIGKILL') return;
      // Only this test ends the server: one that exited by itself crashed.
      expect(server.child.exitCode, `the server exited by itself:\n${server.output()}`).toBeNull();
      server.child.kill('SIGKILL');
      expect((await server.exit).signal).toBe('SIGKILL');
    };
    const newWorkspace = async () => {
      const subdomain = `ws-${randomBytes(5).toString('hex')}`;
      const workspace = await createWorkspace(database.db, subdomain, subdomain);
      return (await createToken(database.db, workspace.id, 'test')).token;
    };

    type Table = keyof ReturnType<typeof ownUuids>;

    /** Which of `uuids` some row of `table` carries, read directly from the database. */
    async function existing(table: Table, uuids: string[]): Promise<string[]> {
      const found: string[] = [];
      for (let i = 0; i < uuids.length; i += 500) {
        const rows = await database.db
          .selectFrom(table)
          .select('uuid')
          .where('uuid', 'in', uuids.slice(i, i + 500))
          .execute();
        found.push(...rows.map((row) => row.uuid));
      }
      return found;
    }

    /** Rows that must not exist, collected and then looked up with one query per table. */
    function absentRows() {
      const wanted = new Map<Table, Map<string, string>>();
      return {
        add(table: Table, uuids: string[], why: string) {
          if (!wanted.has(table)) wanted.set(table, new Map());
          for (const uuid of uuids) wanted.get(table)!.set(uuid, why);
        },
        addAll(body: Body, why: string) {
          for (const [table, uuids] of Object.entries(ownUuids(body))) this.add(table as Table, uuids, why);
        },
        async check() {
          const found: string[] = [];
          for (const [table, uuids] of wanted) {
            for (const uuid of await existing(table, [...uuids.keys()])) found.push(`${table} ${uuid}: ${uuids.get(uuid)}`);
          }
          expect(found).toEqual([]);
        },
      };
    }

    /**
     * After a restart (`complete`: the ledger holds every write the workspace ever had): every
     * conversation is absent or exactly one version that was sent for it (never an acknowledged one
     * lost, never one older than acknowledged); a version not stored left no rows of its own; every
     * acknowledged message is stored, and a message's conversation moved and gained its session
     * only together with the message itself.
     */
    async function verify(request: Client, ledger: Ledger, { complete = true } = {}) {
      const { items, total } = await pages<Conversation>(request, '/api/v1/conversations');
      expect(total, 'total after the restart').toBe(items.length);
      const stored = new Map(items.map((item) => [item.uuid, item]));
      const sent = new Set([...ledger.puts.map((record) => record.uuid), ...ledger.targets.map((target) => target.uuid)]);
      if (complete) for (const uuid of stored.keys()) expect(sent.has(uuid), `${uuid} was never sent`).toBe(true);

      const absent = absentRows();
      for (const record of ledger.puts) {
        const found = stored.get(record.uuid);
        // Each PUT waited for the answer to the one before: only the last one sent can be unanswered.
        const oldestAllowed = Math.max(record.acknowledged - 1, 0);
        if (!found) {
          expect(record.acknowledged, `acknowledged conversation ${record.uuid} is missing`).toBe(0);
          for (const body of record.bodies) absent.addAll(body, `conversation ${record.uuid} is absent`);
          continue;
        }
        const version = record.bodies.findIndex(
          (body, index) => index >= oldestAllowed && isDeepStrictEqual(comparable(found), comparable({ uuid: record.uuid, ...body })),
        );
        if (version < 0) {
          expect(comparable(found), `${record.uuid} matches no version sent`).toEqual(
            comparable({ uuid: record.uuid, ...record.bodies.at(-1)! }),
          );
        }
        for (const [index, body] of record.bodies.entries()) {
          if (index === version) continue;
          // An older version's sessions were replaced (deleted) and its tasks unlinked; a newer one never landed.
          absent.add('sessions', body.session_uuids, `${record.uuid} is stored as version ${version}, not ${index}`);
          if (index > version) absent.add('tasks', body.task_uuids, `${record.uuid} is stored as version ${version}, not ${index}`);
        }
      }
      await absent.check();

      for (const target of ledger.targets) {
        const conversation = stored.get(target.uuid);
        expect(conversation, `message target ${target.uuid}`).toBeDefined();
        const { items: messages } = await pages<Message>(request, `/api/v1/conversations/${target.uuid}/messages`);
        const byUuid = new Map(target.messages.map((message) => [message.sent.uuid, message]));
        for (const message of messages) expect(message).toEqual(byUuid.get(message.uuid)?.sent);
        const storedUuids = new Set(messages.map((message) => message.uuid));
        const unanswered = target.messages.filter((message) => !message.acknowledged);
        for (const message of target.messages) {
          if (message.acknowledged) expect(storedUuids.has(message.sent.uuid), `acknowledged message ${message.sent.uuid}`).toBe(true);
        }
        expect(unanswered.filter((message) => storedUuids.has(message.sent.uuid)).length).toBeLessThanOrEqual(1);

        const latest = messages.map((message) => message.created_at).reduce((a, b) => (b > a ? b : a), target.body.timestamp);
        const sessions = new Set([...target.body.session_uuids, ...messages.flatMap((message) => message.session_uuid ?? [])]);
        expect(comparable(conversation!)).toEqual(
          comparable({
            uuid: target.uuid,
            ...target.body,
            timestamp: latest,
            updated_at: conversation!.updated_at,
            session_uuids: [...sessions] as Body['session_uuids'],
          }),
        );
        expect(conversation!.updated_at >= target.body.updated_at).toBe(true);
      }
    }

    /** Writers that keep the server busy until it dies: big PUTs (new, then changed) and messages, several at a time. */
    function startLoad(request: Client, ledger: Ledger, targets: TargetRecord[]) {
      let acknowledged = 0;
      let stopped = false;
      const unexpected: string[] = [];
      const send = async (method: string, path: string, body: unknown) => {
        let answer: Answer;
        try {
          answer = await request(method, path, body);
        } catch {
          return false; // the server is gone: this write was not acknowledged
        }
        if (answer.status >= 200 && answer.status < 300) {
          acknowledged++;
          return true;
        }
        unexpected.push(`${method} ${path}: ${answer.status} ${JSON.stringify(answer.body)}`);
        return false;
      };
      const putter = async () => {
        while (!stopped) {
          const record: PutRecord = { uuid: randomUUID(), bodies: [bigBody()], acknowledged: 0 };
          ledger.puts.push(record);
          if (!(await send('PUT', `/api/v1/conversations/${record.uuid}`, record.bodies[0]))) return;
          record.acknowledged = 1;
          if (Math.random() < 0.5) continue;
          record.bodies.push(changedBody(record.bodies[0]!));
          if (!(await send('PUT', `/api/v1/conversations/${record.uuid}`, record.bodies[1]))) return;
          record.acknowledged = 2;
        }
      };
      const messenger = async (target: TargetRecord) => {
        let session: string | null = null;
        for (let i = 0; !stopped; i++) {
          if (i % 4 === 0) session = randomUUID();
          const sent: Message = {
            uuid: randomUUID(),
            conversation_uuid: target.uuid,
            session_uuid: session,
            sender: i % 2 ? 'AI' : 'Contact',
            message_type: 'text',
            content: `Message ${i}: ${'lorem ipsum dolor sit amet '.repeat(80)}`,
            created_at: new Date(Date.parse(target.body.timestamp) + (i + 1) * 1000).toISOString().replace('.000Z', 'Z'),
          };
          const record = { sent, acknowledged: false };
          target.messages.push(record);
          const { conversation_uuid: _, ...input } = sent;
          if (!(await send('POST', `/api/v1/conversations/${target.uuid}/messages`, input))) return;
          record.acknowledged = true;
        }
      };
      const done = Promise.all([...Array.from({ length: 6 }, putter), ...targets.map(messenger)]);
      return {
        acknowledged: () => acknowledged,
        unexpected,
        async stop() {
          stopped = true;
          await done;
        },
      };
    }

    /** Two new conversations to send messages to, created (and acknowledged) before the load begins. */
    async function newTargets(request: Client, ledger: Ledger) {
      const targets: TargetRecord[] = [];
      for (let i = 0; i < 2; i++) {
        const target: TargetRecord = { uuid: randomUUID(), body: conversationBody(), messages: [] };
        expect((await request('PUT', `/api/v1/conversations/${target.uuid}`, target.body)).status).toBe(201);
        ledger.targets.push(target);
        targets.push(target);
      }
      return targets;
    }

    async function waitFor(condition: () => boolean | Promise<boolean>, what: string, diagnose?: () => Promise<unknown>) {
      const deadline = Date.now() + 20_000;
      while (!(await condition())) {
        if (Date.now() > deadline)
          throw new Error(`timed out waiting for ${what}${diagnose ? `: ${JSON.stringify(await diagnose())}` : ''}`);
        await pause(10);
      }
    }

    beforeAll(async () => {
      database = await createTestDatabase(dialect);
    });
    afterAll(async () => {
      await kill();
      await database?.drop();
    });

    it('keeps every acknowledged PUT, PATCH and message through a SIGKILL', async () => {
      const token = await newWorkspace();
      let request = client((await running()).port, token);

      const closed = { uuid: randomUUID(), body: bigBody() };
      expect((await request('PUT', `/api/v1/conversations/${closed.uuid}`, closed.body)).status).toBe(201);
      const changed = changedBody(closed.body);
      const update = await request('PUT', `/api/v1/conversations/${closed.uuid}`, { ...changed, status: 'Active' });
      expect(update.status).toBe(200);
      const patch = await request('PATCH', `/api/v1/conversations/${closed.uuid}`, { status: 'Closed' });
      expect(patch.status).toBe(200);
      expect(patch.body.data.status).toBe('Closed');

      const created = { uuid: randomUUID(), body: bigBody() };
      const put = await request('PUT', `/api/v1/conversations/${created.uuid}`, created.body);
      expect(put.status).toBe(201);
      expect(put.body.data).toEqual({ uuid: created.uuid, ...created.body });

      const chat: TargetRecord = { uuid: randomUUID(), body: conversationBody(), messages: [] };
      expect((await request('PUT', `/api/v1/conversations/${chat.uuid}`, chat.body)).status).toBe(201);
      const session = randomUUID();
      for (const [i, sender] of ['Contact', 'AI', 'Human'].entries()) {
        const input = {
          uuid: randomUUID(),
          session_uuid: i === 0 ? null : session,
          sender,
          message_type: 'text',
          content: `Message ${i}`,
          created_at: `2024-03-01T10:1${i}:00Z`,
        };
        const answer = await request('POST', `/api/v1/conversations/${chat.uuid}/messages`, input);
        expect(answer.status).toBe(201);
        expect(answer.body.data).toEqual({ ...input, conversation_uuid: chat.uuid });
        chat.messages.push({ sent: answer.body.data, acknowledged: true });
      }

      // At once after the last answer: nothing gets a chance to flush anything.
      await kill();
      request = client((await start()).port, token);

      expect((await request('GET', `/api/v1/conversations/${closed.uuid}`)).body.data).toEqual(patch.body.data);
      expect((await request('GET', `/api/v1/conversations/${created.uuid}`)).body.data).toEqual(put.body.data);
      const messages = await pages<Message>(request, `/api/v1/conversations/${chat.uuid}/messages`);
      expect(messages.items).toEqual(chat.messages.map((message) => message.sent));
      await verify(request, { puts: [], targets: [chat] }, { complete: false });
      const all = await pages<Conversation>(request, '/api/v1/conversations');
      expect(all.total).toBe(3);
    }, 60_000);

    it('leaves each conversation whole or absent when killed at random moments under concurrent writes', async () => {
      const token = await newWorkspace();
      const ledger: Ledger = { puts: [], targets: [] };
      let request = client((await running()).port, token);
      for (let round = 1; round <= 3; round++) {
        const load = startLoad(request, ledger, await newTargets(request, ledger));
        await waitFor(() => load.acknowledged() >= 4 * round, 'writes to be acknowledged');
        // Early in one round, later in another: the kill lands on different statements of different writes.
        await pause(Math.random() * 400 * round);
        await kill();
        await load.stop();
        expect(load.unexpected).toEqual([]);
        request = client((await start()).port, token);
        await verify(request, ledger);
      }
      // The rounds did cut writes short, or they proved nothing.
      expect(ledger.puts.filter((record) => record.acknowledged < record.bodies.length).length).toBeGreaterThanOrEqual(3);
    }, 90_000);

    if (dialect === 'sqlite') {
      it('leaves nothing of a write transaction the server was inside of when killed', async () => {
        // SQLite takes its one write lock at a transaction's first write and keeps it until the commit
        // is done. With the server frozen (SIGSTOP), a BEGIN IMMEDIATE that finds the lock taken says the
        // server is inside a write transaction: then it is killed, there and then.
        const probe = new SQLite(database.url.slice('sqlite:'.length), { timeout: 0 });
        const token = await newWorkspace();
        const ledger: Ledger = { puts: [], targets: [] };
        let request = client((await running()).port, token);
        try {
          for (let round = 1; round <= 2; round++) {
            const load = startLoad(request, ledger, await newTargets(request, ledger));
            await waitFor(() => load.acknowledged() >= 3, 'writes to be acknowledged');
            const pid = server!.child.pid!;
            let caught = false;
            for (let attempt = 0; attempt < 1000 && !caught; attempt++) {
              await pause(Math.random() * 20);
              process.kill(pid, 'SIGSTOP');
              try {
                probe.exec('BEGIN IMMEDIATE');
                probe.exec('ROLLBACK');
              } catch (error) {
                caught = (error as { code?: string }).code === 'SQLITE_BUSY';
              }
              if (!caught) process.kill(pid, 'SIGCONT');
            }
            expect(caught, 'the server was never caught inside a write transaction').toBe(true);
            await kill();
            await load.stop();
            expect(load.unexpected).toEqual([]);
            request = client((await start()).port, token);
            await verify(request, ledger);
          }
        } finally {
          probe.close();
        }
      }, 60_000);
    }

    if (dialect === 'postgres') {
      it('leaves nothing of a PUT and a message blocked halfway through their transactions when killed', async () => {
        // Locks held from outside stop both transactions after they have written rows: the PUT when it
        // reaches the tasks table, the message when it inserts into messages. pg_locks shows what
        // each has written so far; then the server is killed and the locks released.
        const putToken = await newWorkspace();
        const messageToken = await newWorkspace();
        await running();
        let putClient = client(server!.port, putToken);
        let messageClient = client(server!.port, messageToken);
        const chat = { uuid: randomUUID(), body: conversationBody() };
        expect((await messageClient('PUT', `/api/v1/conversations/${chat.uuid}`, chat.body)).status).toBe(201);
        const chatBefore = (await messageClient('GET', `/api/v1/conversations/${chat.uuid}`)).body;
        const conversation = { uuid: randomUUID(), body: bigBody() };
        const session = randomUUID();

        const locker = new pg.Client({ connectionString: database.url });
        await locker.connect();
        try {
          await locker.query('begin');
          await locker.query('lock table tasks, messages in access exclusive mode');
          // Neither may be answered: a write that is answered was not stopped halfway.
          const answers: Record<string, unknown> = {};
          const put = putClient('PUT', `/api/v1/conversations/${conversation.uuid}`, conversation.body).then(
            (answer) => (answers.put = answer),
            () => null,
          );
          const post = messageClient('POST', `/api/v1/conversations/${chat.uuid}/messages`, {
            session_uuid: session,
            sender: 'Contact',
            content: 'Are you still there?',
          }).then(
            (answer) => (answers.message = answer),
            () => null,
          );

          // Blocked backends are found by their lock requests rather than by pg_stat_activity's query and
          // state, which show the previous statement while the next one waits for a lock as it is parsed.
          const blockedOn = async () =>
            (
              await locker.query<{ pid: number; waits_for: string; written: string[] }>(
                `select w.pid, w.relation::regclass::text as waits_for,
                        array(select c.relname::text from pg_locks l join pg_class c on c.oid = l.relation
                               where l.pid = w.pid and l.granted and l.mode = 'RowExclusiveLock' and c.relkind = 'r'
                               order by 1) as written
                   from pg_locks w
                  where not w.granted and w.relation in ('tasks'::regclass, 'messages'::regclass) and w.pid <> pg_backend_pid()`,
              )
            ).rows;
          const activity = async () => ({
            answers,
            blocked: await blockedOn(),
            backends: (
              await locker.query(
                `select pid, state, wait_event_type, backend_type, query from pg_stat_activity where datname = current_database()`,
              )
            ).rows,
          });
          await waitFor(async () => (await blockedOn()).length === 2, 'both writes to block on the locks', activity);
          const blocked = await blockedOn();
          // Halfway: each has already written to tables of its own transaction.
          expect(blocked.map((row) => row.written)).toEqual(
            expect.arrayContaining([
              expect.arrayContaining(['workspaces', 'contacts', 'conversations', 'calls']),
              expect.arrayContaining(['workspaces', 'conversations', 'sessions']),
            ]),
          );

          await kill();
          await Promise.all([put, post]);
          expect(answers).toEqual({});
          await locker.query('rollback');
          // The backends find their client gone when they next answer it, and roll back.
          const pids = blocked.map((row) => row.pid);
          await waitFor(
            async () => (await locker.query('select 1 from pg_stat_activity where pid = any($1)', [pids])).rowCount === 0,
            'the killed server’s backends to end',
          );
        } finally {
          await locker.end();
        }

        await start();
        putClient = client(server!.port, putToken);
        messageClient = client(server!.port, messageToken);
        expect((await putClient('GET', `/api/v1/conversations/${conversation.uuid}`)).status).toBe(404);
        expect((await pages(putClient, '/api/v1/conversations')).total).toBe(0);
        const absent = absentRows();
        absent.addAll(conversation.body, 'the killed PUT');
        absent.add('sessions', [session], 'the killed message');
        await absent.check();
        expect((await messageClient('GET', `/api/v1/conversations/${chat.uuid}`)).body).toEqual(chatBefore);
        expect((await pages(messageClient, `/api/v1/conversations/${chat.uuid}/messages`)).total).toBe(0);
      }, 60_000);
    }
  });
}
