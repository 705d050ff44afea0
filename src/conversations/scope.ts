import { normalisePhone } from './phone.js';
import type { ConversationFilters } from './repository.js';
import type { Conversation } from './schemas.js';

/**
 * Which list answers a write may have changed, for the response cache (http/response-cache.ts):
 * those that can show a conversation tagged with one of these (its agent, contact, campaign, tasks
 * or contact's phone number, as it stood before or after the write), or any answer at all ('all').
 *
 * A write changes the rows of one conversation and of what it alone owns (its call, tasks,
 * sessions, messages), so a list filtered to other agents, contacts, campaigns or tasks, or to a
 * phone fragment its contact's number does not contain, reads the same before and after it. A
 * change to a contact shows in the bodies of all the contact's conversations, whatever their
 * agent: such a write is 'all'.
 */
export type WriteScope = readonly string[] | 'all';

export const ANY_ANSWER = 'all' as const satisfies WriteScope;
export const NO_ANSWER: WriteScope = [];

type Tagged = Pick<Conversation, 'agent_uuid' | 'campaign_uuid' | 'contact' | 'task_uuids'>;

const agentTag = (uuid: string) => `agent:${uuid}`;
const contactTag = (uuid: string) => `contact:${uuid}`;
const campaignTag = (uuid: string) => `campaign:${uuid}`;
const taskTag = (uuid: string) => `task:${uuid}`;
/**
 * A write's tag holds a number as the phone filter compares it (normalised); an answer's holds
 * the fragment it was filtered by, and is touched by every number that contains it.
 */
const PHONE = 'phone:';
const phoneTag = (normalised: string) => `${PHONE}${normalised}`;

/** The tags of a conversation as presented (uuids in lower case, as stored). */
export function tagsOf(conversation: Tagged): string[] {
  const tags = [contactTag(conversation.contact.uuid)];
  if (conversation.agent_uuid !== null) tags.push(agentTag(conversation.agent_uuid));
  if (conversation.campaign_uuid !== null) tags.push(campaignTag(conversation.campaign_uuid));
  for (const task of conversation.task_uuids) tags.push(taskTag(task));
  if (conversation.contact.phone_number !== null) tags.push(phoneTag(normalisePhone(conversation.contact.phone_number)));
  return tags;
}

/** The scope of a write of the conversations that stood as `states` before or after it. */
export function scopeOf(...states: (Tagged | undefined)[]): WriteScope {
  return [...new Set(states.flatMap((state) => (state ? tagsOf(state) : [])))];
}

/** Several writes committed together. */
export function unionOf(scopes: WriteScope[]): WriteScope {
  const tags = new Set<string>();
  for (const scope of scopes) {
    if (scope === ANY_ANSWER) return ANY_ANSWER;
    for (const tag of scope) tags.add(tag);
  }
  return [...tags];
}

/**
 * The tags every conversation an answer with these filters shows carries one of, so that only a
 * write whose scope holds one can change it; undefined when the filters name no task, agent,
 * contact, campaign or phone fragment. One dimension is enough: a conversation shown matches all
 * the filters. A task first: it belongs to one call, so only writes of one conversation reach it.
 */
export function answerTags(filters: ConversationFilters): string[] | undefined {
  if (filters.taskUuid !== undefined) return [taskTag(filters.taskUuid)];
  if (filters.agentUuids) return filters.agentUuids.map(agentTag);
  if (filters.contactUuid !== undefined) return [contactTag(filters.contactUuid)];
  if (filters.campaignUuid !== undefined) return [campaignTag(filters.campaignUuid)];
  if (filters.phone !== undefined) return [phoneTag(filters.phone)];
  return undefined;
}

/** Whether a write tagged `written` may change an answer tagged `shown`: the same tag, or a number holding the fragment. */
const reaches = (written: string, shown: string) =>
  written === shown || (shown.startsWith(PHONE) && written.startsWith(PHONE) && written.includes(shown.slice(PHONE.length), PHONE.length));

/** Whether a write of `scope` may have changed an answer tagged `tags`. */
export function touches(scope: WriteScope, tags: readonly string[]): boolean {
  return scope === ANY_ANSWER || scope.some((written) => tags.some((shown) => reaches(written, shown)));
}
