import { resolve } from 'node:path';

export type DatabaseTarget = { dialect: 'sqlite'; file: string } | { dialect: 'postgres'; url: string };

export interface Config {
  database: DatabaseTarget;
  port: number;
  host: string;
  /** e.g. `parley.example.com`: requests to `{subdomain}.parley.example.com` must use that workspace's token. */
  baseDomain: string | null;
  logLevel: string;
  metrics: MetricsConfig;
}

/** Whether `GET /metrics` is served, and the bearer token it then requires (null: none). */
export interface MetricsConfig {
  enabled: boolean;
  token: string | null;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

const DEFAULT_SQLITE_FILE = './data/parley.db';
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
const HOSTNAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

export function parseDatabaseUrl(raw: string | undefined): DatabaseTarget {
  const value = raw?.trim();
  if (!value) return { dialect: 'sqlite', file: resolve(DEFAULT_SQLITE_FILE) };
  if (value.startsWith('sqlite:')) {
    const file = value.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    if (!file) throw new ConfigError('DATABASE_URL "sqlite:" needs a file path, e.g. sqlite:./data/parley.db');
    return { dialect: 'sqlite', file: file === ':memory:' ? file : resolve(file) };
  }
  if (/^postgres(ql)?:\/\//.test(value)) {
    try {
      new URL(value);
    } catch {
      throw new ConfigError('DATABASE_URL is not a valid postgres:// URL');
    }
    return { dialect: 'postgres', url: value };
  }
  throw new ConfigError('DATABASE_URL must start with sqlite:, postgres:// or postgresql:// (or be unset for ./data/parley.db)');
}

function parsePort(raw: string | undefined): number {
  if (raw === undefined || raw.trim() === '') return 3000;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ConfigError(`PORT must be an integer from 0 to 65535, got "${raw}"`);
  }
  return port;
}

function parseBaseDomain(raw: string | undefined): string | null {
  const value = raw?.trim().toLowerCase().replace(/\.$/, '');
  if (!value) return null;
  if (!HOSTNAME.test(value)) throw new ConfigError(`PARLEY_BASE_DOMAIN must be a host name like parley.example.com, got "${raw}"`);
  return value;
}

function parseLogLevel(raw: string | undefined): string {
  const value = raw?.trim().toLowerCase() || 'info';
  if (!LOG_LEVELS.includes(value)) throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${raw}"`);
  return value;
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '::1', 'localhost']);
const MIN_METRICS_TOKEN = 16;

/**
 * `METRICS=on|off`; unset means on when there is a METRICS_TOKEN to guard it or when the server
 * listens on loopback only, where nobody else can scrape it, and off otherwise.
 */
export function parseMetrics(raw: string | undefined, rawToken: string | undefined, host: string): MetricsConfig {
  const token = rawToken?.trim() || null;
  if (token !== null && (token.length < MIN_METRICS_TOKEN || /\s/.test(token))) {
    throw new ConfigError(`METRICS_TOKEN must be at least ${MIN_METRICS_TOKEN} characters without spaces`);
  }
  const value = raw?.trim().toLowerCase() || 'auto';
  if (!['on', 'off', 'auto'].includes(value)) throw new ConfigError(`METRICS must be on, off or unset, got "${raw}"`);
  if (value === 'off') return { enabled: false, token: null };
  const enabled = value === 'on' || token !== null || LOOPBACK_HOSTS.has(host.toLowerCase());
  return { enabled, token: enabled ? token : null };
}

/** Every configuration problem, one message per variable, where `loadConfig` stops at the first (for `parley doctor`). */
export function configProblems(env: NodeJS.ProcessEnv = process.env): string[] {
  const host = env.HOST?.trim() || '127.0.0.1';
  const parsers = [
    () => parseDatabaseUrl(env.DATABASE_URL),
    () => parsePort(env.PORT),
    () => parseBaseDomain(env.PARLEY_BASE_DOMAIN),
    () => parseLogLevel(env.LOG_LEVEL),
    () => parseMetrics(env.METRICS, env.METRICS_TOKEN, host),
  ];
  const problems: string[] = [];
  for (const parse of parsers) {
    try {
      parse();
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      problems.push(error.message);
    }
  }
  return problems;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const host = env.HOST?.trim() || '127.0.0.1';
  return {
    database: parseDatabaseUrl(env.DATABASE_URL),
    port: parsePort(env.PORT),
    host,
    baseDomain: parseBaseDomain(env.PARLEY_BASE_DOMAIN),
    logLevel: parseLogLevel(env.LOG_LEVEL),
    metrics: parseMetrics(env.METRICS, env.METRICS_TOKEN, host),
  };
}
