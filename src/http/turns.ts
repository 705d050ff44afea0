import type { FastifyInstance } from 'fastify';

/**
 * How many requests a turn of the event loop starts: as many as fit a budget of work, judged by
 * what the last turn's took each, where their work is done on this thread (SQLite); a fixed
 * number where they mostly wait on round trips (PostgreSQL), whose turns hold the answers of
 * requests already in flight, so that a budget would hold back new ones.
 */
export type TurnRule = { budgetMs: number } | { requests: number };

/** At most as many as authentication looks up at once (see http/auth.ts). */
const MAX_PER_TURN = 64;

/**
 * Requests start a few to a turn of the event loop, the others in the next turns, in the order
 * they came.
 *
 * Since libuv 1.45 (Node 20) a listening socket accepts one connection per turn (libuv#3696),
 * and a turn served every request its sockets brought in. On SQLite each is work on this thread:
 * under 50 busy keep-alive clients a turn took 65 ms or more, new connections were accepted a
 * dozen a second, and a client opening one waited seconds in the kernel's queue.
 */
export function takeTurns(app: FastifyInstance, rule: TurnRule) {
  const waiting: (() => void)[] = [];
  let perTurn = 'requests' in rule ? rule.requests : MAX_PER_TURN;
  let scheduled = false;
  let last: { at: number; started: number } | null = null;
  // Runs in the loop's check phase: scheduled again from there, it waits for the next turn's poll, which accepts.
  const release = () => {
    const now = performance.now();
    if ('budgetMs' in rule && last) {
      perTurn = Math.max(1, Math.min(MAX_PER_TURN, Math.floor((rule.budgetMs * last.started) / (now - last.at))));
    }
    const starting = waiting.splice(0, perTurn);
    for (const start of starting) start();
    last = { at: now, started: starting.length };
    scheduled = waiting.length > 0;
    // After the starts, whose next steps (authentication's lookup) are scheduled first: the next
    // release then measures the turn that did their work.
    if (scheduled) setImmediate(release);
  };
  app.addHook('onRequest', (_request, _reply, done) => {
    waiting.push(done);
    if (!scheduled) {
      scheduled = true;
      setImmediate(release);
    }
  });
}
