import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';
import type { MetricsConfig } from '../config.js';
import { AppError } from '../http/errors.js';
import { ErrorEnvelope } from '../shared/schemas.js';
import { queryTimingPlugin, type TimerOf } from './query-timing.js';

/** The metrics of one app: each `buildApp` has its own, so that apps in one process (tests) never add to each other's counts. */
export interface Metrics {
  registry: Registry;
  requests: Counter<'method' | 'route' | 'status'>;
  requestDuration: Histogram<'method' | 'route' | 'status'>;
  queryDuration: Histogram<'operation'>;
  rateLimitRejections: Counter<'route'>;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Null when metrics are off. */
    metrics: Metrics | null;
  }
}

/**
 * Process metrics (CPU, memory, event loop lag, GC) describe the process, not an app, and their
 * collectors install observers that are never removed: one registry for the whole process.
 */
let processRegistry: Registry | null = null;
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  return {
    registry,
    requests: new Counter({
      name: 'parley_http_requests_total',
      help: 'HTTP requests answered, by method, route pattern and status code',
      labelNames: ['method', 'route', 'status'],
      registers: [registry],
    }),
    requestDuration: new Histogram({
      name: 'parley_http_request_duration_seconds',
      help: 'Time from receiving a request to finishing its response, by method, route pattern and status code',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    queryDuration: new Histogram({
      name: 'parley_db_query_duration_seconds',
      help: 'Time of successful database queries, from compiling to the result (connection wait included), by statement kind',
      labelNames: ['operation'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    rateLimitRejections: new Counter({
      name: 'parley_rate_limit_rejections_total',
      help: 'Requests refused with 429 RATE_LIMITED, by route pattern',
      labelNames: ['route'],
      registers: [registry],
    }),
  };
}

/** The route pattern, never the raw URL: uuids in paths would make a time series per conversation. */
export function routeLabel(request: FastifyRequest): string {
  return request.routeOptions.url ?? '(unmatched)';
}

/** For the rate limiter: counts one rejection of `request` (a no-op when metrics are off). */
export function countRateLimitRejection(request: FastifyRequest): void {
  request.server.metrics?.rateLimitRejections.inc({ route: routeLabel(request) });
}

/** The query histogram's child per statement kind, each made once: labelling every observation hashed its labels every time. */
export function queryTimers(metrics: Metrics): TimerOf {
  const timers = new Map<string, ReturnType<TimerOf>>();
  return (operation) => {
    let timer = timers.get(operation);
    if (!timer) timers.set(operation, (timer = metrics.queryDuration.labels(operation)));
    return timer;
  };
}

/** `db` with its queries timed into `metrics`, or `db` itself when metrics are off. */
export function instrumentDatabase<DB>(db: Kysely<DB>, metrics: Metrics | null): Kysely<DB> {
  return metrics ? db.withPlugin(queryTimingPlugin(queryTimers(metrics))) : db;
}

const digest = (value: string) => createHash('sha256').update(value).digest();

/** Compares hashes, so the comparison takes the same time whatever the length of the guess. */
function tokenMatches(given: string, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected));
}

/**
 * Counts every request the app answers, on the root instance so that no route escapes, and
 * serves `GET /metrics` in the Prometheus text format, behind `Authorization: Bearer <token>`
 * when a token is configured.
 */
export function installMetrics(app: FastifyInstance, metrics: Metrics | null, config: MetricsConfig) {
  app.decorate('metrics', metrics);
  if (!metrics) return;

  app.addHook('onResponse', async (request: FastifyRequest, reply: FastifyReply) => {
    const labels = { method: request.method, route: routeLabel(request), status: String(reply.statusCode) };
    metrics.requests.inc(labels);
    metrics.requestDuration.observe(labels, reply.elapsedTime / 1000);
  });

  const token = config.token;
  app.get(
    '/metrics',
    {
      schema: {
        summary: 'Prometheus metrics',
        description:
          'Requests by route and status, request and database query latency, rate-limit rejections and process metrics, ' +
          'in the Prometheus text format. Served when METRICS allows it; with METRICS_TOKEN set it needs `Authorization: Bearer <METRICS_TOKEN>`.',
        tags: ['operations'],
        response: {
          200: { description: 'The Prometheus text exposition format 0.0.4', content: { 'text/plain': { schema: { type: 'string' } } } },
          401: ErrorEnvelope,
        },
      },
      onRequest: async (request) => {
        if (token === null) return;
        const given = /^Bearer[ ]+(.+)$/i.exec(request.headers.authorization ?? '')?.[1]?.trim();
        if (!given)
          throw new AppError(
            'MISSING_AUTH_TOKEN',
            'Authentication token is missing',
            'Send the header Authorization: Bearer <METRICS_TOKEN>',
          );
        if (!tokenMatches(given, token))
          throw new AppError('INVALID_AUTH_TOKEN', 'Invalid authentication token', 'The bearer token is not METRICS_TOKEN');
      },
    },
    async (_request, reply) => {
      const [processText, appText] = await Promise.all([processMetrics().metrics(), metrics.registry.metrics()]);
      reply.type(metrics.registry.contentType);
      return `${processText}\n${appText}`;
    },
  );
}
