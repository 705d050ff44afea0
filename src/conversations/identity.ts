import type { Kysely } from 'kysely';
import { runCompiled } from '../db/compiled.js';
import type { Database } from '../db/tables.js';
import { notFound } from '../http/errors.js';

/** The internal id of a conversation of this workspace; another workspace's uuid is simply not found. */
export async function conversationIdOf(db: Kysely<Database>, workspaceId: number, uuid: string): Promise<number | undefined> {
  const conversation = uuid.toLowerCase();
  const [row] = await runCompiled(db, 'conversation id', [workspaceId, conversation], () =>
    db.selectFrom('conversations').select('id').where('workspace_id', '=', workspaceId).where('uuid', '=', conversation),
  );
  return row?.id;
}

export async function requireConversationId(db: Kysely<Database>, workspaceId: number, uuid: string): Promise<number> {
  const id = await conversationIdOf(db, workspaceId, uuid);
  if (id === undefined) throw notFound('Conversation');
  return id;
}
