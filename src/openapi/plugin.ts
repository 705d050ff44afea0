import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { swaggerOptions } from './document.js';

/**
 * Collects every route registered after it (so it must come before the routes) into an OpenAPI
 * 3.1 document served at `GET /openapi.json`.
 */
export async function registerOpenApi(app: FastifyInstance) {
  await app.register(swagger, swaggerOptions);

  app.get(
    '/openapi.json',
    {
      schema: {
        summary: 'This OpenAPI 3.1 document',
        description: 'Generated at start from the schemas the routes validate with.',
        tags: ['operations'],
        response: { 200: { type: 'object', additionalProperties: true, description: 'An OpenAPI 3.1 document' } },
      },
    },
    async () => app.swagger(),
  );
}

/**
 * The interactive reference at `GET /docs`: Swagger UI, whose script and styles come from the
 * npm package and are served from this origin (no CDN), reading the same document at `/docs/json`.
 */
export async function registerDocs(app: FastifyInstance) {
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    uiConfig: { deepLinking: true, validatorUrl: null },
    theme: { title: 'Parley API reference' },
    // Everything from this origin; Swagger UI sets inline styles. No upgrade-insecure-requests: Parley often runs on plain http.
    staticCSP:
      "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'self'",
  });
}
