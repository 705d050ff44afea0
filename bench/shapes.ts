import { CHANNELS, CONVERSATION_STATUSES } from '../src/conversations/schemas.js';
import type { Dialect } from '../src/db/dialect.js';
import type { Samples } from './samples.js';

/**
 * The requests the list is measured with. Each shape draws its values for every request at random
 * from the big workspace's (up to 5,000 of each kind, see samples.ts). Paths repeat, the more so
 * for a shape with few values (a status, a channel, an agent, or none at all): in the reads-alone
 * runs the repeats are answered from the response cache, as a poller's would be; in the runs with
 * writes the workspace's version moves a hundred times a second, and a shape with many values (a
 * contact, a task, a phone fragment) is answered afresh nearly every time.
 */

export interface Target {
  /** Share of the ceiling's req/s. */
  ratio: number;
  /** Latency in ms. */
  p99: number;
}

export interface Shape {
  name: string;
  /** What the request asks, as shown in the report. */
  description: string;
  /** The target on SQLite; PostgreSQL's ratio is half of it (see targetFor). */
  target: Target;
  paths(samples: Samples): () => string;
}

export const LIST_PATH = '/api/v1/conversations';

const pick = <T>(values: readonly T[]): T => values[Math.floor(Math.random() * values.length)]!;
const query = (parameters: string) => () => `${LIST_PATH}?${parameters}`;
const withUuid = (name: string, values: (samples: Samples) => string[]) => (samples: Samples) => {
  const list = values(samples);
  return () => `${LIST_PATH}?${name}=${pick(list)}`;
};

/** 4 to 7 consecutive digits of a stored number: nearly every fragment matches at least its own contact. */
function phoneFragment(digits: string): string {
  const length = Math.min(digits.length, 4 + Math.floor(Math.random() * 4));
  const start = Math.floor(Math.random() * (digits.length - length + 1));
  return digits.slice(start, start + length);
}

const FAST: Target = { ratio: 0.2, p99: 50 };
const SLOW: Target = { ratio: 0.08, p99: 150 };

export const SHAPES: Shape[] = [
  { name: 'default', description: 'first page, no filter', target: FAST, paths: () => () => LIST_PATH },
  { name: 'page-2000', description: 'page=2000', target: SLOW, paths: () => query('page=2000') },
  {
    name: 'status',
    description: 'status=<random>',
    target: FAST,
    paths: () => () => `${LIST_PATH}?status=${pick(CONVERSATION_STATUSES)}`,
  },
  { name: 'channel', description: 'channel=<random>', target: FAST, paths: () => () => `${LIST_PATH}?channel=${pick(CHANNELS)}` },
  { name: 'agent', description: 'agent_uuid=<random agent>', target: FAST, paths: withUuid('agent_uuid', (s) => s.agents) },
  { name: 'contact', description: 'contact_uuid=<random contact>', target: FAST, paths: withUuid('contact_uuid', (s) => s.contacts) },
  { name: 'campaign', description: 'campaign_uuid=<random campaign>', target: FAST, paths: withUuid('campaign_uuid', (s) => s.campaigns) },
  { name: 'task', description: 'task_uuid=<random task of a call>', target: FAST, paths: withUuid('task_uuid', (s) => s.tasks) },
  {
    name: 'phone',
    description: 'phone=<4-7 digits of a stored number>',
    target: SLOW,
    paths: (samples) => () => `${LIST_PATH}?phone=${phoneFragment(pick(samples.phoneDigits))}`,
  },
  {
    name: 'updated-asc',
    description: 'sort_by=updated_at&sort_dir=asc',
    target: FAST,
    paths: () => query('sort_by=updated_at&sort_dir=asc'),
  },
  {
    name: 'agent-status-channel',
    description: 'agent_uuid, status and channel, each random',
    target: FAST,
    paths: (samples) => () =>
      `${LIST_PATH}?agent_uuid=${pick(samples.agents)}&status=${pick(CONVERSATION_STATUSES)}&channel=${pick(CHANNELS)}`,
  },
];

/** PostgreSQL shares the machine's two cores with its own backends: half of SQLite's ratio, the same latency. */
export function targetFor(shape: Shape, dialect: Dialect): Target {
  return dialect === 'sqlite' ? shape.target : { ratio: shape.target.ratio / 2, p99: shape.target.p99 };
}

export const IMPORT_TARGET: Record<Dialect, number> = { sqlite: 50_000, postgres: 20_000 };
export const RSS_TARGET_BYTES = 300 * 1024 * 1024;
