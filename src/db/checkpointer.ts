import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * Copies SQLite's write-ahead log back into the database file from a thread of its own.
 *
 * better-sqlite3 runs every statement on the server's one thread. Left to SQLite, a commit that
 * fills the log past its threshold runs the checkpoint itself, and with it the fsyncs: the whole
 * server stops for milliseconds, every few dozen writes. Here the server's connection never
 * checkpoints; a second connection in a worker runs PASSIVE checkpoints, which never block
 * readers or writers, a few times a second.
 */

const CHECKPOINT_INTERVAL_MS = 250;

/** The log size at which the server's own connection checkpoints again if the worker is gone: SQLite's default. */
export const FALLBACK_AUTOCHECKPOINT_PAGES = 1000;

// Evaluated as CommonJS in the worker: it needs no loader, so it runs alike from src (tsx, vitest) and dist.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const SQLite = require(workerData.driver);
const db = new SQLite(workerData.file);
db.pragma('busy_timeout = 5000');
const checkpoint = () => db.pragma('wal_checkpoint(PASSIVE)');
const timer = setInterval(checkpoint, workerData.intervalMs);
parentPort.on('message', () => {
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;

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
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { file, driver, intervalMs: CHECKPOINT_INTERVAL_MS } });
  // It must never keep the process alive on its own.
  worker.unref();
  let stopping = false;
  let failure: Error | undefined;
  worker.on('error', (error) => (failure = error));
  const exited = new Promise<void>((resolve) =>
    worker.once('exit', () => {
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
