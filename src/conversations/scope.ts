import type { ConversationFilters } from './repository.js';
import type { Conversation } from './schemas.js';

/**
 * Which list answers a write may have changed, for the response cache (http/response-cache.ts):
 * those that can show a conversation tagged with one of these (its agent, contact or campaign,
 * as it stood before or after the write), or any answer at all ('all').
 *
 * A write changes the rows of one conversation and of what it alone owns (its call, tasks,
 * sessions, messages), so a list filtered to other agents, contacts or campaigns reads the same
 * before and after it. A change to a contact shows in the bodies of all the contact's
 * conversations, whatever their agent: such a write is 'all'.
 */
export type WriteScope = readonly string[] | 'all';

export const ANY_ANSWER = 'all' as const satisfies WriteScope;
export const NO_ANSWER: WriteScope = [];

type Tagged = Pick<Conversation, 'agent_uuid' | 'campaign_uuid' | 'contact'>;

const agentTag = (uuid: string) => `agent:${uuid}`;
const contactTag = (uuid: string) => `contact:${uuid}`;
const campaignTag = (uuid: string) => `campaign:${uuid}`;

/** The tags of a conversation as presented (uuids in lower case, as stored). */
export function tagsOf(conversation: Tagged): string[] {
  const tags = [contactTag(conversation.contact.uuid)];
  if (conversation.agent_uuid !== null) tags.push(agentTag(conversation.agent_uuid));
  if (conversation.campaign_uuid !== null) tags.push(campaignTag(conversation.campaign_uuid));
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
 * write whose scope holds one can change it; undefined when the filters name no agent, contact
 * or campaign. One dimension is enough: a conversation shown matches all the filters.
 */
export function answerTags(filters: ConversationFilters): string[] | undefined {
  if (filters.agentUuids) return filters.agentUuids.map(agentTag);
  if (filters.contactUuid !== undefined) return [contactTag(filters.contactUuid)];
  if (filters.campaignUuid !== undefined) return [campaignTag(filters.campaignUuid)];
  return undefined;
}

/** Whether a write of `scope` may have changed an answer tagged `tags`. */
export function touches(scope: WriteScope, tags: readonly string[]): boolean {
  return scope === ANY_ANSWER || scope.some((tag) => tags.includes(tag));
}
