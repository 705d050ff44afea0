import { parentPort, workerData } from 'node:worker_threads';
import { openDatabase } from '../db/database.js';
import { queryTimingPlugin } from '../metrics/query-timing.js';
import { runWrite } from './operations.js';
import { type QueryTiming, toWire, type WriteReply, type WriteRequest } from './wire.js';

/** The write thread's side (see thread.ts): it runs each write it is sent on connections of its own and sends the outcome back. */

export interface WriteThreadData {
  url: string;
  poolSize: number | undefined;
  timeQueries: boolean;
}

const port = parentPort!;
const { url, poolSize, timeQueries } = workerData as WriteThreadData;
const handle = openDatabase({ dialect: 'postgres', url }, { postgresPoolSize: poolSize });

let timings: QueryTiming[] = [];
const db = timeQueries
  ? handle.db.withPlugin(queryTimingPlugin((operation) => ({ observe: (seconds) => timings.push([operation, seconds]) })))
  : handle.db;

function send(reply: WriteReply) {
  port.postMessage(reply);
  timings = [];
}

const running = new Set<Promise<void>>();

async function close() {
  await Promise.allSettled(running);
  await handle.close().catch(() => {});
  port.close();
}

port.on('message', (message: WriteRequest | 'close') => {
  if (message === 'close') {
    void close();
    return;
  }
  const { id, name, args } = message;
  const write = runWrite(db, name, args as never).then(
    (result) => send({ id, timings, ok: true, result }),
    (error: unknown) => send({ id, timings, ok: false, error: toWire(error) }),
  );
  running.add(write);
  void write.finally(() => running.delete(write));
});
