import type { Kysely } from 'kysely';
import { putConversation } from '../conversations/write.js';
import { isUniqueViolation } from '../db/dialect.js';
import { appendMessage } from '../messages/repository.js';
import type { Database, Workspace } from '../db/tables.js';
import { createToken } from '../tokens/repository.js';
import { nowSeconds } from '../shared/time.js';
import { createWorkspace, hasAnyWorkspace } from '../workspaces/repository.js';
import { generateConversations } from './generator.js';

const DEMO_CONVERSATIONS = 300;
/** Fixed, so that every first run shows the same contacts and agents; the times follow the clock. */
const DEMO_SEED = 20_261_125;

/** Null when another process created a workspace between our check and our insert. */
async function claimDemoWorkspace(db: Kysely<Database>): Promise<Workspace | null> {
  try {
    return await createWorkspace(db, 'demo', 'Demo');
  } catch (error) {
    if (isUniqueViolation(error)) return null;
    throw error;
  }
}

/**
 * On a database with no workspace at all, creates workspace `demo` with a few hundred realistic
 * conversations and a token to read them, so that a first start has something to show. Any other
 * database is left alone: null.
 */
export async function seedDemoWorkspace(db: Kysely<Database>): Promise<{ token: string; conversations: number } | null> {
  if (await hasAnyWorkspace(db)) return null;
  const workspace = await claimDemoWorkspace(db);
  if (!workspace) return null;
  let conversations = 0;
  // Through the API's own write paths, so that the demo data is exactly what a client could have written.
  for (const { uuid, body, messages } of generateConversations({
    count: DEMO_CONVERSATIONS,
    seed: DEMO_SEED,
    now: new Date(),
    messages: true,
  })) {
    await putConversation(db, workspace.id, uuid, body, nowSeconds());
    for (const message of messages ?? []) await appendMessage(db, workspace.id, uuid, message, nowSeconds());
    conversations++;
  }
  const { token } = await createToken(db, workspace.id, 'demo');
  return { token, conversations };
}
