import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Kysely } from 'kysely';
import type { Database } from '../db/tables.js';
import { validationError } from '../http/errors.js';
import { errorResponses } from '../shared/schemas.js';
import { fromIso, nowSeconds, toIso } from '../shared/time.js';
import { exportMessages } from './repository.js';
import { type ExportedMessage, MessageExportQuery, MessageExportResponse } from './schemas.js';

/** Opaque to clients; inside, the id of the last message handed out. */
const encodeCursor = (id: number) => Buffer.from(`m:${id}`).toString('base64url');

function decodeCursor(cursor: string | undefined): number {
  if (cursor === undefined) return 0;
  const match = /^m:(\d{1,15})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match) throw validationError('cursor', 'cursor is not one this API handed out');
  return Number(match[1]);
}

export const analyticsRoutes: FastifyPluginAsyncTypebox<{ db: Kysely<Database> }> = async (app, { db }) => {
  app.get(
    '/analytics/messages',
    {
      schema: {
        summary: 'Raw export of messages across all conversations, cursor-paginated',
        tags: ['analytics'],
        querystring: MessageExportQuery,
        response: { 200: MessageExportResponse, ...errorResponses },
      },
    },
    async (request) => {
      const q = request.query;
      const from = fromIso(q.from);
      const to = fromIso(q.to);
      if (to <= from) throw validationError('to', 'to must be later than from');
      const rows = await exportMessages(db, request.workspace.id, {
        from,
        to,
        channel: q.channel,
        agentUuid: q.agent_uuid?.toLowerCase(),
        campaignUuid: q.campaign_uuid?.toLowerCase(),
        afterId: decodeCursor(q.cursor),
        limit: q.limit + 1,
      });
      const hasMore = rows.length > q.limit;
      const page = hasMore ? rows.slice(0, q.limit) : rows;
      // A cursor is handed out even at the end, so a sync can resume from there once more messages arrive.
      const last = page[page.length - 1];
      const nextCursor = last ? encodeCursor(last.id) : (q.cursor ?? null);
      const messages: ExportedMessage[] = page.map((row) => ({
        message_uuid: row.message_uuid,
        conversation_uuid: row.conversation_uuid,
        session_uuid: row.session_uuid,
        contact_uuid: row.contact_uuid,
        agent_uuid: row.agent_uuid,
        channel: row.channel.toLowerCase(),
        channel_label: row.channel as ExportedMessage['channel_label'],
        direction: row.sender === 'Contact' ? 'inbound' : 'outbound',
        sender: row.sender as ExportedMessage['sender'],
        message_type: row.message_type,
        content: row.content,
        created_at: toIso(row.created_at),
      }));
      return {
        meta: {
          from: toIso(from),
          to: toIso(to),
          channel: q.channel ?? null,
          agent_uuid: q.agent_uuid?.toLowerCase() ?? null,
          campaign_uuid: q.campaign_uuid?.toLowerCase() ?? null,
          generated_at: toIso(nowSeconds()),
        },
        messages,
        pagination: { next_cursor: nextCursor, has_more: hasMore, limit: q.limit },
      };
    },
  );
};
