import type { FastifyInstance } from 'fastify';

/**
 * Requests started in one turn of the event loop. Measured on SQLite under 50 clients asking for
 * phone fragments: 4 and 8 served as many requests a second as no limit, within the noise; 8
 * keeps the token lookups batched more (see http/auth.ts). On PostgreSQL, whose requests wait on
 * round trips, 8 moved none of the four shapes measured beyond the noise.
 */
const REQUESTS_PER_TURN = 8;

/** Reads, which a turn may run after writes: a write's answer is awaited by a conversation in progress. */
const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Requests start at most REQUESTS_PER_TURN to a turn of the event loop, the others in the next
 * turns, in the order they came, except that writes waiting go first, up to half a turn's
 * starts: an agent's message or status change then waits for the turn in progress, not for every
 * list request queued before it (in the SQLite benchmark under phone fragments, the writer's p99
 * went from 458 to 60 ms), and a stream of writes still leaves reads half of each turn.
 *
 * Since libuv 1.45 (Node 20) a listening socket accepts one connection per turn (libuv#3696),
 * and a turn serves every request its sockets brought in. On SQLite each is work on this thread:
 * under 50 busy keep-alive clients a turn took 65 ms or more, new connections were accepted a
 * dozen a second, and a client opening one waited seconds in the kernel's queue. Shorter turns
 * let the listener keep up while the requests are served.
 */
export function takeTurns(app: FastifyInstance) {
  // Hold requests exactly while a release is scheduled: the first one in schedules it.
  const writes: (() => void)[] = [];
  const reads: (() => void)[] = [];
  // Runs in the loop's check phase: scheduled again from there, it waits for the next turn's poll, which accepts.
  const release = () => {
    const starting = writes.splice(0, REQUESTS_PER_TURN / 2);
    starting.push(...reads.splice(0, REQUESTS_PER_TURN - starting.length));
    starting.push(...writes.splice(0, REQUESTS_PER_TURN - starting.length));
    if (writes.length + reads.length > 0) setImmediate(release);
    for (const start of starting) start();
  };
  app.addHook('onRequest', (request, _reply, done) => {
    (READ_METHODS.has(request.method) ? reads : writes).push(done);
    if (writes.length + reads.length === 1) setImmediate(release);
  });
}
