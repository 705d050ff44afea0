import type { Conversation, Message } from '@parley/client';
import { useRef } from 'preact/hooks';
import { contactName, formatTime, plural } from '../../format.js';
import { ErrorNotice, Loading } from '../common/states.js';
import { useTranscript } from './use-transcript.js';

/** Message types that are not something a person said: shown as a neutral line across the transcript. */
const SYSTEM_TYPES = new Set(['system', 'event', 'note', 'status']);

type Kind = 'contact' | 'ai' | 'human' | 'system';

function kindOf(message: Message): Kind {
  if (message.message_type && SYSTEM_TYPES.has(message.message_type.toLowerCase())) return 'system';
  return message.sender === 'Contact' ? 'contact' : message.sender === 'AI' ? 'ai' : 'human';
}

const dayFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'full' });
const dayOf = (iso: string) => dayFormat.format(new Date(iso));

function Bubble({ message, contact }: { message: Message; contact: string }) {
  const kind = kindOf(message);
  const sender = kind === 'contact' ? contact : kind === 'ai' ? 'AI agent' : kind === 'human' ? 'Human agent' : 'System';
  const type = message.message_type && !['text', 'transcript', 'email'].includes(message.message_type) ? message.message_type : null;
  return (
    <li class={`message from-${kind}`} data-uuid={message.uuid} data-sender={message.sender} tabIndex={-1}>
      <div class="bubble">
        <p class="message-meta">
          <bdi class="sender">{sender}</bdi> <time dateTime={message.created_at}>{formatTime(message.created_at)}</time>
          {type && <span class="message-type">{type}</span>}
        </p>
        <p class="message-content" dir="auto">
          {message.content}
        </p>
      </div>
    </li>
  );
}

/** What was said, oldest at the top, with day separators; opens on the newest page and loads older or newer pages on demand. */
export function Transcript({ conversation, version }: { conversation: Conversation; version: string }) {
  const transcript = useTranscript(conversation.uuid, version);
  const list = useRef<HTMLOListElement>(null);
  const contact = contactName(conversation.contact);

  // After a page arrives, the keyboard focus moves to its first message not shown before, where reading continues.
  const loadThenFocus = async (load: () => Promise<Message[]>) => {
    const shown = new Set(transcript.messages?.map((message) => message.uuid));
    const first = (await load()).find((message) => !shown.has(message.uuid));
    if (first) requestAnimationFrame(() => list.current?.querySelector<HTMLElement>(`[data-uuid="${first.uuid}"]`)?.focus());
  };

  const { messages } = transcript;
  let body;
  if (messages === undefined) {
    body = transcript.error ? (
      <ErrorNotice title="The transcript could not be loaded." error={transcript.error} onRetry={transcript.retry} />
    ) : (
      <Loading what="the transcript" />
    );
  } else if (messages.length === 0) {
    body = <p class="muted">No messages in this conversation yet.</p>;
  } else {
    let day = '';
    body = (
      <>
        {transcript.hasOlder && (
          <button
            type="button"
            class="button load-more"
            disabled={transcript.busy}
            onClick={() => void loadThenFocus(transcript.loadOlder)}
          >
            Load older messages
          </button>
        )}
        <ol class="messages" ref={list}>
          {messages.flatMap((message) => {
            const items = [];
            const messageDay = dayOf(message.created_at);
            if (messageDay !== day) {
              day = messageDay;
              items.push(
                <li key={`day-${messageDay}`} class="day">
                  {messageDay}
                </li>,
              );
            }
            items.push(<Bubble key={message.uuid} message={message} contact={contact} />);
            return items;
          })}
        </ol>
        {transcript.newer > 0 && (
          <button
            type="button"
            class="button load-more"
            disabled={transcript.busy}
            onClick={() => void loadThenFocus(transcript.loadNewer)}
          >
            Load newer messages ({transcript.newer})
          </button>
        )}
        {transcript.error !== null && <ErrorNotice title="More messages could not be loaded." error={transcript.error} />}
      </>
    );
  }

  return (
    <section class="card transcript" aria-labelledby="transcript-title">
      <h2 id="transcript-title">
        Transcript {messages !== undefined && <span class="muted">({plural(transcript.total, 'message')})</span>}
      </h2>
      {body}
    </section>
  );
}
