import type { Kysely, Transaction } from 'kysely';
import { refreshStaleBodies } from '../conversations/body.js';
import { type ConversationRecord, loadConversation } from '../conversations/load.js';
import { ANY_ANSWER, NO_ANSWER, unionOf, type WriteScope } from '../conversations/scope.js';
import { dialectOf, isUniqueViolation } from './dialect.js';
import type { Database } from './tables.js';

type Work<T> = (trx: Transaction<Database>) => Promise<T>;

/** One write: what it does, which conversation it answers with (none: undefined) and which answers it may change. */
interface Step<T> {
  work: Work<T>;
  wantedOf: (result: T) => number | undefined;
  changedBy: (result: T) => WriteScope;
}

/** A committed write transaction: the workspace's data version it made, and which list answers it may have changed. */
export interface DataChange {
  workspaceId: number;
  version: number;
  scope: WriteScope;
}

interface Outcome<T> {
  result: T;
  record: ConversationRecord | undefined;
  change: DataChange;
}

interface Job extends Step<unknown> {
  resolve(outcome: Outcome<unknown>): void;
  reject(error: unknown): void;
}

/** Writes waiting for their workspace's turn, per database and workspace; an entry exists while its writes run. */
const queues = new WeakMap<Kysely<Database>, Map<number, Job[]>>();

/** At most this many queued writes share a transaction, so that one failing costs a bounded replay. */
const MAX_GROUP = 32;

/**
 * Marks the workspace's data as changed (see http/etag.ts). Taken first in every write
 * transaction, its row lock on PostgreSQL makes one workspace's writers, across processes, run
 * one after another in one order: no deadlocks, and ids committed in the order they were taken.
 */
export async function bumpDataVersion(trx: Transaction<Database>, workspaceId: number): Promise<number> {
  const { data_version } = await trx
    .updateTable('workspaces')
    .set((eb) => ({ data_version: eb('data_version', '+', 1) }))
    .where('id', '=', workspaceId)
    .returning('data_version')
    .executeTakeFirstOrThrow();
  return Number(data_version);
}

/**
 * Runs `work` as one write transaction on the workspace's data, the version bumped first and the
 * conversation bodies it made stale rebuilt last, so that no commit leaves one behind. Two
 * writers creating the same new uuid at once collide on a unique index; the loser runs again and
 * then finds the row the winner made.
 */
export async function writeTransaction<T>(db: Kysely<Database>, workspaceId: number, work: Work<T>): Promise<T> {
  return (await transact(db, workspaceId, { work, wantedOf: () => undefined, changedBy: () => ANY_ANSWER })).result;
}

/** A writeTransaction that says what it changed: the scope `work` returned (none when it returned nothing). */
export async function scopedWrite<T extends { scope: WriteScope } | undefined>(
  db: Kysely<Database>,
  workspaceId: number,
  work: Work<T>,
): Promise<{ result: T; change: DataChange }> {
  const { result, change } = await transact(db, workspaceId, {
    work,
    wantedOf: () => undefined,
    changedBy: (done) => done?.scope ?? NO_ANSWER,
  });
  return { result, change };
}

/**
 * A writeTransaction that answers with the conversation it wrote: `work` names it by id, and the
 * record comes back as that write left it, from the rebuild of its body when the write changed
 * it (else loaded): read once, in the transaction, whichever way.
 */
export async function writeConversation<T extends { conversationId: number | undefined; scope: WriteScope }>(
  db: Kysely<Database>,
  workspaceId: number,
  work: Work<T>,
): Promise<T & { record: ConversationRecord | undefined; change: DataChange }> {
  const { result, record, change } = await transact(db, workspaceId, {
    work,
    wantedOf: (done) => done.conversationId,
    changedBy: (done) => done.scope,
  });
  return { ...result, record, change };
}

