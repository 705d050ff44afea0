import type { Conversation } from '@parley/client';
import { useState } from 'preact/hooks';
import { describeError } from '../../api/api.js';
import { useApi } from '../../api/context.js';
import { StatusBadge } from '../common/badges.js';

/** The conversation's status and the one action on it: close an active one, reopen a closed one. */
export function StatusControl({
  conversation,
  onChanged,
}: {
  conversation: Conversation;
  onChanged: (conversation: Conversation) => void;
}) {
  const api = useApi();
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ text: string; error: boolean } | null>(null);
  const closing = conversation.status === 'Active';

  const toggle = async () => {
    setBusy(true);
    setMessage(null);
    try {
      const changed = await api.client.setConversationStatus(conversation.uuid, closing ? 'Closed' : 'Active');
      onChanged(changed);
      setMessage({ text: changed.status === 'Closed' ? 'Conversation closed.' : 'Conversation reopened.', error: false });
    } catch (error) {
      setMessage({ text: `The status could not be changed. ${describeError(error)}`, error: true });
    } finally {
      setBusy(false);
    }
  };

  return (
    <div class="status-control">
      <span class="status-label">
        Status <StatusBadge status={conversation.status} />
      </span>
      <button type="button" class={closing ? 'button' : 'button button-primary'} disabled={busy} onClick={toggle}>
        {busy ? 'Saving…' : closing ? 'Close conversation' : 'Reopen conversation'}
      </button>
      <span role="status" class={message?.error ? 'hint hint-warn' : 'hint'}>
        {message?.text}
      </span>
    </div>
  );
}
