import { toIso } from '../shared/time.js';
import type { MessageRow } from './repository.js';
import type { Message } from './schemas.js';

export function presentMessage(row: MessageRow): Message {
  return {
    uuid: row.uuid,
    conversation_uuid: row.conversation_uuid,
    session_uuid: row.session_uuid,
    sender: row.sender as Message['sender'],
    message_type: row.message_type,
    content: row.content,
    created_at: toIso(row.created_at),
  };
}