/**
 * On PostgreSQL a workspace's writes run one at a time (the row lock of `bumpDataVersion`), and
 * each statement is a round trip made while the workspace is locked: measured on the request
 * thread's busy event loop, writes fell behind a steady 100 a second (the server now runs them in
 * a thread of their own, see writes/thread.ts). So the writes that queued while one ran share the
 * next transaction: one BEGIN, version bump, closing rebuild and COMMIT for all of
 * them, in arrival order. Should any of them fail, that transaction rolls back whole and each
 * runs again alone, so a write still happens whole or not at all, and fails only by itself.
 * SQLite runs each alone at once: its one connection serialises transactions already, and its
 * statements are calls, not round trips.
 */
function transact<T>(db: Kysely<Database>, workspaceId: number, step: Step<T>): Promise<Outcome<T>> {
  if (dialectOf(db) === 'sqlite') return runAlone(db, workspaceId, step);
  return new Promise((resolve, reject) => {
    const job = { ...(step as Step<unknown>), resolve, reject } as Job;
    let byWorkspace = queues.get(db);
    if (!byWorkspace) queues.set(db, (byWorkspace = new Map()));
    const queue = byWorkspace.get(workspaceId);
    if (queue) queue.push(job);
    else {
      const fresh = [job];
      byWorkspace.set(workspaceId, fresh);
      void drain(db, workspaceId, fresh, byWorkspace);
    }
  });
}

async function drain(db: Kysely<Database>, workspaceId: number, queue: Job[], byWorkspace: Map<number, Job[]>) {
  while (queue.length > 0) await runGroup(db, workspaceId, queue.splice(0, MAX_GROUP));
  byWorkspace.delete(workspaceId);
}

async function runGroup(db: Kysely<Database>, workspaceId: number, group: Job[]) {
  if (group.length > 1) {
    try {
      const outcomes = await inOneTransaction(db, workspaceId, group);
      group.forEach((job, i) => job.resolve(outcomes[i]!));
      return;
    } catch {
      // Rolled back whole; below, each runs again alone.
    }
  }
  for (const job of group) {
    try {
      job.resolve(await runAlone(db, workspaceId, job));
    } catch (error) {
      job.reject(error);
    }
  }
}

async function runAlone<T>(db: Kysely<Database>, workspaceId: number, step: Step<T>): Promise<Outcome<T>> {
  for (let attempt = 1; ; attempt++) {
    try {
      const [outcome] = await inOneTransaction(db, workspaceId, [step]);
      return outcome!;
    } catch (error) {
      if (attempt >= 3 || !isUniqueViolation(error)) throw error;
    }
  }
}

/**
 * The steps in order in one transaction. A step that answers with a conversation gets it as it
 * stood right after that step, not after the later ones: its body is rebuilt there and then.
 */
async function inOneTransaction<T>(db: Kysely<Database>, workspaceId: number, steps: Step<T>[]): Promise<Outcome<T>[]> {
  return db.transaction().execute(async (trx) => {
    const version = await bumpDataVersion(trx, workspaceId);
    const outcomes: Omit<Outcome<T>, 'change'>[] = [];
    const scopes: WriteScope[] = [];
    // A rebuild rebuilds every stale body: only a step after the last one can leave some.
    let staleLeft = true;
    for (const step of steps) {
      const result = await step.work(trx);
      const wanted = step.wantedOf(result);
      let record: ConversationRecord | undefined;
      staleLeft = wanted === undefined;
      if (wanted !== undefined) {
        record = await refreshStaleBodies(trx, workspaceId, wanted);
        record ??= await loadConversation(trx, workspaceId, wanted);
      }
      outcomes.push({ result, record });
      scopes.push(step.changedBy(result));
    }
    if (staleLeft) await refreshStaleBodies(trx, workspaceId);
    // Each write of the transaction reports all it changed: its version holds them all.
    const change = { workspaceId, version, scope: unionOf(scopes) };
    return outcomes.map((outcome) => ({ ...outcome, change }));
  });
}
