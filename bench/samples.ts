import { type Kysely, sql } from 'kysely';
import type { DatabaseTarget } from '../src/config.js';
import { openDatabase } from '../src/db/database.js';
import type { Database } from '../src/db/tables.js';

/**
 * Real values from the big workspace for the shapes' random filters and for the writer: each
 * request then names something that exists, as a client's would.
 */
export interface Samples {
  contacts: string[];
  /** Digits of the sampled contacts' phone numbers, for fragments. */
  phoneDigits: string[];
  agents: string[];
  campaigns: string[];
  /** Tasks whose third_party_id is the uuid of a stored call. */
  tasks: string[];
  conversations: string[];
}

const SAMPLE = 5000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const random = sql`random()`;

async function uuidsOf(db: Kysely<Database>, table: 'agents' | 'campaigns' | 'conversations', workspaceId: number) {
  const rows = await db.selectFrom(table).select('uuid').where('workspace_id', '=', workspaceId).orderBy(random).limit(SAMPLE).execute();
  return rows.map((row) => row.uuid);
}

async function tasksOfCalls(db: Kysely<Database>, workspaceId: number) {
  const rows = await db
    .selectFrom('tasks')
    .select(['uuid', 'third_party_id'])
    .where('workspace_id', '=', workspaceId)
    .where('third_party_id', 'is not', null)
    .orderBy(random)
    .limit(SAMPLE)
    .execute();
  // A third_party_id that is not a uuid names no call; PostgreSQL would also refuse to compare it with one.
  const candidates = rows.filter((row) => UUID.test(row.third_party_id!));
  const calls = new Set<string>();
  for (let i = 0; i < candidates.length; i += 500) {
    const ids = candidates.slice(i, i + 500).map((row) => row.third_party_id!.toLowerCase());
    const found = await db.selectFrom('calls').select('uuid').where('workspace_id', '=', workspaceId).where('uuid', 'in', ids).execute();
    for (const call of found) calls.add(call.uuid.toLowerCase());
  }
  return candidates.filter((row) => calls.has(row.third_party_id!.toLowerCase())).map((row) => row.uuid);
}

export async function sampleWorkspace(target: DatabaseTarget, workspaceId: number): Promise<Samples> {
  const database = openDatabase(target);
  try {
    const db = database.db;
    const contacts = await db
      .selectFrom('contacts')
      .select(['uuid', 'phone_number'])
      .where('workspace_id', '=', workspaceId)
      .orderBy(random)
      .limit(SAMPLE)
      .execute();
    const samples: Samples = {
      contacts: contacts.map((row) => row.uuid),
      phoneDigits: contacts.map((row) => (row.phone_number ?? '').replace(/\D/g, '')).filter((digits) => digits.length >= 7),
      agents: await uuidsOf(db, 'agents', workspaceId),
      campaigns: await uuidsOf(db, 'campaigns', workspaceId),
      tasks: await tasksOfCalls(db, workspaceId),
      conversations: await uuidsOf(db, 'conversations', workspaceId),
    };
    for (const [name, values] of Object.entries(samples)) {
      if (values.length === 0) throw new Error(`the big workspace has no ${name} to sample: is the seeder writing them?`);
    }
    return samples;
  } finally {
    await database.close();
  }
}
