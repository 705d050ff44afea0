import type { Kysely } from 'kysely';
import { setConversationStatus } from '../conversations/repository.js';
import { putConversation } from '../conversations/write.js';
import type { DataChange } from '../db/transaction.js';
import type { Database } from '../db/tables.js';
import { appendMessage } from '../messages/repository.js';

/**
 * Every write the HTTP API makes, by name: the names a write thread answers to (see thread.ts).
 * Each takes last the time its request arrived, which it stamps (`updated_at`, a new row's
 * `created_at`): taken on the server's thread, it is the same whichever thread runs the write.
 */
export const WRITE_OPERATIONS = { putConversation, setConversationStatus, appendMessage } satisfies Record<
  string,
  (db: Kysely<Database>, ...args: never[]) => Promise<Committed | undefined>
>;

/** What each write answers with, besides its own result (undefined: nothing to answer, such as a conversation not found). */
interface Committed {
  change: DataChange;
}

type Operations = typeof WRITE_OPERATIONS;
export type WriteName = keyof Operations;
export type WriteArgs<K extends WriteName> = Operations[K] extends (db: Kysely<Database>, ...args: infer A) => unknown ? A : never;
export type WriteResult<K extends WriteName> = Awaited<ReturnType<Operations[K]>>;

/** Runs the API's writes, on this thread or another. */
export interface Writes {
  run<K extends WriteName>(name: K, ...args: WriteArgs<K>): Promise<WriteResult<K>>;
  close(): Promise<void>;
}

export function runWrite<K extends WriteName>(db: Kysely<Database>, name: K, args: WriteArgs<K>): Promise<WriteResult<K>> {
  // The map's entries are one function type per name; TypeScript cannot relate a name to its entry's parameters.
  const operation = WRITE_OPERATIONS[name] as unknown as (db: Kysely<Database>, ...args: WriteArgs<K>) => Promise<WriteResult<K>>;
  return operation(db, ...args);
}

/** `writes`, each one's change told to `notice` as soon as it is committed, before its result is returned. */
export function noticingChanges(writes: Writes, notice: (change: DataChange) => void): Writes {
  return {
    run: (name, ...args) =>
      writes.run(name, ...args).then((result) => {
        // Every operation's result is a Committed or undefined (WRITE_OPERATIONS says so).
        const change = (result as Committed | undefined)?.change;
        if (change) notice(change);
        return result;
      }),
    close: () => writes.close(),
  };
}

/** The writes run on `db`, on the calling thread. */
export function inProcessWrites(db: Kysely<Database>): Writes {
  return { run: (name, ...args) => runWrite(db, name, args), close: async () => {} };
}
