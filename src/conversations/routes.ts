import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Kysely } from 'kysely';
import type { Database } from '../db/tables.js';
import { validationError } from '../http/errors.js';
import { ErrorEnvelope } from '../shared/schemas.js';
import { hasDigit, normalisePhone } from './phone.js';
import { presentConversation } from './present.js';
import { listConversations } from './repository.js';
import { ConversationInput, ConversationParams, ConversationResponse, ListQuery, ListResponse } from './schemas.js';
import { putConversation } from './write.js';

const errors = { 400: ErrorEnvelope, 401: ErrorEnvelope, 404: ErrorEnvelope, 409: ErrorEnvelope, 413: ErrorEnvelope, 422: ErrorEnvelope };

function filtersOf(query: ListQuery) {
  let phone: string | undefined;
  if (query.phone !== undefined) {
    phone = normalisePhone(query.phone);
    if (!hasDigit(phone)) throw validationError('phone', 'phone must contain at least one digit');
  }
  return {
    phone,
    contactUuid: query.contact_uuid?.toLowerCase(),
    agentUuid: query.agent_uuid?.toLowerCase(),
    campaignUuid: query.campaign_uuid?.toLowerCase(),
    taskUuid: query.task_uuid?.toLowerCase(),
    channel: query.channel,
    status: query.status,
  };
}

export const conversationRoutes: FastifyPluginAsyncTypebox<{ db: Kysely<Database> }> = async (app, { db }) => {
  app.get(
    '/conversations',
    {
      schema: {
        summary: 'Get paginated list of conversations',
        tags: ['conversations'],
        querystring: ListQuery,
        response: { 200: ListResponse, ...errors },
      },
    },
    async (request) => {
      const { page, per_page: perPage, sort_by: sortBy, sort_dir: sortDir } = request.query;
      const { total, records } = await listConversations(db, request.workspace.id, filtersOf(request.query), {
        sortBy,
        sortDir,
        limit: perPage,
        offset: (page - 1) * perPage,
      });
      return {
        success: true,
        message: 'Conversations retrieved successfully',
        data: {
          current_page: page,
          data: records.map(presentConversation),
          per_page: perPage,
          total,
          last_page: Math.max(1, Math.ceil(total / perPage)),
        },
      };
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
        response: { 200: ConversationResponse, 201: ConversationResponse, ...errors },
      },
    },
    async (request, reply) => {
      const { uuid } = request.params;
      if (request.body.uuid !== undefined && request.body.uuid.toLowerCase() !== uuid.toLowerCase()) {
        throw validationError('uuid', 'uuid in the body must match the uuid in the path');
      }
      const { created, conversation } = await putConversation(db, request.workspace.id, uuid, request.body);
      reply.code(created ? 201 : 200);
      return {
        success: true,
        message: created ? 'Conversation created successfully' : 'Conversation updated successfully',
        data: conversation,
      };
    },
  );
};
