import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';

/** Where `npm run build:web` writes the inbox: two levels up from `src/web/` and from `dist/web/` alike. */
export const WEB_DIST = fileURLToPath(new URL('../../web/dist/', import.meta.url));

/** The inbox's own client-side routes, each answered with its page. */
export const INBOX_PAGES = ['/', '/conversations/:uuid'] as const;
/** Vite's hashed files, all in one folder: a new build gives new names, so they can be cached for good. */
export const INBOX_ASSET = '/assets/:file';
/** Every route this plugin adds: none of them is API, so none is in the OpenAPI document. */
export const INBOX_ROUTES: readonly string[] = [...INBOX_PAGES, INBOX_ASSET];

/**
 * Helmet's default policy, tightened (no inline styles, no https: styles or fonts, no framing) and
 * loosened in two places only: no `upgrade-insecure-requests`, since Parley often runs on plain
 * http on a LAN address, where upgrading its own script requests would break the page; and
 * `media-src https:`, since call recordings live on the telephony provider's host.
 */
export const INBOX_CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "media-src 'self' https:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const NOT_BUILT = 'The web inbox is not built yet. Run `npm run build:web` (npm install runs it too), then reload this page.\n';

/**
 * The web inbox (`web/`): its page at `/` and at its client-side routes, its assets under
 * `/assets/`. Encapsulated, so its `sendFile` decorator clashes with no other plugin's. The page is read on every request rather than once at start, so that a build made
 * while the server runs is served at once, and a missing build is explained instead of stopping
 * the server.
 */
export async function webInbox(app: FastifyInstance, { dist = WEB_DIST }: { dist?: string } = {}) {
  const assets = join(dist, 'assets');
  // For `reply.sendFile` only (ranges, ETag, 304, content types); the one route that uses it is below.
  // A route per file name rather than the plugin's own `/assets/*`: Fastify's printRoutes drops the
  // prefix of a wildcard route, and the OpenAPI test reads the routes from there.
  await app.register(fastifyStatic, { root: assets, serve: false, suppressWarning: true });

  app.get<{ Params: { file: string } }>(INBOX_ASSET, { schema: { hide: true } }, (request, reply) => {
    const { file } = request.params;
    // Vite writes plain names (index-3f2a9c0d.js); anything else, an encoded `../` above all, is not one of them.
    if (!/^[\w-]+(\.[\w-]+)+$/.test(file)) return reply.callNotFound();
    return reply.sendFile(file, assets, { immutable: true, maxAge: '365d' });
  });

  const page = async (_request: unknown, reply: FastifyReply) => {
    let html: Buffer;
    try {
      html = await readFile(join(dist, 'index.html'));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      return reply.code(404).type('text/plain; charset=utf-8').header('cache-control', 'no-cache').send(NOT_BUILT);
    }
    // No-cache: the page names the current build's hashed assets, so it must be fetched again after a rebuild.
    return reply
      .type('text/html; charset=utf-8')
      .header('cache-control', 'no-cache')
      .header('content-security-policy', INBOX_CONTENT_SECURITY_POLICY)
      .send(html);
  };
  for (const url of INBOX_PAGES) app.get(url, { schema: { hide: true } }, page);
}
