import type { Kysely } from 'kysely';
import { runCompiled } from '../db/compiled.js';
import { dialectOf } from '../db/dialect.js';
import { idListParameter, textIdAmong } from '../db/expressions.js';
import type { Database } from '../db/tables.js';
import { nowSeconds } from '../shared/time.js';
import { issueToken } from './token.js';

export interface TokenOwner {
  workspaceId: number;
  subdomain: string;
  secretHash: string;
  /** Read with the token, in the same query, so a conditional GET needs no second one (see http/etag.ts). */
  dataVersion: number;
}

/** Creates a token and returns it in full: the only moment it exists outside the client's hands. */
export async function createToken(db: Kysely<Database>, workspaceId: number, name: string): Promise<{ token: string; id: string }> {
  const issued = issueToken();
  await db
    .insertInto('api_tokens')
    .values({ workspace_id: workspaceId, public_id: issued.publicId, name, secret_hash: issued.secretHash, created_at: nowSeconds() })
    .execute();
  return { token: issued.token, id: issued.publicId };
}

export async function listTokens(db: Kysely<Database>, workspaceId: number) {
  return db
    .selectFrom('api_tokens')
    .select(['public_id as id', 'name', 'created_at', 'revoked_at'])
    .where('workspace_id', '=', workspaceId)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
}

/** Returns false when no active token has that id. */
export async function revokeToken(db: Kysely<Database>, publicId: string): Promise<boolean> {
  const result = await db
    .updateTable('api_tokens')
    .set({ revoked_at: nowSeconds() })
    .where('public_id', '=', publicId)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** The owners of the active tokens among `publicIds`, by public id, in one statement (see `bearerAuth`). */
export async function findActiveTokens(db: Kysely<Database>, publicIds: readonly string[]): Promise<Map<string, TokenOwner>> {
  // Every API request runs it. Each id once: the requests of a batch mostly share one token.
  const ids = [...new Set(publicIds)];
  const dialect = dialectOf(db);
  const rows = await runCompiled(db, 'active tokens', [idListParameter(dialect, ids)], () =>
    db
      .selectFrom('api_tokens')
      .innerJoin('workspaces', 'workspaces.id', 'api_tokens.workspace_id')
      .select([
        'api_tokens.public_id',
        'api_tokens.workspace_id',
        'workspaces.subdomain',
        'api_tokens.secret_hash',
        'workspaces.data_version',
      ])
      .where(textIdAmong(dialect, 'api_tokens.public_id', ids))
      .where('api_tokens.revoked_at', 'is', null),
  );
  return new Map(
    rows.map((row) => [
      row.public_id,
      { workspaceId: row.workspace_id, subdomain: row.subdomain, secretHash: row.secret_hash, dataVersion: Number(row.data_version) },
    ]),
  );
}
