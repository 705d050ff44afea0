import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installErrorHandling } from '../src/http/error-handler.js';
import { INBOX_CONTENT_SECURITY_POLICY, webInbox } from '../src/web/plugin.js';

const PAGE = '<!doctype html><title>inbox</title><script type="module" src="/assets/index-AbC123.js"></script>';

/** The plugin alone, with the envelope's error handling, on a build folder of our own (or none). */
async function appOn(dist: string): Promise<FastifyInstance> {
  const app = Fastify();
  installErrorHandling(app);
  await app.register(webInbox, { dist });
  return app;
}

describe('web inbox plugin', () => {
  let dir: string;
  let app: FastifyInstance;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'parley-web-'));
    mkdirSync(join(dir, 'dist', 'assets'), { recursive: true });
    writeFileSync(join(dir, 'dist', 'index.html'), PAGE);
    writeFileSync(join(dir, 'dist', 'assets', 'index-AbC123.js'), 'console.log(1);\n');
    writeFileSync(join(dir, 'secret.txt'), 'not to be served');
    app = await appOn(join(dir, 'dist'));
  });
  afterAll(async () => {
    await app?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers its page at / and at a conversation, never cached, under its own policy', async () => {
    for (const url of ['/', '/conversations/3c90c3cc-0d44-4b50-8888-8dd25736052a']) {
      const response = await app.inject({ method: 'GET', url });
      expect([url, response.statusCode, response.body]).toEqual([url, 200, PAGE]);
      expect(response.headers).toMatchObject({
        'content-type': 'text/html; charset=utf-8',
        'cache-control': 'no-cache',
        'content-security-policy': INBOX_CONTENT_SECURITY_POLICY,
      });
    }
    // Plain http on a LAN address must keep working: no upgrade; and nothing inline.
    expect(INBOX_CONTENT_SECURITY_POLICY).not.toContain('upgrade-insecure-requests');
    expect(INBOX_CONTENT_SECURITY_POLICY).not.toContain('unsafe-inline');
    expect(INBOX_CONTENT_SECURITY_POLICY).toContain("script-src 'self'");
  });

  it('serves hashed assets for a year, revalidates them, and nothing outside their folder', async () => {
    const asset = await app.inject({ method: 'GET', url: '/assets/index-AbC123.js' });
    expect(asset.statusCode).toBe(200);
    expect(asset.headers['content-type']).toMatch(/^(text|application)\/javascript/);
    expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    const again = await app.inject({
      method: 'GET',
      url: '/assets/index-AbC123.js',
      headers: { 'if-none-match': asset.headers.etag as string },
    });
    expect(again.statusCode).toBe(304);

    for (const url of ['/assets/missing-1.js', '/assets/..%2Fsecret.txt', '/assets/..%2F..%2Fsecret.txt', '/assets/%2e%2e%2fsecret.txt']) {
      const response = await app.inject({ method: 'GET', url });
      expect([url, response.statusCode]).toEqual([url, 404]);
      expect(response.body).not.toContain('not to be served');
    }
  });

  it('starts without a build, and says at / how to make one', async () => {
    const bare = await appOn(join(dir, 'nothing-here'));
    try {
      const response = await bare.inject({ method: 'GET', url: '/' });
      expect(response.statusCode).toBe(404);
      expect(response.headers['content-type']).toBe('text/plain; charset=utf-8');
      expect(response.body).toContain('npm run build:web');
    } finally {
      await bare.close();
    }
  });
});
