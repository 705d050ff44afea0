import { Worker } from 'node:worker_threads';
import type { TimerOf } from '../metrics/query-timing.js';
import type { WriteArgs, WriteName, WriteResult, Writes } from './operations.js';
import { fromWire, type WriteReply, type WriteRequest } from './wire.js';
import type { WriteThreadData } from './worker.js';

/**
 * The API's writes on PostgreSQL, run in a worker thread with connections of its own.
 *
 * A write is a dozen statements or more, each a round trip whose answer waits its turn on the
 * server's event loop, which list requests keep busy: measured under the benchmark's reads,
 * writes fell behind a steady 100 a second, seconds late. In the thread they wait on a loop that
 * has nothing else to do, and the server's thread only hands each write over and takes its answer
 * back. SQLite's writes stay on the server's thread: its statements are calls, not round trips,
 * and in the thread (tried, on a second connection) its writes answered later and its reads no
 * faster.
 *
 * Answers are plain data, errors included (see wire.ts): the error handler answers a write's
 * error as it would have answered it on this thread. Should the thread die, the writes it held
 * fail with a 500 and the next write starts a new one.
 */

export interface WriteThreadTarget {
  /** The PostgreSQL database the server's own connections are on. */
  url: string;
  /** At most this many connections of the thread's own (10). */
  poolSize?: number;
}

export interface WriteThreadOptions extends WriteThreadTarget {
  /** Where the thread's query times go (the metrics' query histogram); null: not timed. */
  timerOf?: TimerOf | null;
}

/**
 * The thread's young generation, in MB, where V8 would give it the main thread's: its writes'
 * short-lived objects fit, and the server's peak RSS under the benchmark's phone fragments with
 * writes fell from 304–313 MB to 273–277 MB with it, at the same rates.
 */
const YOUNG_GENERATION_MB = 6;

interface Pending {
  resolve(result: unknown): void;
  reject(error: unknown): void;
}

/** From dist/, the compiled worker; from src/ (tsx, vitest), a start that registers tsx's loader in the thread first. */
function workerEntry(): { filename: string | URL; eval: boolean } {
  if (!import.meta.url.endsWith('.ts')) return { filename: new URL('./worker.js', import.meta.url), eval: false };
  const tsx = JSON.stringify(import.meta.resolve('tsx/esm/api'));
  const worker = JSON.stringify(new URL('./worker.ts', import.meta.url).href);
  return { filename: `import(${tsx}).then((tsx) => { tsx.register(); return import(${worker}); });`, eval: true };
}

export function startWriteThread({ url, poolSize, timerOf = null }: WriteThreadOptions): Writes {
  const workerData: WriteThreadData = { url, poolSize, timeQueries: timerOf !== null };
  const pending = new Map<number, Pending>();
  let nextId = 1;
  let worker: Worker | null = null;
  let exited: Promise<void> = Promise.resolve();

  function settle(reply: WriteReply) {
    if (timerOf) for (const [operation, seconds] of reply.timings) timerOf(operation).observe(seconds);
    const waiting = pending.get(reply.id);
    if (!waiting) return;
    pending.delete(reply.id);
    if (pending.size === 0) worker?.unref();
    if (reply.ok) waiting.resolve(reply.result);
    else waiting.reject(fromWire(reply.error));
  }

  function spawn(): Worker {
    const entry = workerEntry();
    const started = new Worker(entry.filename, {
      workerData,
      eval: entry.eval,
      resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB },
    });
    let failure: Error | undefined;
    started.on('message', settle);
    started.on('error', (error) => (failure = error));
    exited = new Promise((resolve) =>
      started.once('exit', () => {
        if (worker === started) worker = null;
        const error = new Error(`the write thread stopped${failure ? `: ${failure.message}` : ''}`);
        for (const waiting of pending.values()) waiting.reject(error);
        pending.clear();
        resolve();
      }),
    );
    return started;
  }

  return {
    run<K extends WriteName>(name: K, ...args: WriteArgs<K>): Promise<WriteResult<K>> {
      worker ??= spawn();
      // Held while it has writes to answer; an idle thread must not keep the process alive.
      if (pending.size === 0) worker.ref();
      const id = nextId++;
      const request: WriteRequest = { id, name, args };
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve: resolve as Pending['resolve'], reject });
        worker!.postMessage(request);
      });
    },
    /** After the requests in flight: the thread finishes what it was sent, closes its connection and ends. */
    async close() {
      if (worker) {
        const closing = worker;
        worker = null;
        // Held while it closes: an unreferenced worker would let the process end first.
        closing.ref();
        closing.postMessage('close');
      }
      await exited;
    },
  };
}
