import type { Conversation } from '@parley/client';
import { formatDateTime, formatDuration } from '../../format.js';

type Call = NonNullable<Conversation['call']>;

/** Only http(s) recordings are offered to the player: a `javascript:` or `data:` URL in the data must never become a link. */
const playable = (url: string | null) => (url && /^https?:\/\//i.test(url) ? url : null);

/** The call behind the conversation: how it went, its summary, and its recording. */
export function CallCard({ call }: { call: Call }) {
  const recording = playable(call.recording_url);
  return (
    <section class="card call" aria-labelledby="call-title">
      <h2 id="call-title">Call</h2>
      <dl class="call-facts">
        <div class="item">
          <dt>Direction</dt>
          <dd>{call.direction ?? '—'}</dd>
        </div>
        <div class="item">
          <dt>Status</dt>
          <dd>{call.status ?? '—'}</dd>
        </div>
        <div class="item">
          <dt>Duration</dt>
          <dd>{formatDuration(call.duration)}</dd>
        </div>
        <div class="item">
          <dt>Handled by</dt>
          <dd>{call.handled_by ?? '—'}</dd>
        </div>
        <div class="item">
          <dt>Time</dt>
          <dd>{formatDateTime(call.timestamp)}</dd>
        </div>
      </dl>
      {call.summary && (
        <>
          <h3>Summary</h3>
          <p class="call-summary">{call.summary}</p>
        </>
      )}
      <h3>Recording</h3>
      {recording ? (
        <>
          {/* preload none: the provider's host is only contacted when the reader presses play. */}
          <audio class="recording" controls preload="none" src={recording}>
            <a href={recording}>Download the recording</a>
          </audio>
          <p class="hint">
            <a href={recording} target="_blank" rel="noopener noreferrer">
              Open the recording
            </a>
          </p>
        </>
      ) : (
        <p class="muted">No recording.</p>
      )}
    </section>
  );
}
