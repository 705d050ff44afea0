import { randomBytes } from 'node:crypto';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe } from 'vitest';
import { type App, buildApp } from '../../src/app.js';
import type { Dialect } from '../../src/db/dialect.js';
import type { Database } from '../../src/db/tables.js';
import { createToken } from '../../src/tokens/repository.js';
import { createWorkspace } from '../../src/workspaces/repository.js';
import { createTestDatabase, DIALECTS, postgresAvailable, type TestDatabase } from './databases.js';

export type Query = Record<string, string | number | undefined>;

export interface TestWorkspace {
  id: number;
  subdomain: string;
  token: string;
  /** GET /api/v1/conversations with this workspace's token. */
  list(query?: Query | string): Promise<LightMyRequestResponse>;
  /** PUT /api/v1/conversations/{uuid} with this workspace's token. */
  put(uuid: string, body: unknown): Promise<LightMyRequestResponse>;
  /** Any request with this workspace's token. */
  request(options: InjectOptions): Promise<LightMyRequestResponse>;
}

export interface TestContext {
  dialect: Dialect;
  app: App;
  db: Kysely<Database>;
  database: TestDatabase;
  /** A new workspace with a fresh token, so every test owns its data. */
  newWorkspace(): Promise<TestWorkspace>;
}

export function toQueryString(query: Query | string = {}): string {
  if (typeof query === 'string') return query;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined) params.set(key, String(value));
  const text = params.toString();
  return text ? `?${text}` : '';
}

export function workspaceClient(app: App, id: number, subdomain: string, token: string): TestWorkspace {
  const authorization = `Bearer ${token}`;
  const request: TestWorkspace['request'] = (options) => app.inject({ ...options, headers: { authorization, ...options.headers } });
  return {
    id,
    subdomain,
    token,
    request,
    list: (query) => request({ method: 'GET', url: `/api/v1/conversations${toQueryString(query)}` }),
    put: (uuid, body) => request({ method: 'PUT', url: `/api/v1/conversations/${uuid}`, payload: body as object }),
  };
}

export interface SuiteOptions {
  baseDomain?: string;
  /** Only these dialects, for what one alone has (SQLite's write-ahead log). Default: both. */
  dialects?: Dialect[];
}

/**
 * Declares the same suite once per dialect, each on a fresh database of its own. Without a
 * reachable PostgreSQL (and only outside CI, see global-setup.ts) its half is skipped.
 */
export function describeEachDialect(name: string, body: (t: TestContext) => void, options: SuiteOptions = {}) {
  for (const dialect of options.dialects ?? DIALECTS) {
    // Skipped only when global setup found no PostgreSQL outside CI and said so loudly.
    describe.skipIf(dialect === 'postgres' && !postgresAvailable())(`${name} [${dialect}]`, () => {
      const t = { dialect } as TestContext;
      beforeAll(async () => {
        t.database = await createTestDatabase(dialect);
        t.db = t.database.db;
        t.app = await buildApp({
          config: { baseDomain: options.baseDomain ?? null },
          db: t.db,
          // As the server runs them.
          writeThread: dialect === 'postgres' ? { url: t.database.url } : undefined,
        });
        t.newWorkspace = async () => {
          const subdomain = `ws-${randomBytes(5).toString('hex')}`;
          const workspace = await createWorkspace(t.db, subdomain, subdomain);
          const { token } = await createToken(t.db, workspace.id, 'test');
          return workspaceClient(t.app, workspace.id, subdomain, token);
        };
      });
      afterAll(async () => {
        await t.app?.close();
        await t.database?.drop();
      });
      body(t);
    });
  }
}
