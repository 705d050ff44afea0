import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { CACHE_DIR, type Dataset } from './dataset.js';
import { type Child, freePort, spawnBuilt, waitUntilReady } from './processes.js';
import { LIST_PATH } from './shapes.js';

export interface Parley {
  origin: string;
  /** The big workspace's token, and the headers that carry it. */
  token: string;
  headers: Record<string, string>;
  child: Child;
}

/**
 * Parley itself, as a deployment runs it: `node dist/server.js` (run.ts builds it first), on the
 * dataset's working copy. Not under tsx, whose loader alone holds some 50 MB.
 */
export async function startParley(dataset: Dataset): Promise<Parley> {
  const port = await freePort();
  const log = join(CACHE_DIR, `server-${dataset.dialect}.log`);
  rmSync(log, { force: true });
  const child = spawnBuilt(
    'dist/server.js',
    {
      DATABASE_URL: dataset.url,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      PARLEY_BASE_DOMAIN: '',
      // For the rate limiter to come: the benchmark is one client sending as fast as it can.
      RATE_LIMIT_PER_MINUTE: '0',
    },
    log,
  );
  const origin = `http://127.0.0.1:${port}`;
  const headers = { authorization: `Bearer ${dataset.token}` };
  await waitUntilReady(child, `${origin}${LIST_PATH}?per_page=1`, headers, 120_000);
  return { origin, token: dataset.token, headers, child };
}
