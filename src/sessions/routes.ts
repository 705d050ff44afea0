import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Kysely } from 'kysely';
import { requireConversationId } from '../conversations/identity.js';
import { presentConversation } from '../conversations/present.js';
import { loadConversation } from '../conversations/load.js';
import { ConversationParams } from '../conversations/schemas.js';
import type { Database } from '../db/tables.js';
import { errorResponses, pageOf } from '../shared/schemas.js';
import { toIso, toIsoOrNull } from '../shared/time.js';
import { listSessions } from './repository.js';
import { type Session, SessionListQuery, SessionListResponse } from './schemas.js';

export const sessionRoutes: FastifyPluginAsyncTypebox<{ db: Kysely<Database> }> = async (app, { db }) => {
  app.get(
    '/conversations/:uuid/sessions',
    {
      config: { etag: true },
      schema: {
        summary: "A conversation's sessions, oldest first",
        tags: ['sessions'],
        params: ConversationParams,
        querystring: SessionListQuery,
        response: { 200: SessionListResponse, ...errorResponses },
      },
    },
    async (request) => {
      const { page, per_page: perPage } = request.query;
      const workspaceId = request.workspace.id;
      const conversationId = await requireConversationId(db, workspaceId, request.params.uuid);
      const [record, { total, rows }] = await Promise.all([
        loadConversation(db, workspaceId, conversationId),
        listSessions(db, workspaceId, conversationId, { limit: perPage, offset: (page - 1) * perPage }),
      ]);
      const conversation = presentConversation(record!);
      const sessions: Session[] = rows.map((row) => ({
        uuid: row.uuid,
        started_at: toIsoOrNull(row.started_at),
        ended_at: toIsoOrNull(row.ended_at),
        last_activity_at: toIsoOrNull(row.last_activity_at),
        summary: row.summary,
        created_at: toIso(row.created_at),
        updated_at: toIso(row.updated_at),
        conversation_uuid: conversation.uuid,
        agent_uuid: conversation.agent_uuid,
        contact: conversation.contact,
        call_uuid: conversation.call?.uuid ?? null,
        campaign_uuid: conversation.campaign_uuid,
        listing_uuid: conversation.listing_uuid,
        task_uuids: conversation.task_uuids,
      }));
      return { success: true, message: 'Conversation sessions retrieved successfully', data: pageOf(sessions, total, page, perPage) };
    },
  );
};
