import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CACHE_DIR } from './dataset.js';
import { type Child, freePort, spawnTsx, waitUntilReady } from './processes.js';

export interface Ceiling {
  origin: string;
  /** Size of the body it serves, bytes. */
  bytes: number;
  child: Child;
}

/** Starts the bare server serving exactly `body`, the bytes of a real default page. */
export async function startCeiling(body: Buffer, label: string): Promise<Ceiling> {
  const bodyFile = join(CACHE_DIR, `ceiling-${label}.json`);
  writeFileSync(bodyFile, body);
  const port = await freePort();
  const child = spawnTsx(
    'bench/ceiling-server.ts',
    { CEILING_BODY: bodyFile, PORT: String(port) },
    join(CACHE_DIR, `ceiling-${label}.log`),
  );
  const origin = `http://127.0.0.1:${port}`;
  await waitUntilReady(child, `${origin}/`, {}, 30_000);
  return { origin, bytes: body.length, child };
}
