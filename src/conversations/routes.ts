import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Kysely } from 'kysely';
import type { Database } from '../db/tables.js';
import { notFound, validationError } from '../http/errors.js';
import { sendJson } from '../http/raw-json.js';
import { tagAnswer } from '../http/response-cache.js';
import { errorResponses } from '../shared/schemas.js';
import { nowSeconds } from '../shared/time.js';
import type { Writes } from '../writes/operations.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import { filtersOf } from './filters.js';
import { conversationJson, listCursorJson, listPageJson } from './present.js';
import { findConversationBody, listConversations } from './repository.js';
import { answerTags } from './scope.js';
import { ConversationInput, ConversationParams, ConversationResponse, ListQuery, ListResponse, StatusChange } from './schemas.js';

export const conversationRoutes: FastifyPluginAsyncTypebox<{ db: Kysely<Database>; writes: Writes }> = async (app, { db, writes }) => {
  app.get(
    '/conversations',
    {
      config: { etag: true },
      schema: {
        summary: 'Get paginated list of conversations',
        tags: ['conversations'],
        querystring: ListQuery,
        response: { 200: ListResponse, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { page, per_page: perPage, sort_by: sortBy, sort_dir: sortDir, cursor } = request.query;
      const { id: workspaceId, dataVersion } = request.workspace;
      const filters = filtersOf(request.query);
      tagAnswer(request, answerTags(filters));

      if (cursor === undefined) {
        const { total, bodies } = await listConversations(
          db,
          workspaceId,
          filters,
          { sortBy, sortDir, limit: perPage, offset: (page - 1) * perPage },
          dataVersion,
        );
        return sendJson(reply, listPageJson(bodies, total, page, perPage));
      }

      // One row past the page tells whether there is a next one.
      const after = decodeCursor(cursor, sortBy, sortDir) ?? undefined;
      const { total, bodies, positions } = await listConversations(
        db,
        workspaceId,
        filters,
        { sortBy, sortDir, limit: perPage + 1, offset: 0, after },
        dataVersion,
      );
      const last = positions[perPage - 1];
      const nextCursor = bodies.length > perPage && last ? encodeCursor({ sortBy, sortDir, ...last }) : null;
      return sendJson(reply, listCursorJson(bodies.slice(0, perPage), total, perPage, nextCursor));
    },
  );

  app.get(
    '/conversations/:uuid',
    {
      config: { etag: true },
      schema: {
        summary: 'Get one conversation',
        tags: ['conversations'],
        params: ConversationParams,
        response: { 200: ConversationResponse, ...errorResponses },
      },
    },
    async (request, reply) => {
      const body = await findConversationBody(db, request.workspace.id, request.params.uuid.toLowerCase());
      if (body === undefined) throw notFound('Conversation');
      return sendJson(reply, conversationJson(body));
    },
  );

  app.put(
    '/conversations/:uuid',
    {
      schema: {
        summary: 'Create or update a conversation',
        description: 'Takes the shape the list returns. Keys left out keep their stored value (or their default on creation); null clears.',
        tags: ['conversations'],
        params: ConversationParams,
        body: ConversationInput,
        response: { 200: ConversationResponse, 201: ConversationResponse, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { uuid } = request.params;
      if (request.body.uuid !== undefined && request.body.uuid.toLowerCase() !== uuid.toLowerCase()) {
        throw validationError('uuid', 'uuid in the body must match the uuid in the path');
      }
      const { created, conversation } = await writes.run('putConversation', request.workspace.id, uuid, request.body, nowSeconds());
      reply.code(created ? 201 : 200);
      return {
        success: true,
        message: created ? 'Conversation created successfully' : 'Conversation updated successfully',
        data: conversation,
      };
    },
  );

  app.patch(
    '/conversations/:uuid',
    {
      schema: {
        summary: 'Close or reopen a conversation',
        tags: ['conversations'],
        params: ConversationParams,
        body: StatusChange,
        response: { 200: ConversationResponse, ...errorResponses },
      },
    },
    async (request, reply) => {
      const set = await writes.run('setConversationStatus', request.workspace.id, request.params.uuid, request.body.status, nowSeconds());
      if (set === undefined) throw notFound('Conversation');
      return sendJson(reply, conversationJson(set.body, 'Conversation updated successfully'));
    },
  );
};
