import cors from '@fastify/cors';
import helmet from '@fastify/helmet';
import type { FastifyInstance } from 'fastify';

/**
 * Security headers on every response (helmet's defaults; `/docs` sets its own Content-Security-Policy,
 * which replaces helmet's there), and CORS only for the configured origins: none, no CORS headers.
 */
export async function installSecurity(app: FastifyInstance, corsOrigins: string[]) {
  await app.register(helmet, { global: true });
  if (corsOrigins.length > 0) {
    await app.register(cors, {
      origin: corsOrigins,
      methods: ['GET', 'PUT', 'PATCH', 'POST'],
      allowedHeaders: ['Authorization', 'Content-Type', 'If-None-Match', 'X-Request-Id'],
      exposedHeaders: ['ETag', 'X-Request-Id', 'X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset', 'Retry-After'],
      maxAge: 600,
    });
  }
}
