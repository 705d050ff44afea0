import type { SessionPage } from '@parley/client';
import { useState } from 'preact/hooks';
import { useApi } from '../../api/context.js';
import { useLive } from '../../api/use-live.js';
import { formatDateTime, plural, shortUuid } from '../../format.js';
import { ErrorNotice, Loading } from '../common/states.js';

const PER_PAGE = 15;

/** The conversation's sessions, oldest first, a page at a time. Checked again when the conversation moves (`version`). */
export function SessionList({ uuid, version }: { uuid: string; version: string }) {
  const api = useApi();
  const [page, setPage] = useState(1);
  const sessions = useLive<SessionPage>(
    api,
    `sessions:${uuid}:${page}:${version}`,
    (client) => client.listSessions(uuid, { page, per_page: PER_PAGE }),
    0,
  );
  const answer = sessions.value;

  return (
    <section class="card" aria-labelledby="sessions-title">
      <h2 id="sessions-title">Sessions{answer ? ` (${answer.total})` : ''}</h2>
      {answer === undefined ? (
        sessions.error ? (
          <ErrorNotice title="The sessions could not be loaded." error={sessions.error} onRetry={sessions.retry} />
        ) : (
          <Loading what="sessions" />
        )
      ) : answer.total === 0 ? (
        <p class="muted">No sessions.</p>
      ) : (
        <>
          <ol class="sessions" start={(answer.current_page - 1) * answer.per_page + 1}>
            {answer.data.map((session) => (
              <li key={session.uuid}>
                <span class="mono" title={session.uuid}>
                  {shortUuid(session.uuid)}
                </span>{' '}
                <span class="muted">
                  {/* created_at is when Parley stored the session, not when it began: never shown as its start. */}
                  {session.started_at ? formatDateTime(session.started_at) : 'start not recorded'}
                  {session.ended_at ? ` – ${formatDateTime(session.ended_at)}` : ''}
                </span>
                {session.summary && <p class="session-summary">{session.summary}</p>}
              </li>
            ))}
          </ol>
          {answer.last_page > 1 && (
            <div class="pager-buttons">
              <button type="button" class="button button-quiet" disabled={page <= 1} onClick={() => setPage(page - 1)}>
                Earlier sessions
              </button>
              <span class="muted">
                {plural(answer.total, 'session')}, page {answer.current_page} of {answer.last_page}
              </span>
              <button type="button" class="button button-quiet" disabled={page >= answer.last_page} onClick={() => setPage(page + 1)}>
                Later sessions
              </button>
            </div>
          )}
        </>
      )}
    </section>
  );
}
