import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Child processes of the benchmark: every one is registered at spawn and killed by `stopAll`,
 * which run.ts calls on success, on error, on a signal and at the deadline alike.
 */

export const ROOT = fileURLToPath(new URL('..', import.meta.url));

const children = new Set<ChildProcess>();

export interface Child {
  process: ChildProcess;
  pid: number;
  log: string;
  stop(): Promise<void>;
}

/** `node <args>` from the project root, its output appended to `log`; its standard input a pipe when `stdin` says so. */
function spawnNode(args: string[], env: Record<string, string>, log: string, stdin: 'ignore' | 'pipe' = 'ignore'): Child {
  const out = openSync(log, 'a');
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: [stdin, out, out],
  });
  closeSync(out);
  if (child.pid === undefined) throw new Error(`could not start ${args.join(' ')}`);
  children.add(child);
  child.once('exit', () => children.delete(child));
  return { process: child, pid: child.pid, log, stop: () => stop(child) };
}

/** `node --import tsx <script>` from the project root, its output appended to `log`. */
export const spawnTsx = (script: string, env: Record<string, string>, log: string): Child =>
  spawnNode(['--import', 'tsx', script], env, log);

/** `node <script> <args>` of the compiled build (see `buildServer`), as a deployment runs it. */
export const spawnBuilt = (
  script: string,
  env: Record<string, string>,
  log: string,
  args: string[] = [],
  stdin: 'ignore' | 'pipe' = 'ignore',
): Child => spawnNode([script, ...args], env, log, stdin);

/** `npm run build`: src/ compiled to dist/. */
export function buildServer(): void {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const result = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: ROOT, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`npm run build failed:\n${result.stdout}${result.stderr}`);
}

/** SIGTERM, then SIGKILL if the process is still there after `graceMs`. */
async function stop(child: ChildProcess, graceMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

export async function stopAll(): Promise<void> {
  await Promise.all([...children].map((child) => stop(child)));
}

/** For `process.on('exit')`, where nothing asynchronous runs any more. */
export function killAllNow(): void {
  for (const child of children) child.kill('SIGKILL');
}

/** A port the kernel just handed out on loopback; free again by the time it is returned. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Polls `url` until it answers 200, the child exits, or `timeoutMs` passes. */
export async function waitUntilReady(child: Child, url: string, headers: Record<string, string>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    if (child.process.exitCode !== null || child.process.signalCode !== null) {
      throw new Error(`${url}: the server exited before answering (see ${child.log}):\n${tail(child.log)}`);
    }
    try {
      const response = await fetch(url, { headers, signal: AbortSignal.timeout(2000) });
      await response.arrayBuffer();
      if (response.status === 200) return;
      last = `status ${response.status}`;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    await sleep(200);
  }
  throw new Error(`${url} was not ready within ${timeoutMs / 1000} s (${last}); see ${child.log}`);
}

/** The last lines of a log file, for error messages. */
export function tail(file: string, lines = 20): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/** Peak resident set size of a running process, in bytes (VmHWM in /proc/<pid>/status); null where /proc has no answer. */
export function peakRss(pid: number): number | null {
  try {
    const match = /^VmHWM:\s+(\d+)\s+kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** CPU time a running process has used, in clock ticks (utime + stime in /proc/<pid>/stat); null where /proc has no answer. */
function cpuTicks(pid: number): number | null {
  try {
    // The fields after the command name, which is in parentheses and may hold spaces and parentheses.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(') ') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return null;
  }
}

/** Linux's USER_HZ, the unit of /proc's CPU times, is 100 on every architecture Node runs on. */
const TICKS_PER_SECOND = 100;

/**
 * Waits until `pid` has used under a twentieth of a core over a quarter second, or for `maxMs`:
 * a ceiling measured while Parley still checkpoints what the writer left would be measured on a
 * busier machine than the shapes next to it were. Without /proc it waits a fixed second instead.
 */
export async function waitUntilIdle(pid: number, maxMs = 10_000): Promise<void> {
  const intervalMs = 250;
  let last = cpuTicks(pid);
  if (last === null) {
    await sleep(1_000);
    return;
  }
  for (let waited = 0; waited < maxMs; waited += intervalMs) {
    await sleep(intervalMs);
    const now = cpuTicks(pid);
    if (now === null) return;
    if (((now - last) / TICKS_PER_SECOND) * 1000 < intervalMs / 20) return;
    last = now;
  }
}
