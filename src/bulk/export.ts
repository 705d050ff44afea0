import type { Kysely } from 'kysely';
import { presentConversation } from '../conversations/present.js';
import { type ConversationFilters, walkConversations } from '../conversations/repository.js';
import { dialectOf } from '../db/dialect.js';
import type { Database } from '../db/tables.js';
import { toIso } from '../shared/time.js';
import type { ImportedMessage, ImportLine } from './line.js';
import { type ExportedMessageRow, messagesOfConversations } from './repository.js';
import { Statements } from './statements.js';

/** Conversations read per round; their messages are read with them, all at once. */
const PAGE = 500;

function present(row: ExportedMessageRow): ImportedMessage {
  return {
    uuid: row.uuid,
    session_uuid: row.session_uuid,
    sender: row.sender as ImportedMessage['sender'],
    message_type: row.message_type,
    content: row.content,
    created_at: toIso(row.created_at),
  };
}

/**
 * The workspace's conversations matching `filters`, one NDJSON line each (with its newline), in
 * creation order: the shape the list returns plus each conversation's `messages`, oldest first.
 * Exactly what `importNdjson` takes, so that export → import → export gives the same bytes.
 */
export async function* exportNdjson(
  db: Kysely<Database>,
  workspaceId: number,
  filters: ConversationFilters = {},
): AsyncGenerator<string, void, undefined> {
  const st = new Statements(dialectOf(db));
  for (let afterId = 0; ;) {
    const records = await walkConversations(db, workspaceId, filters, afterId, PAGE);
    if (records.length === 0) return;
    const ids = records.map((record) => record.row.id);
    const messages = new Map<number, ImportedMessage[]>();
    for (const row of await messagesOfConversations(st, db, workspaceId, ids)) {
      const id = Number(row.conversation_id);
      const list = messages.get(id);
      if (list) list.push(present(row));
      else messages.set(id, [present(row)]);
    }
    for (const record of records) {
      const line: ImportLine = { ...presentConversation(record), messages: messages.get(record.row.id) ?? [] };
      yield `${JSON.stringify(line)}\n`;
    }
    afterId = ids[ids.length - 1]!;
    if (records.length < PAGE) return;
  }
}
