import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Kysely } from 'kysely';
import { requireConversationId } from '../conversations/identity.js';
import { ConversationParams } from '../conversations/schemas.js';
import type { Database } from '../db/tables.js';
import { errorResponses, pageOf } from '../shared/schemas.js';
import { nowSeconds } from '../shared/time.js';
import type { Writes } from '../writes/operations.js';
import { presentMessage } from './present.js';
import { listMessages } from './repository.js';
import { MessageInput, MessageListQuery, MessageListResponse, MessageResponse } from './schemas.js';

export const messageRoutes: FastifyPluginAsyncTypebox<{ db: Kysely<Database>; writes: Writes }> = async (app, { db, writes }) => {
  app.get(
    '/conversations/:uuid/messages',
    {
      config: { etag: true },
      schema: {
        summary: "A conversation's transcript, paginated",
        tags: ['messages'],
        params: ConversationParams,
        querystring: MessageListQuery,
        response: { 200: MessageListResponse, ...errorResponses },
      },
    },
    async (request) => {
      const { page, per_page: perPage, sender, sort_dir: sortDir } = request.query;
      const conversationId = await requireConversationId(db, request.workspace.id, request.params.uuid);
      const { total, rows } = await listMessages(db, request.workspace.id, conversationId, {
        sender,
        sortDir,
        limit: perPage,
        offset: (page - 1) * perPage,
      });
      return {
        success: true,
        message: 'Conversation messages retrieved successfully',
        data: pageOf(rows.map(presentMessage), total, page, perPage),
      };
    },
  );

  app.post(
    '/conversations/:uuid/messages',
    {
      schema: {
        summary: 'Append a message to a conversation',
        description:
          "Idempotent on `uuid` when given: the same uuid again answers 200 with the stored message. Moves the conversation's `timestamp` and `updated_at` forward.",
        tags: ['messages'],
        params: ConversationParams,
        body: MessageInput,
        response: { 200: MessageResponse, 201: MessageResponse, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { created, message } = await writes.run('appendMessage', request.workspace.id, request.params.uuid, request.body, nowSeconds());
      reply.code(created ? 201 : 200);
      return {
        success: true,
        message: created ? 'Message created successfully' : 'Message already exists',
        data: presentMessage(message),
      };
    },
  );
};
