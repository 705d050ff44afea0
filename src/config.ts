import { resolve } from 'node:path';

export type DatabaseTarget = { dialect: 'sqlite'; file: string } | { dialect: 'postgres'; url: string };

export interface Config {
  database: DatabaseTarget;
  port: number;
  host: string;
  /** e.g. `parley.example.com`: requests to `{subdomain}.parley.example.com` must use that workspace's token. */
  baseDomain: string | null;
  logLevel: string;
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

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  return {
    database: parseDatabaseUrl(env.DATABASE_URL),
    port: parsePort(env.PORT),
    host: env.HOST?.trim() || '127.0.0.1',
    baseDomain: parseBaseDomain(env.PARLEY_BASE_DOMAIN),
    logLevel: parseLogLevel(env.LOG_LEVEL),
  };
}
