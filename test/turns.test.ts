import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { takeTurns } from '../src/http/turns.js';

/**
 * The turns hook on a bare server that notes the order requests are let through in (a hook
 * after it, as the app's authentication is): which requests a turn starts is the hook's whole
 * effect, and the app's routes would only blur it.
 */
async function recordingApp() {
  const started: string[] = [];
  const app = Fastify();
  takeTurns(app);
  app.addHook('onRequest', async (request) => {
    started.push(request.url.slice(1).replace('/', ' '));
  });
  app.get('/read/:n', async () => ({}));
  app.post('/write/:n', async () => ({}));
  await app.ready();
  return { app, started };
}

describe('requests started per turn of the event loop', () => {
  it('starts 8 a turn: the writes waiting first, up to half the turn, then the rest in the order they came', async () => {
    const { app, started } = await recordingApp();
    try {
      const answers = [
        ...Array.from({ length: 10 }, (_, n) => app.inject({ method: 'GET', url: `/read/${n}` })),
        ...Array.from({ length: 6 }, (_, n) => app.inject({ method: 'POST', url: `/write/${n}`, payload: {} })),
      ];
      expect((await Promise.all(answers)).map((answer) => answer.statusCode)).toEqual(Array(16).fill(200));
      // Turn 1: four writes, then the first four reads; turn 2: the other two writes, then six reads
      // (in order of arrival, the writes would have waited for all ten reads).
      expect(started).toEqual([
        ...['write 0', 'write 1', 'write 2', 'write 3', 'read 0', 'read 1', 'read 2', 'read 3'],
        ...['write 4', 'write 5', 'read 4', 'read 5', 'read 6', 'read 7', 'read 8', 'read 9'],
      ]);
    } finally {
      await app.close();
    }
  });
});
