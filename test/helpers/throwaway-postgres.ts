import { execFile } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { freePort } from './server-process.js';

/**
 * A PostgreSQL cluster of a test's own, in a temporary directory, on a loopback port of its own:
 * a test may stop and start it at will, which it must never do to the shared server on 5432.
 */

const run = promisify(execFile);
const PACKAGE_ROOT = '/usr/lib/postgresql';

/** The newest `/usr/lib/postgresql/<version>/bin` that holds `initdb` and `pg_ctl`, or null. */
export function postgresBinDir(): string | null {
  if (!existsSync(PACKAGE_ROOT)) return null;
  const versions = readdirSync(PACKAGE_ROOT)
    .filter((name) => /^\d+$/.test(name))
    .sort((a, b) => Number(b) - Number(a));
  for (const version of versions) {
    const bin = join(PACKAGE_ROOT, version, 'bin');
    if (existsSync(join(bin, 'initdb')) && existsSync(join(bin, 'pg_ctl'))) return bin;
  }
  return null;
}

export type StopMode = 'smart' | 'fast' | 'immediate';

export interface ThrowawayPostgres {
  port: number;
  /** `postgres://postgres@127.0.0.1:<port>/<database>`; trust authentication. */
  url(database?: string): string;
  /** `pg_ctl start`, returning once the server accepts connections. */
  start(): Promise<void>;
  /** `pg_ctl stop -m <mode>`, returning once the server is gone. */
  stop(mode: StopMode): Promise<void>;
  /** Creates an empty database on the running cluster. */
  createDatabase(name: string): Promise<void>;
  /** Stops the cluster however it can and deletes its directory; never throws. */
  destroy(): Promise<void>;
  /** The server's log so far, for failure messages. */
  log(): string;
}

/** numeric uid and gid of `user`, from /etc/passwd. */
function account(user: string): { uid: number; gid: number } | null {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((entry) => entry.startsWith(`${user}:`));
  if (!line) return null;
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

/**
 * Creates the cluster (initdb) without starting it. initdb and the server refuse to run as root,
 * so as root they run as the `postgres` user, in a directory it owns.
 */
export async function createThrowawayPostgres(): Promise<ThrowawayPostgres> {
  const bin = postgresBinDir();
  if (!bin) throw new Error(`no initdb under ${PACKAGE_ROOT}/*/bin`);
  const asRoot = process.getuid?.() === 0;
  const owner = asRoot ? account('postgres') : null;
  if (asRoot && !owner) throw new Error('running as root and there is no postgres user to run the throwaway cluster as');

  const dir = mkdtempSync(join(tmpdir(), 'parley-pg-'));
  if (owner) chownSync(dir, owner.uid, owner.gid);
  const data = join(dir, 'data');
  const logFile = join(dir, 'server.log');

  const tool = (name: string, args: string[], timeoutMs = 60_000) => {
    const [file, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', join(bin, name), ...args]] : [join(bin, name), args];
    // cwd: the postgres user may not be allowed into the caller's directory, and initdb complains then.
    return run(file, argv, { cwd: dir, timeout: timeoutMs });
  };

  let port = 0;
  const url = (database = 'postgres') => `postgres://postgres@127.0.0.1:${port}/${database}`;
  const log = () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : '');

  const startOnce = () =>
    tool('pg_ctl', [
      '-D',
      data,
      '-l',
      logFile,
      '-w',
      '-t',
      '60',
      // Loopback only, its socket in its own directory, small: it holds a few rows.
      '-o',
      `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c shared_buffers=16MB -c max_connections=40 -c fsync=off`,
      'start',
    ]);

  /** The postmaster's pid, from postmaster.pid, while it has one. */
  const postmasterPid = () => {
    try {
      return Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]) || null;
    } catch {
      return null;
    }
  };

  try {
    // --no-sync: a crash of the machine may lose this cluster, which is thrown away anyway.
    await tool('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--locale=C', '--no-sync']);
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }

  return {
    get port() {
      return port;
    },
    url,
    log,
    async start() {
      // The port was free a moment ago; if something took it meanwhile, try another one.
      for (let attempt = 1; ; attempt++) {
        if (port === 0 || attempt > 1) port = await freePort();
        try {
          await startOnce();
          return;
        } catch (error) {
          if (attempt >= 3 || !/could not (bind|create listen)/i.test(log())) {
            throw new Error(`throwaway PostgreSQL did not start: ${(error as Error).message}\n${log().slice(-2000)}`);
          }
        }
      }
    },
    async stop(mode) {
      await tool('pg_ctl', ['-D', data, '-m', mode, '-w', '-t', '60', 'stop']);
    },
    async createDatabase(name) {
      const client = new pg.Client({ connectionString: url(), connectionTimeoutMillis: 5000 });
      await client.connect();
      try {
        await client.query(`create database "${name.replaceAll('"', '""')}"`);
      } finally {
        await client.end();
      }
    },
    async destroy() {
      if (postmasterPid() !== null) {
        try {
          await tool('pg_ctl', ['-D', data, '-m', 'immediate', '-w', '-t', '20', 'stop'], 30_000);
        } catch {
          // pg_ctl could not stop it: end the postmaster (and so its backends) by its pid.
          const pid = postmasterPid();
          if (pid !== null) {
            try {
              process.kill(pid, 'SIGKILL');
            } catch {
              // already gone
            }
          }
        }
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
