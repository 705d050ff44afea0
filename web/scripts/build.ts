/**
 * Builds the web inbox into web/dist with Vite.
 *
 *   tsx web/scripts/build.ts               build (npm run build:web)
 *   tsx web/scripts/build.ts --optional    build, or explain and succeed when Vite is not installed (npm's prepare)
 *   tsx web/scripts/build.ts --if-stale    build only when a source is newer than the last build (the e2e tests)
 *
 * `--optional` exists for `npm install --omit=dev`: Vite is a dev dependency, and an install without
 * it must not fail. The server then says at `/` how to build the inbox.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
// A type only, erased from the output: the import itself must be allowed to fail (see --optional).
import type * as Vite from 'vite';

const WEB = fileURLToPath(new URL('..', import.meta.url));
const CONFIG = join(WEB, 'vite.config.ts');
const BUILT = join(WEB, 'dist', 'index.html');
/** What the build reads: the inbox's sources and the typed client's. */
const SOURCES = [join(WEB, 'src'), join(WEB, 'index.html'), CONFIG, join(WEB, '..', 'clients', 'typescript', 'src')];

function newestChange(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(stat.mtimeMs, ...readdirSync(path).map((name) => newestChange(join(path, name))));
}

/** True when there is no build, or some source changed after it. */
export function webBuildIsStale(): boolean {
  if (!existsSync(BUILT)) return true;
  const built = statSync(BUILT).mtimeMs;
  return SOURCES.some((source) => existsSync(source) && newestChange(source) > built);
}

/** `vite build` of the inbox; the same as `npm run build:web`. */
export async function buildWeb(): Promise<void> {
  const vite: typeof Vite = await import('vite');
  await vite.build({ configFile: CONFIG, logLevel: 'warn' });
}

async function main(args: string[]) {
  if (args.includes('--if-stale') && !webBuildIsStale()) {
    console.log('web inbox: build is up to date');
    return;
  }
  try {
    await import('vite');
  } catch (error) {
    if (!args.includes('--optional')) throw error;
    console.warn('web inbox: Vite is not installed (npm install without dev dependencies?), so the inbox was not built.');
    console.warn('web inbox: install the dev dependencies and run `npm run build:web` to serve it at /.');
    return;
  }
  await buildWeb();
  console.log(`web inbox: built into ${join(WEB, 'dist')}`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    console.error('web inbox: build failed:', error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
