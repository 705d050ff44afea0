import type { Kysely } from 'kysely';
import type { Database } from '../db/tables.js';

export async function listSessions(
  db: Kysely<Database>,
  workspaceId: number,
  conversationId: number,
  page: { limit: number; offset: number },
) {
  const matching = db.selectFrom('sessions').where('workspace_id', '=', workspaceId).where('conversation_id', '=', conversationId);
  const { total } = await matching.select((eb) => eb.fn.countAll<number>().as('total')).executeTakeFirstOrThrow();
  const rows =
    page.offset >= Number(total)
      ? []
      : await matching
          .select(['uuid', 'started_at', 'ended_at', 'last_activity_at', 'summary', 'created_at', 'updated_at'])
          .orderBy('created_at')
          .orderBy('id')
          .limit(page.limit)
          .offset(page.offset)
          .execute();
  return { total: Number(total), rows };
}

export type SessionRow = Awaited<ReturnType<typeof listSessions>>['rows'][number];
