import { buildApp } from './app.js';
import { ConfigError, loadConfig } from './config.js';
import { openDatabase } from './db/database.js';
import { migrateToLatest } from './db/migrate.js';
import { seedDemoWorkspace } from './demo/demo-workspace.js';
import { keepHeapNearLiveSize } from './shared/heap.js';

/**
 * The server's SQLite page cache. SQLite's 2 MB holds little of a million-row workspace's index
 * pages, so every list request and write read most of its pages through the OS again: measured
 * on the benchmark's database, 64 MB took a sixth off the benchmark writer's average write and a
 * quarter off an agent+status+channel page's SQL, and the server peaked at 225 MB.
 */
const SERVER_PAGE_CACHE_MIB = 64;

/**
 * The write thread's connections (see writes/thread.ts): a workspace's writes run one transaction
 * at a time anyway, so a few serve many workspaces' writes.
 */
const WRITE_THREAD_POOL_SIZE = 4;

async function main() {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`parley: ${error.message}`);
      process.exit(1);
    }
    throw error;
  }

  keepHeapNearLiveSize();
  const database = openDatabase(config.database, { sqlitePageCacheMiB: SERVER_PAGE_CACHE_MIB });
  await migrateToLatest(database.db);
  const demo = config.database.dialect === 'sqlite' ? await seedDemoWorkspace(database.db) : null;

  const { database: target } = config;
  const app = await buildApp({
    config,
    db: database.db,
    // SQLite's writes stay on this thread: its statements are calls, not round trips (see writes/thread.ts).
    writeThread: target.dialect === 'postgres' ? { url: target.url, poolSize: WRITE_THREAD_POOL_SIZE } : undefined,
    logger: { level: config.logLevel },
  });
  let shuttingDown = false;
  const shutdown = async (signal: string) => {
    if (shuttingDown) {
      app.log.warn({ signal }, 'second signal: exiting without waiting');
      process.exit(1);
    }
    shuttingDown = true;
    app.log.info({ signal }, 'shutting down: no new connections, finishing requests in flight');
    // A request that never ends (a client that stops sending mid-body) must not hold the process forever.
    setTimeout(() => {
      app.log.error({ timeoutMs: config.shutdownTimeoutMs }, 'shutdown timed out: exiting with requests unfinished');
      process.exit(1);
    }, config.shutdownTimeoutMs).unref();
    try {
      // Stops listening, closes idle keep-alive connections and waits for the requests in flight.
      await app.close();
      await database.close();
    } catch (error) {
      app.log.error({ err: error }, 'shutdown failed');
      process.exit(1);
    }
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));

  await app.listen({ port: config.port, host: config.host });
  if (demo) {
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    const host = config.host.includes(':') ? `[${config.host}]` : config.host;
    console.log(
      [
        '',
        `Created workspace "demo" with ${demo.conversations} conversations. Its API token (shown once):`,
        '',
        `  ${demo.token}`,
        '',
        'Try it:',
        '',
        `  curl -s 'http://${host}:${port}/api/v1/conversations?per_page=2' -H 'Authorization: Bearer ${demo.token}'`,
        '',
      ].join('\n'),
    );
  }
}

main().catch((error: unknown) => {
  console.error('parley: failed to start:', error instanceof Error ? error.message : error);
  process.exit(1);
});
