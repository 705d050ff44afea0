import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Redis } from 'ioredis';
import type { RateLimitConfig } from '../config.js';
import { countRateLimitRejection } from '../metrics/metrics.js';
import { AppError } from './errors.js';

const WINDOW_MS = 60_000;
const PUBLIC_ID = /^Bearer[ ]+prl_([0-9a-f]{16})_/i;

/**
 * The budget's key: the token's public id, read from the header without a database lookup so that
 * the limiter runs before authentication and shields the database from floods of bad tokens. A
 * forged public id only spends that token's budget, never more than one window's worth. Anything
 * else is keyed by the client's address.
 */
export function rateLimitKey(request: FastifyRequest): string {
  const publicId = PUBLIC_ID.exec(request.headers.authorization ?? '')?.[1];
  return publicId ? `token:${publicId.toLowerCase()}` : `ip:${request.ip}`;
}

/**
 * Rate limiting for every route of `scope` (the /api/v1 instance): adds an onRequest hook, which
 * must therefore be installed before authentication. Without a budget (perMinute 0) it does nothing.
 */
export async function installRateLimit(scope: FastifyInstance, config: RateLimitConfig) {
  if (config.perMinute === 0) return;

  let redis: Redis | null = null;
  if (config.redisUrl) {
    // No offline queue and one attempt: while Redis is away a request must not wait for it.
    redis = new Redis(config.redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 2000 });
    // ioredis reconnects on its own; without a listener its 'error' events would crash the process.
    redis.on('error', (error: Error) => scope.log.warn({ err: error }, 'rate limit: Redis unavailable'));
    scope.addHook('onClose', async () => {
      await redis?.quit().catch(() => redis?.disconnect());
    });
  }

  await scope.register(rateLimit, {
    global: false,
    max: config.perMinute,
    timeWindow: WINDOW_MS,
    keyGenerator: rateLimitKey,
    ...(redis ? { redis, nameSpace: config.redisKeyPrefix } : {}),
    // A Redis outage lets requests through rather than turning the whole API off.
    skipOnError: true,
    onExceeded: (request) => countRateLimitRejection(request),
    errorResponseBuilder: (_request, context) => {
      const seconds = Math.max(1, Math.ceil(context.ttl / 1000));
      return new AppError(
        'RATE_LIMITED',
        'Too many requests',
        `At most ${context.max} requests per minute are allowed; retry in ${seconds} second${seconds === 1 ? '' : 's'}`,
      );
    },
  });
  scope.addHook('onRequest', scope.rateLimit());
}
