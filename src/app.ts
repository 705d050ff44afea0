import Fastify, { type FastifyServerOptions } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Kysely } from 'kysely';
import type { Config } from './config.js';
import { analyticsRoutes } from './analytics/routes.js';
import { conversationRoutes } from './conversations/routes.js';
import type { Database } from './db/tables.js';
import { bearerAuth } from './http/auth.js';
import { frameworkErrors, installErrorHandling } from './http/error-handler.js';
import { conditionalGet, keepEtagOnSuccessOnly } from './http/etag.js';
import { healthRoutes, refuseWhileClosing } from './http/health.js';
import { rejectNulCharacters } from './http/nul-characters.js';
import { normaliseQuery } from './http/query-hooks.js';
import { ResponseCache } from './http/response-cache.js';
import { installRateLimit } from './http/rate-limit.js';
import { installSecurity } from './http/security.js';
import { takeTurns } from './http/turns.js';
import { createValidatorCompiler } from './http/validation.js';
import { messageRoutes } from './messages/routes.js';
import { createMetrics, installMetrics, instrumentDatabase, queryTimers } from './metrics/metrics.js';
import { RequestLogController } from './metrics/request-log.js';
import { registerDocs, registerOpenApi } from './openapi/plugin.js';
import { sessionRoutes } from './sessions/routes.js';
import { API_PREFIX } from './shared/api-prefix.js';
import { webInbox } from './web/plugin.js';
import { inProcessWrites, noticingChanges } from './writes/operations.js';
import { startWriteThread, type WriteThreadTarget } from './writes/thread.js';

export interface AppOptions {
  /** Without `metrics`, metrics are off; without `rateLimit`, rate limiting is; without `corsOrigins`, CORS is. */
  config: Pick<Config, 'baseDomain'> & Partial<Pick<Config, 'metrics' | 'rateLimit' | 'corsOrigins'>>;
  db: Kysely<Database>;
  /** PostgreSQL: runs the API's writes in a thread of their own, on the database `db` is on (see writes/thread.ts); without it they run on `db`. */
  writeThread?: WriteThreadTarget;
  logger?: FastifyServerOptions['logger'];
}

const BODY_LIMIT_BYTES = 1024 * 1024;

/** The whole HTTP application, ready for `inject` or `listen`; it never listens by itself. */
export async function buildApp({ config, db: database, writeThread, logger = false }: AppOptions) {
  const metrics = config.metrics?.enabled ? createMetrics() : null;
  const db = instrumentDatabase(database, metrics);
  const app = Fastify({
    logger,
    logController: new RequestLogController(),
    bodyLimit: BODY_LIMIT_BYTES,
    requestIdHeader: 'x-request-id',
    // See refuseWhileClosing: the same 503, in the envelope.
    return503OnClosing: false,
    frameworkErrors,
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.setValidatorCompiler(createValidatorCompiler());

  installErrorHandling(app);
  // Before any other hook, authentication's included: a request waiting its turn has read nothing yet.
  takeTurns(app);
  refuseWhileClosing(app);
  // JSON is the only body the API takes; Fastify's default text/plain parser would let other bodies reach validation.
  app.removeContentTypeParser('text/plain');
  app.addHook('preHandler', rejectNulCharacters);
  app.addHook('preValidation', normaliseQuery);
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  await installSecurity(app, config.corsOrigins ?? []);
  // Before any route: the OpenAPI document is collected from the routes as they are added.
  await registerOpenApi(app);
  await registerDocs(app);
  installMetrics(app, metrics, config.metrics ?? { enabled: false, token: null });
  healthRoutes(app, db);
  await app.register(webInbox);

  const responses = new ResponseCache();
  const writes = noticingChanges(
    writeThread ? startWriteThread({ ...writeThread, timerOf: metrics && queryTimers(metrics) }) : inProcessWrites(db),
    (change) => responses.noteChange(change),
  );
  // After the requests in flight, whose writes it finishes first.
  app.addHook('onClose', () => writes.close());

  await app.register(
    async (api) => {
      // Before authentication, so that a flood of requests never reaches the database.
      await installRateLimit(api, config.rateLimit ?? { perMinute: 0, redisUrl: null, redisKeyPrefix: '' });
      api.addHook('onRequest', bearerAuth(db, config.baseDomain));
      api.addHook('preHandler', conditionalGet);
      api.addHook('preHandler', responses.answer);
      api.addHook('onSend', keepEtagOnSuccessOnly);
      api.addHook('onSend', responses.keep);
      api.addHook('onResponse', responses.release);
      api.addHook('onRequestAbort', responses.release);
      await api.register(conversationRoutes, { db, writes });
      await api.register(messageRoutes, { db, writes });
      await api.register(sessionRoutes, { db });
      await api.register(analyticsRoutes, { db });
    },
    { prefix: API_PREFIX },
  );

  return app;
}

export type App = Awaited<ReturnType<typeof buildApp>>;
