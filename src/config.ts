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
  rateLimit: RateLimitConfig;
  /** Origins allowed to call the API from a browser; empty: CORS off. */
  corsOrigins: string[];
  /** How long a shutdown waits for requests in flight before the process exits anyway. */
  shutdownTimeoutMs: number;
}

/** Requests per token (per IP without one) and minute; 0: off. With `redisUrl` the counters are shared by every process using it. */
export interface RateLimitConfig {
  perMinute: number;
  redisUrl: string | null;
  redisKeyPrefix: string;
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

const DEFAULT_RATE_LIMIT_PER_MINUTE = 600;

export function parseRateLimit(
  rawPerMinute: string | undefined,
  rawRedisUrl: string | undefined,
  rawPrefix: string | undefined,
): RateLimitConfig {
  const text = rawPerMinute?.trim();
  const perMinute = text ? Number(text) : DEFAULT_RATE_LIMIT_PER_MINUTE;
  if (!Number.isInteger(perMinute) || perMinute < 0) {
    throw new ConfigError(
      `RATE_LIMIT_PER_MINUTE must be a whole number of requests per minute, 0 to turn rate limiting off, got "${rawPerMinute}"`,
    );
  }
  const redisUrl = rawRedisUrl?.trim() || null;
  if (redisUrl !== null) {
    let valid = false;
    try {
      valid = ['redis:', 'rediss:'].includes(new URL(redisUrl).protocol);
    } catch {
      valid = false;
    }
    if (!valid) throw new ConfigError('REDIS_URL must be a redis:// or rediss:// URL, e.g. redis://127.0.0.1:6379');
  }
  return { perMinute, redisUrl, redisKeyPrefix: rawPrefix?.trim() || 'parley:rate-limit:' };
}

export function parseCorsOrigins(raw: string | undefined): string[] {
  const origins = (raw ?? '')
    .split(',')
    .map((origin) => origin.trim().replace(/\/$/, ''))
    .filter(Boolean);
  for (const origin of origins) {
    let url: URL | null = null;
    try {
      url = new URL(origin);
    } catch {
      url = null;
    }
    if (!url || !['http:', 'https:'].includes(url.protocol) || url.origin !== origin.toLowerCase()) {
      throw new ConfigError(`CORS_ORIGINS must be comma-separated origins like https://app.example.com, got "${origin}"`);
    }
  }
  return origins.map((origin) => origin.toLowerCase());
}

export function parseShutdownTimeout(raw: string | undefined): number {
  const text = raw?.trim();
  const seconds = text ? Number(text) : 10;
  if (!Number.isFinite(seconds) || seconds <= 0 || seconds > 3600) {
    throw new ConfigError(`SHUTDOWN_TIMEOUT_SECONDS must be a number of seconds above 0 and at most 3600, got "${raw}"`);
  }
  return Math.round(seconds * 1000);
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
    () => parseRateLimit(env.RATE_LIMIT_PER_MINUTE, env.REDIS_URL, env.REDIS_KEY_PREFIX),
    () => parseCorsOrigins(env.CORS_ORIGINS),
    () => parseShutdownTimeout(env.SHUTDOWN_TIMEOUT_SECONDS),
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
    rateLimit: parseRateLimit(env.RATE_LIMIT_PER_MINUTE, env.REDIS_URL, env.REDIS_KEY_PREFIX),
    corsOrigins: parseCorsOrigins(env.CORS_ORIGINS),
    shutdownTimeoutMs: parseShutdownTimeout(env.SHUTDOWN_TIMEOUT_SECONDS),
  };
}
