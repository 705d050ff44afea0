import { serialiseConversation } from '../conversations/body.js';
import type { ImportItem } from './line.js';

/**
 * The stored body (conversations/body.ts) of a conversation a batch creates, made from its line
 * rather than read back from the tables once written: the record `loadConversations` would give,
 * so the same text. That holds when all it shows is the line's own: `contact` is the contact as
 * the batch leaves it (the last line naming it), the call and sessions are new (the writer's
 * checks reject a line claiming stored ones), and so are the tasks, created in the line's order,
 * which is their listed order. A line naming stored tasks gets null: the transaction's closing
 * rebuild reads that body from the tables.
 */
export function newConversationBody(
  item: ImportItem,
  id: number,
  contact: ImportItem['contact'],
  storedTasks: ReadonlyMap<string, unknown>,
): string | null {
  if (item.taskUuids.some((task) => storedTasks.has(task))) return null;
  const { call } = item;
  return serialiseConversation({
    row: {
      id,
      uuid: item.uuid,
      type: item.type,
      status: item.status,
      responded_by: item.respondedBy,
      is_simulation: item.isSimulation,
      timestamp: item.timestamp,
      created_at: item.createdAt,
      updated_at: item.updatedAt,
      channel: item.channel,
      agent_uuid: item.agentUuid,
      listing_uuid: item.listingUuid,
      contact_uuid: contact.uuid,
      contact_name: contact.name,
      contact_surname: contact.surname,
      contact_phone_number: contact.phoneNumber,
      contact_email: contact.email,
      call_uuid: call?.uuid ?? null,
      call_direction: call?.direction ?? null,
      call_status: call?.status ?? null,
      call_duration: call?.duration ?? null,
      call_recording_url: call?.recordingUrl ?? null,
      call_handled_by: call?.handledBy ?? null,
      call_summary: call?.summary ?? null,
      call_timestamp: call?.timestamp ?? null,
      campaign_uuid: call ? item.campaignUuid : null,
    },
    sessionUuids: item.sessionUuids,
    taskUuids: item.taskUuids,
  });
}
