import type { Channel } from '@parley/client';
import { channelLabel } from '../../format.js';
import { CHANNELS } from '../../routing/list-view.js';

/** Channels to include; none ticked means every channel. */
export function ChannelPicker({ value, onChange }: { value: Channel[]; onChange: (channels: Channel[]) => void }) {
  const toggle = (channel: Channel, on: boolean) =>
    onChange(CHANNELS.filter((candidate) => (candidate === channel ? on : value.includes(candidate))));
  return (
    <fieldset class="field channel-picker">
      <legend>Channel</legend>
      <div class="chips">
        {CHANNELS.map((channel) => (
          <label key={channel} class="chip">
            <input type="checkbox" checked={value.includes(channel)} onChange={(event) => toggle(channel, event.currentTarget.checked)} />
            <span>{channelLabel(channel)}</span>
          </label>
        ))}
      </div>
    </fieldset>
  );
}
