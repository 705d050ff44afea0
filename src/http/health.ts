import type { FastifyInstance } from 'fastify';
import { type Kysely, sql } from 'kysely';
import { Type } from 'typebox';
import type { Database } from '../db/tables.js';
import { ErrorEnvelope } from '../shared/schemas.js';
import { AppError } from './errors.js';

const READY_TIMEOUT_MS = 1500;

const unavailable = () =>
  new AppError('SERVICE_UNAVAILABLE', 'Service temporarily unavailable', 'The database cannot be reached; try again shortly');

/** `select 1`, or a rejection when it fails or takes longer than `timeoutMs`. */
export async function pingDatabase(db: Kysely<Database>, timeoutMs = READY_TIMEOUT_MS): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('database ping timed out')), timeoutMs);
  });
  try {
    await Promise.race([sql`select 1`.execute(db), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Once `app.close()` has begun, a request that still arrives on an open keep-alive connection is
 * refused with 503 in the envelope (Fastify's own `return503OnClosing` answer is not), and its
 * connection is closed so that the client reconnects elsewhere. Needs `return503OnClosing: false`.
 */
export function refuseWhileClosing(app: FastifyInstance) {
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onRequest', async (_request, reply) => {
    if (!closing) return;
    reply.header('connection', 'close');
    throw new AppError('SERVICE_UNAVAILABLE', 'Service is shutting down', 'The server is shutting down; retry on a new connection');
  });
}

/**
 * Probes for orchestrators, outside /api/v1 (no token, no rate limit): `/healthz` says the process
 * answers and touches nothing else; `/readyz` says the database answers too.
 */
export function healthRoutes(app: FastifyInstance, db: Kysely<Database>) {
  app.get(
    '/healthz',
    {
      schema: {
        summary: 'Liveness probe',
        description: 'Answers as long as the process serves HTTP; needs no token and does not touch the database.',
        tags: ['operations'],
        response: { 200: Type.Object({ status: Type.Literal('ok') }) },
      },
    },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/readyz',
    {
      schema: {
        summary: 'Readiness probe',
        description: `Answers 200 when the database answers a \`select 1\` within ${READY_TIMEOUT_MS} ms, 503 otherwise; needs no token.`,
        tags: ['operations'],
        response: { 200: Type.Object({ status: Type.Literal('ready') }), 503: ErrorEnvelope },
      },
    },
    async (request) => {
      try {
        await pingDatabase(db);
      } catch (error) {
        request.log.warn({ err: error }, 'readiness check failed');
        throw unavailable();
      }
      return { status: 'ready' as const };
    },
  );
}
