import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { Worker } from 'node:worker_threads';

/**
 * Copies SQLite's write-ahead log back into the database file from a thread of its own.
 *
 * better-sqlite3 runs every statement on the server's one thread. Left to SQLite, a commit that
 * fills the log past its threshold runs the checkpoint itself, and with it the fsyncs: the whole
 * server stops for milliseconds, every few dozen writes. Here the server's connection never
 * checkpoints; a second connection in a worker runs PASSIVE checkpoints, which never block
 * readers or writers, a few times a second.
 *
 * A PASSIVE checkpoint copies the log back but never starts it over: only a writer that finds it
 * wholly copied does, and under a steady stream of writes one always commits while the checkpoint
 * runs. Measured with the benchmark's writer alone (100 writes a second), the log grew by 10 MB a
 * second for as long as the writes went on. So once the log holds `RESTART_FRAMES` frames, the
 * worker follows a PASSIVE checkpoint that copied all it found with a RESTART one, after which the
 * next writer starts the log over. That one takes the write lock, but waits neither for it nor
 * for readers still on the log (it is tried again soon after), and keeps the server's
 * writes waiting only while it copies what was committed since the PASSIVE one ended.
 */

const CHECKPOINT_INTERVAL_MS = 250;
/**
 * About 32 MB of log: a restart every few seconds at 100 writes a second. At 1,000 frames
 * (SQLite's own checkpoint size) they came twice a second and the writes' p99 rose from 15 ms to
 * 22 ms, since each RESTART syncs the database file while writes wait.
 */
export const RESTART_FRAMES = 8192;
/**
 * A RESTART that found the write lock taken is tried again this soon, up to this many times in a
 * row: under writes that never paused, waiting for the next tick let the log reach 59 MB.
 */
const RESTART_RETRY_MS = 5;
const RESTART_QUICK_RETRIES = 20;

/** The log size at which the server's own connection checkpoints again if the worker is gone: SQLite's default. */
export const FALLBACK_AUTOCHECKPOINT_PAGES = 1000;

// Evaluated as CommonJS in the worker: it needs no loader, so it runs alike from src (tsx, vitest) and dist.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const SQLite = require(workerData.driver);
const db = new SQLite(workerData.file);
// Never waits for a lock: a checkpoint that cannot have one now answers busy instead.
db.pragma('busy_timeout = 0');
let timer;
let quickRetries = 0;
let restarts = workerData.restarts;
const checkpoint = () => {
  let next = workerData.intervalMs;
  try {
    const [{ log, checkpointed }] = db.pragma('wal_checkpoint(PASSIVE)');
    if (restarts && log >= workerData.restartFrames && checkpointed === log) {
      const [{ busy }] = db.pragma('wal_checkpoint(RESTART)');
      // Busy: a write, or a reader still on the log, was in the way. The server's are short, so
      // a retry soon after usually gets through; past the quick retries, the next tick tries.
      if (busy && quickRetries < workerData.quickRetries) {
        quickRetries++;
        next = workerData.retryMs;
      } else quickRetries = 0;
    }
  } catch (error) {
    if (!String(error.code).startsWith('SQLITE_BUSY')) throw error;
  }
  timer = setTimeout(checkpoint, next);
};
timer = setTimeout(checkpoint, workerData.intervalMs);
parentPort.on('message', (message) => {
  if (message === 'stop') {
    clearTimeout(timer);
    db.close();
    parentPort.close();
  } else restarts = message.restarts;
});
`;

/** This process's workers, each with the file whose log it copies back (as an absolute path). */
const workers = new Map<Worker, string>();
/** Files whose workers hold their RESTARTs, with how many bulk writes asked. */
const restartHolds = new Map<string, number>();

const tellWorkers = (file: string, restarts: boolean) => {
  for (const [worker, of] of workers) if (of === file) worker.postMessage({ restarts });
};

/**
 * Stops the RESTART checkpoints of this process's workers on `file` until the returned function
 * is called: for a bulk write, whose transactions each commit tens of megabytes of log. A RESTART copies what
 * was committed since the PASSIVE checkpoint before it while holding the write lock, so after a
 * batch it can keep the next one (and any other writer) waiting: an import once failed with
 * "database is locked" when its 5 s busy timeout ran out. The log does not grow for want of
 * them: the bulk writer's transactions come one at a time, and the first to find the log wholly
 * copied by the PASSIVE ones starts it over.
 */
export function holdRestarts(file: string): () => void {
  const key = resolve(file);
  const holds = restartHolds.get(key) ?? 0;
  restartHolds.set(key, holds + 1);
  if (holds === 0) tellWorkers(key, false);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    const left = restartHolds.get(key)! - 1;
    if (left > 0) restartHolds.set(key, left);
    else {
      restartHolds.delete(key);
      tellWorkers(key, true);
    }
  };
}

export interface Checkpointer {
  /** Stops the worker and closes its connection; the caller's connection then takes over on close. */
  stop(): Promise<void>;
}

/**
 * Starts checkpointing `file` from a worker. `onExit` runs if the worker ends by itself (it
 * failed), so the caller can give checkpoints back to its own connection.
 */
export function startCheckpointer(file: string, onExit: (error?: Error) => void): Checkpointer {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: {
      file,
      driver,
      intervalMs: CHECKPOINT_INTERVAL_MS,
      restartFrames: RESTART_FRAMES,
      retryMs: RESTART_RETRY_MS,
      quickRetries: RESTART_QUICK_RETRIES,
      restarts: !restartHolds.has(resolve(file)),
    },
  });
  workers.set(worker, resolve(file));
  // It must never keep the process alive on its own.
  worker.unref();
  let stopping = false;
  let failure: Error | undefined;
  worker.on('error', (error) => (failure = error));
  const exited = new Promise<void>((resolve) =>
    worker.once('exit', () => {
      workers.delete(worker);
      if (!stopping) onExit(failure);
      resolve();
    }),
  );
  return {
    stop: async () => {
      stopping = true;
      // Held while it closes: an unreferenced worker would let the process end before `exited`.
      worker.ref();
      worker.postMessage('stop');
      await exited;
    },
  };
}
