import type { Conversation } from '@parley/client';
import type { ComponentChildren } from 'preact';
import { contactName, formatDateTime } from '../../format.js';
import { DEFAULT_VIEW, listHref, type UuidFilter } from '../../routing/list-view.js';
import { Link } from '../../routing/link.js';
import { ChannelBadge } from '../common/badges.js';

function Item({ term, children }: { term: string; children: ComponentChildren }) {
  return (
    <div class="item">
      <dt>{term}</dt>
      <dd>{children}</dd>
    </div>
  );
}

/** A uuid in full, with a link to the list filtered by it: the way to "every conversation of this agent". */
function FilterLink({ filter, uuid, label }: { filter: UuidFilter; uuid: string | null; label: string }) {
  if (!uuid) return <>—</>;
  return (
    <>
      <span class="mono uuid">{uuid}</span>{' '}
      <Link href={listHref({ ...DEFAULT_VIEW, [filter]: uuid })} class="small-link">
        {label}
      </Link>
    </>
  );
}

/** Who the conversation is with, who answered, where, and when. */
export function ConversationDetails({ conversation }: { conversation: Conversation }) {
  const { contact } = conversation;
  return (
    <section class="card" aria-labelledby="details-title">
      <h2 id="details-title">Details</h2>
      <dl class="details">
        <Item term="Contact">
          <bdi>{contactName(contact)}</bdi>
        </Item>
        <Item term="Phone">
          {contact.phone_number ? (
            <a href={`tel:${contact.phone_number.replace(/[^\d+]/g, '')}`} dir="ltr">
              {contact.phone_number}
            </a>
          ) : (
            '—'
          )}
        </Item>
        <Item term="Email">{contact.email ? <a href={`mailto:${contact.email}`}>{contact.email}</a> : '—'}</Item>
        <Item term="Contact id">
          <FilterLink filter="contact_uuid" uuid={contact.uuid} label="All their conversations" />
        </Item>
        <Item term="Channel">
          <ChannelBadge channel={conversation.channel} />
        </Item>
        <Item term="Agent">
          <FilterLink filter="agent_uuid" uuid={conversation.agent_uuid} label="This agent's conversations" />
        </Item>
        <Item term="Responded by">{conversation.responded_by ?? '—'}</Item>
        <Item term="Campaign">
          <FilterLink filter="campaign_uuid" uuid={conversation.campaign_uuid} label="This campaign's conversations" />
        </Item>
        <Item term="Listing">{conversation.listing_uuid ? <span class="mono uuid">{conversation.listing_uuid}</span> : '—'}</Item>
        <Item term="Tasks">
          {conversation.task_uuids.length === 0 ? (
            '—'
          ) : (
            <ul class="plain-list">
              {conversation.task_uuids.map((task) => (
                <li key={task}>
                  <FilterLink filter="task_uuid" uuid={task} label="Find by task" />
                </li>
              ))}
            </ul>
          )}
        </Item>
        <Item term="Type">{conversation.is_simulation ? `${conversation.type} (simulation)` : conversation.type}</Item>
        <Item term="Created">{formatDateTime(conversation.created_at)}</Item>
        <Item term="Last activity">{formatDateTime(conversation.timestamp)}</Item>
        <Item term="Updated">{formatDateTime(conversation.updated_at)}</Item>
      </dl>
    </section>
  );
}
