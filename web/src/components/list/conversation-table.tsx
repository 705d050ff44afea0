import type { Conversation } from '@parley/client';
import { contactName, formatDateTime, shortUuid } from '../../format.js';
import { conversationHref, type ListView } from '../../routing/list-view.js';
import { Link } from '../../routing/link.js';
import { ChannelBadge, StatusBadge } from '../common/badges.js';

/**
 * One page of conversations. Each row's contact is a link to the conversation (which keeps the
 * list's filters in its address, for the way back); the link covers the whole row for the mouse,
 * and is the one tab stop per row for the keyboard. Below 720px wide, rows become cards, whose
 * cells name themselves (`data-label`) since the column headings are out of sight.
 */
export function ConversationTable({ conversations, view }: { conversations: Conversation[]; view: ListView }) {
  const sortedBy = (column: 'created_at' | 'updated_at') =>
    view.sortBy === column ? (view.sortDir === 'asc' ? 'ascending' : 'descending') : undefined;
  return (
    <table class="conversations">
      <caption class="visually-hidden">Conversations, one per row; the contact opens the conversation.</caption>
      <thead>
        <tr>
          <th scope="col">Contact</th>
          <th scope="col">Channel</th>
          <th scope="col">Status</th>
          <th scope="col">Agent</th>
          <th scope="col" aria-sort={sortedBy('created_at')}>
            Created
          </th>
          <th scope="col" aria-sort={sortedBy('updated_at')}>
            Updated
          </th>
        </tr>
      </thead>
      <tbody>
        {conversations.map((conversation) => (
          <Row key={conversation.uuid} conversation={conversation} view={view} />
        ))}
      </tbody>
    </table>
  );
}

function Row({ conversation, view }: { conversation: Conversation; view: ListView }) {
  const { contact } = conversation;
  return (
    <tr data-uuid={conversation.uuid}>
      <td class="cell-contact">
        <Link href={conversationHref(conversation.uuid, view)} class="row-link">
          <bdi>{contactName(contact)}</bdi>
        </Link>
        {contact.phone_number && (
          <span class="phone" dir="ltr">
            {contact.phone_number}
          </span>
        )}
      </td>
      <td>
        <ChannelBadge channel={conversation.channel} />
      </td>
      <td>
        <StatusBadge status={conversation.status} />
      </td>
      <td data-label="Agent" class="cell-labelled" title={conversation.agent_uuid ?? undefined}>
        <span class="mono">{conversation.agent_uuid ? shortUuid(conversation.agent_uuid) : '—'}</span>
      </td>
      <td data-label="Created" class="cell-labelled">
        {formatDateTime(conversation.created_at)}
      </td>
      <td data-label="Updated" class="cell-labelled">
        {formatDateTime(conversation.updated_at)}
      </td>
    </tr>
  );
}
