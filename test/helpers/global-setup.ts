import pg from 'pg';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Admin URL of the PostgreSQL server the suite creates its databases on, or null to skip PostgreSQL. */
    postgresUrl: string | null;
  }
}

export const POSTGRES_ADMIN_URL = process.env.PARLEY_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** Under CI the PostgreSQL half of the suite is mandatory; locally it may be skipped, visibly. */
export default async function setup(project: TestProject) {
  const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('select 1');
    project.provide('postgresUrl', POSTGRES_ADMIN_URL);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    if (process.env.CI === 'true') {
      throw new Error(`PostgreSQL at ${POSTGRES_ADMIN_URL} is unreachable (${reason}); CI requires the PostgreSQL suite`);
    }
    console.warn(`\n*** PostgreSQL at ${POSTGRES_ADMIN_URL} is unreachable (${reason}): SKIPPING the PostgreSQL half of the suite ***\n`);
    project.provide('postgresUrl', null);
  } finally {
    await client.end().catch(() => {});
  }
}
