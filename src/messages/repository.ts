import { randomUUID } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import { requireConversationId } from '../conversations/identity.js';
import { touchConversation } from '../conversations/touch.js';
import { runCompiled } from '../db/compiled.js';
import { atLeast, atMost } from '../db/expressions.js';
import { NO_ANSWER, type WriteScope } from '../conversations/scope.js';
import { type DataChange, scopedWrite } from '../db/transaction.js';
import type { Database, EpochSeconds } from '../db/tables.js';
import { conflict, notFound } from '../http/errors.js';
import { fromIso } from '../shared/time.js';
import type { MessageInput } from './schemas.js';

export interface MessageRow {
  uuid: string;
  conversation_uuid: string;
  session_uuid: string | null;
  sender: string;
  message_type: string | null;
  content: string;
  created_at: number;
}

function selectMessages(db: Kysely<Database>, workspaceId: number) {
  return db
    .selectFrom('messages as m')
    .innerJoin('conversations as c', 'c.id', 'm.conversation_id')
    .leftJoin('sessions as s', 's.id', 'm.session_id')
    .select(['m.uuid', 'c.uuid as conversation_uuid', 's.uuid as session_uuid', 'm.sender', 'm.message_type', 'm.content', 'm.created_at'])
    .where('m.workspace_id', '=', workspaceId);
}

export async function listMessages(
  db: Kysely<Database>,
  workspaceId: number,
  conversationId: number,
  query: { sender?: string; sortDir: 'asc' | 'desc'; limit: number; offset: number },
): Promise<{ total: number; rows: MessageRow[] }> {
  let matching = db.selectFrom('messages').where('workspace_id', '=', workspaceId).where('conversation_id', '=', conversationId);
  if (query.sender !== undefined) matching = matching.where('sender', '=', query.sender);
  const { total } = await matching.select((eb) => eb.fn.countAll<number>().as('total')).executeTakeFirstOrThrow();
  if (query.offset >= Number(total)) return { total: Number(total), rows: [] };

  let page = selectMessages(db, workspaceId).where('m.conversation_id', '=', conversationId);
  if (query.sender !== undefined) page = page.where('m.sender', '=', query.sender);
  const rows = await page
    .orderBy('m.created_at', query.sortDir)
    .orderBy('m.id', query.sortDir)
    .limit(query.limit)
    .offset(query.offset)
    .execute();
  return { total: Number(total), rows };
}

/** The session a message names: created on this conversation if new, a conflict if it is another's. */
async function sessionFor(
  trx: Transaction<Database>,
  workspaceId: number,
  conversationId: number,
  uuid: string,
  at: EpochSeconds,
  now: EpochSeconds,
) {
  const session = await trx
    .selectFrom('sessions')
    .select(['id', 'conversation_id'])
    .where('workspace_id', '=', workspaceId)
    .where('uuid', '=', uuid)
    .executeTakeFirst();
  if (session && session.conversation_id !== conversationId) {
    throw conflict('session_uuid', `Session ${uuid} belongs to another conversation`);
  }
  if (session) {
    await trx
      .updateTable('sessions')
      .set({ started_at: atMost('started_at', at), last_activity_at: atLeast('last_activity_at', at), updated_at: now })
      .where('id', '=', session.id)
      .execute();
    return session.id;
  }
  const inserted = await trx
    .insertInto('sessions')
    .values({
      workspace_id: workspaceId,
      uuid,
      conversation_id: conversationId,
      started_at: at,
      last_activity_at: at,
      created_at: now,
      updated_at: now,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return inserted.id;
}

async function messageByUuid(db: Kysely<Database>, workspaceId: number, uuid: string) {
  return selectMessages(db, workspaceId).select('m.conversation_id').where('m.uuid', '=', uuid).executeTakeFirst();
}

/**
 * Appends a message and moves the conversation's `timestamp` (latest activity) and `updated_at`
 * forward, never back. With a known `uuid` it is a no-op that returns the stored message.
 */
export async function appendMessage(
  db: Kysely<Database>,
  workspaceId: number,
  conversationUuid: string,
  input: MessageInput,
  now: EpochSeconds,
): Promise<{ created: boolean; message: MessageRow; change: DataChange }> {
  const { result, change } = await scopedWrite(
    db,
    workspaceId,
    async (trx): Promise<{ created: boolean; message: MessageRow; scope: WriteScope }> => {
      const uuid = input.uuid?.toLowerCase() ?? randomUUID();
      if (input.uuid) {
        const existing = await messageByUuid(trx, workspaceId, uuid);
        if (existing) {
          const conversationId = await requireConversationId(trx, workspaceId, conversationUuid);
          if (existing.conversation_id !== conversationId) throw conflict('uuid', `Message ${uuid} belongs to another conversation`);
          const { conversation_id: _, ...message } = existing;
          return { created: false, message, scope: NO_ANSWER };
        }
      }

      const at = input.created_at === undefined ? now : fromIso(input.created_at);
      // The write transaction locked the workspace first, so a workspace's messages take their ids and
      // commit one at a time: a writer cannot take id n, stall, and commit after n + 1 had been
      // exported, where an export cursor already past n would never show it.
      const conversation = conversationUuid.toLowerCase();
      const touched = await touchConversation(trx, workspaceId, conversation, { activityAt: at, now });
      if (!touched) throw notFound('Conversation');
      const conversationId = touched.id;
      const sessionUuid = input.session_uuid?.toLowerCase() ?? null;
      const sessionId = sessionUuid ? await sessionFor(trx, workspaceId, conversationId, sessionUuid, at, now) : null;
      const message = {
        uuid,
        sender: input.sender,
        message_type: input.message_type ?? null,
        content: input.content,
        created_at: at,
      };
      const row = { ...message, workspace_id: workspaceId, conversation_id: conversationId, session_id: sessionId };
      await runCompiled(trx, 'insert message', Object.values(row), () => trx.insertInto('messages').values(row));
      // Answered from what was written, as it now stands, rather than read back.
      return { created: true, message: { ...message, conversation_uuid: conversation, session_uuid: sessionUuid }, scope: touched.scope };
    },
  );
  return { created: result.created, message: result.message, change };
}
