import type { Conversation } from '@parley/client';
import { useEffect, useRef } from 'preact/hooks';
import { isNotFound } from '../../api/api.js';
import { useApi } from '../../api/context.js';
import { useLive } from '../../api/use-live.js';
import { contactName } from '../../format.js';
import { isUuid, type ListView, listHref } from '../../routing/list-view.js';
import { Link } from '../../routing/link.js';
import { Empty, ErrorNotice, Loading } from '../common/states.js';
import { useArrivalFocus } from '../common/use-arrival-focus.js';
import { CallCard } from './call-card.js';
import { ConversationDetails } from './conversation-details.js';
import { SessionList } from './session-list.js';
import { StatusControl } from './status-control.js';
import { Transcript } from './transcript.js';

/** One conversation: the call and what was said in the wide column; who, where and when beside it (below it on a phone). */
export function ConversationPage({ uuid, view }: { uuid: string; view: ListView }) {
  const api = useApi();
  const valid = isUuid(uuid);
  const detail = useLive<Conversation>(api, valid ? `conversation:${uuid}` : null, (client) => client.getConversation(uuid));
  const conversation = detail.value;
  const heading = useRef<HTMLHeadingElement>(null);
  useArrivalFocus(heading);

  useEffect(() => {
    document.title = `${conversation ? contactName(conversation.contact) : 'Conversation'} · Parley inbox`;
  }, [conversation]);

  const back = (
    <Link href={listHref(view)} class="back-link">
      <span aria-hidden="true">← </span>Conversations
    </Link>
  );

  let body;
  if (!valid || (conversation === undefined && isNotFound(detail.error))) {
    body = <Empty title="This conversation does not exist in your workspace." />;
  } else if (conversation === undefined) {
    body = detail.error ? (
      <ErrorNotice title="The conversation could not be loaded." error={detail.error} onRetry={detail.retry} />
    ) : (
      <Loading what="the conversation" />
    );
  } else {
    // The transcript and sessions are checked again whenever the conversation itself moves.
    const version = `${conversation.updated_at}|${conversation.timestamp}`;
    body = (
      <>
        <div class="conversation-head">
          <StatusControl conversation={conversation} onChanged={detail.replace} />
        </div>
        {detail.error !== null && (
          <ErrorNotice
            title="The conversation could not be refreshed; it shows the last answer."
            error={detail.error}
            onRetry={detail.retry}
          />
        )}
        <div class="conversation-layout">
          <div class="conversation-main">
            {conversation.call && <CallCard call={conversation.call} />}
            <Transcript conversation={conversation} version={version} />
          </div>
          <div class="conversation-side">
            <ConversationDetails conversation={conversation} />
            <SessionList uuid={uuid} version={version} />
          </div>
        </div>
      </>
    );
  }

  return (
    <main id="main" class="page conversation-page">
      {back}
      <h1 ref={heading} tabIndex={-1}>
        {conversation ? <bdi>{contactName(conversation.contact)}</bdi> : 'Conversation'}
      </h1>
      {body}
    </main>
  );
}
