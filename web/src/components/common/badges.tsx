import type { Channel, ConversationStatus } from '@parley/client';
import { channelLabel } from '../../format.js';

export function StatusBadge({ status }: { status: ConversationStatus }) {
  return <span class={`badge status-${status.toLowerCase()}`}>{status}</span>;
}

export function ChannelBadge({ channel }: { channel: Channel }) {
  return <span class={`badge channel channel-${channel.toLowerCase()}`}>{channelLabel(channel)}</span>;
}
