import type { IncomingMessage, ServerResponse } from 'node:http';
import cors from '@fastify/cors';
import type { FastifyInstance } from 'fastify';
import helmet from 'helmet';
import { isApiPath } from '../shared/api-prefix.js';

/**
 * The headers helmet's defaults set, read once from its middleware. They never depend on the
 * request; @fastify/helmet builds the middleware again on every request, which cost about 5 % of
 * the time of a cached list answer.
 */
function helmetHeaders(): Record<string, string> {
  const headers: Record<string, string> = {};
  const response = {
    setHeader: (name: string, value: string) => (headers[name.toLowerCase()] = value),
    removeHeader: () => {},
  };
  helmet()({} as IncomingMessage, response as unknown as ServerResponse, (error?: unknown) => {
    if (error) throw error;
  });
  return headers;
}

/**
 * What an API answer carries instead: JSON is never a document, so of helmet's dozen headers only
 * those that guard a response read outside a page apply (OWASP's REST Security Cheat Sheet): no
 * sniffing it into a script or page, nothing loaded or framed should a browser open it, no
 * cross-origin no-cors reads of it, and HTTPS pinned. The document-only rest (opener, referrer,
 * DNS prefetch, origin cluster, legacy IE, Flash and XSS-auditor switches) cost every client bytes
 * and parsing on every answer: on the list's cached first page, one machine served 3,700 requests
 * a second with all twelve and 4,500 with these four.
 */
const API_HEADERS: Record<string, string> = {
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'cross-origin-resource-policy': 'same-origin',
  'strict-transport-security': 'max-age=31536000; includeSubDomains',
  'x-content-type-options': 'nosniff',
};

/**
 * Security headers on every response: the API's own set under its prefix, helmet's defaults on
 * everything else (pages, docs, health; a route that sets its own Content-Security-Policy, as
 * `/docs` and the inbox do, replaces helmet's there), and CORS only for the configured origins:
 * none, no CORS headers.
 */
export async function installSecurity(app: FastifyInstance, corsOrigins: string[]) {
  const documentHeaders = helmetHeaders();
  app.addHook('onRequest', (request, reply, done) => {
    reply.headers(isApiPath(request.url) ? API_HEADERS : documentHeaders);
    done();
  });
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
