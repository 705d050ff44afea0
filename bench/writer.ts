import { Agent, request } from 'node:http';
import { CONVERSATION_STATUSES, type ConversationInput } from '../src/conversations/schemas.js';
import { generateConversations } from '../src/demo/generator.js';
import { type MessageInput, SENDERS } from '../src/messages/schemas.js';
import { nowSeconds, toIso } from '../src/shared/time.js';
import type { Samples } from './samples.js';

/**
 * The background writer: changes the big workspace at a steady rate through Parley's own HTTP
 * API while a shape is measured, as a live platform does. Mix: new conversations (PUT), new
 * messages (POST …/messages) and status changes (PATCH).
 */

export interface WriterStats {
  /** Writes answered 2xx. */
  ok: number;
  /** Writes answered otherwise, or not at all. */
  errors: number;
  /** e.g. `{ "201": 120, "ECONNRESET": 1 }` */
  outcomes: Record<string, number>;
  firstError: string | null;
  seconds: number;
  /** Writes sent per second: below the asked rate when the server answered too slowly for the writer to keep up. */
  ratePerSecond: number;
  /** Write latency, ms. */
  p50: number;
  p99: number;
  byKind: Record<WriteKind, number>;
}

export interface Writer {
  stop(): Promise<WriterStats>;
}

type WriteKind = 'put' | 'message' | 'status';

const MIX: [WriteKind, number][] = [
  ['put', 0.2],
  ['message', 0.5],
  ['status', 0.3],
];
const TICK_MS = 10;
/** Past this many unanswered writes the writer waits: it reports falling behind rather than piling up sockets without end. */
const MAX_IN_FLIGHT = 200;
const WRITE_TIMEOUT_MS = 10_000;
const DRAIN_TIMEOUT_MS = 10_000;

const MESSAGES = [
  'Hi, is my order on its way?',
  'Thanks, that works for me.',
  'Could you send me the invoice again?',
  'Your appointment is confirmed for Tuesday at 10:00.',
  'I will check with my manager and come back to you.',
  'Merhaba, siparişim ne zaman gelir?',
  '¿Pueden llamarme mañana por la mañana?',
];

const pick = <T>(values: readonly T[]): T => values[Math.floor(Math.random() * values.length)]!;

function kindOf(x: number): WriteKind {
  let bound = 0;
  for (const [kind, share] of MIX) if (x < (bound += share)) return kind;
  return MIX[MIX.length - 1]![0];
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/**
 * New conversations as the demo generator makes them, moved to now and pointed at the big
 * workspace's real agents, campaigns and (for half of them) contacts.
 */
function newConversations(samples: Samples) {
  const generated = generateConversations({ count: 1_000_000, seed: Math.floor(Math.random() * 2 ** 48), now: new Date() });
  return (): { uuid: string; body: ConversationInput } => {
    const next = generated.next();
    if (next.done) throw new Error('the writer ran out of generated conversations');
    const { created_at: _created, updated_at: _updated, timestamp: _timestamp, ...body } = next.value.body;
    if (body.agent_uuid) body.agent_uuid = pick(samples.agents);
    if (body.call) body.call = { ...body.call, timestamp: toIso(nowSeconds()) };
    if (body.campaign_uuid) body.campaign_uuid = pick(samples.campaigns);
    if (Math.random() < 0.5) body.contact = { uuid: pick(samples.contacts) };
    return { uuid: next.value.uuid, body };
  };
}

export function startWriter(origin: string, token: string, samples: Samples, ratePerSecond: number): Writer {
  const agent = new Agent({ keepAlive: true, maxSockets: MAX_IN_FLIGHT });
  const nextConversation = newConversations(samples);
  const targets = [...samples.conversations];
  const latencies: number[] = [];
  const outcomes: Record<string, number> = {};
  const byKind: Record<WriteKind, number> = { put: 0, message: 0, status: 0 };
  let firstError: string | null = null;
  let ok = 0;
  let errors = 0;
  let launched = 0;
  let inFlight = 0;
  const started = performance.now();

  function settle(outcome: string, good: boolean, detail: string, began: number) {
    inFlight--;
    latencies.push(performance.now() - began);
    outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
    if (good) ok++;
    else {
      errors++;
      firstError ??= detail;
    }
  }

  function send(method: string, path: string, body: unknown, onCreated?: () => void) {
    const payload = JSON.stringify(body);
    const began = performance.now();
    inFlight++;
    // A timed-out request can report both an error and an aborted response: only the first outcome counts.
    let finished = false;
    const finish = (outcome: string, good: boolean, detail: string) => {
      if (finished) return;
      finished = true;
      settle(outcome, good, detail, began);
    };
    const req = request(
      `${origin}${path}`,
      {
        method,
        agent,
        timeout: WRITE_TIMEOUT_MS,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          const good = status >= 200 && status < 300;
          if (good) onCreated?.();
          finish(String(status), good, `${method} ${path}: ${status} ${Buffer.concat(chunks).toString().slice(0, 300)}`);
        });
        res.on('error', (error) => finish(error.name, false, `${method} ${path}: ${error.message}`));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${WRITE_TIMEOUT_MS} ms`)));
    req.on('error', (error: NodeJS.ErrnoException) => finish(error.code ?? 'error', false, `${method} ${path}: ${error.message}`));
    req.end(payload);
  }

  function write() {
    const kind = kindOf(Math.random());
    byKind[kind]++;
    if (kind === 'put') {
      const { uuid, body } = nextConversation();
      send('PUT', `/api/v1/conversations/${uuid}`, body, () => targets.push(uuid));
    } else if (kind === 'message') {
      const message: MessageInput = { sender: pick(SENDERS), message_type: 'text', content: pick(MESSAGES) };
      send('POST', `/api/v1/conversations/${pick(targets)}/messages`, message);
    } else {
      send('PATCH', `/api/v1/conversations/${pick(targets)}`, { status: pick(CONVERSATION_STATUSES) });
    }
  }

  // Writes are due by the clock, not by the tick count: a late tick catches up instead of lowering the rate.
  const timer = setInterval(() => {
    const due = Math.floor(((performance.now() - started) / 1000) * ratePerSecond);
    while (launched < due && inFlight < MAX_IN_FLIGHT) {
      launched++;
      write();
    }
  }, TICK_MS);

  return {
    async stop() {
      clearInterval(timer);
      const seconds = (performance.now() - started) / 1000;
      const drainDeadline = Date.now() + DRAIN_TIMEOUT_MS;
      while (inFlight > 0 && Date.now() < drainDeadline) await new Promise((resolve) => setTimeout(resolve, 20));
      if (inFlight > 0) {
        errors += inFlight;
        outcomes['unanswered'] = inFlight;
        firstError ??= `${inFlight} writes unanswered ${DRAIN_TIMEOUT_MS / 1000} s after the writer stopped`;
      }
      agent.destroy();
      const sorted = [...latencies].sort((a, b) => a - b);
      return {
        ok,
        errors,
        outcomes,
        firstError,
        seconds,
        ratePerSecond: launched / seconds,
        p50: percentile(sorted, 50),
        p99: percentile(sorted, 99),
        byKind,
      };
    },
  };
}
