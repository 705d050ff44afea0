import type { ConversationPage } from '@parley/client';
import { useEffect, useRef } from 'preact/hooks';
import { useApi } from '../../api/context.js';
import { useLive } from '../../api/use-live.js';
import { activeFilters, type ListView, listHref, viewQuery, viewSearch, withChanges, withoutFilters } from '../../routing/list-view.js';
import { Link } from '../../routing/link.js';
import { navigate } from '../../routing/router.js';
import { Empty, ErrorNotice, Loading } from '../common/states.js';
import { useArrivalFocus } from '../common/use-arrival-focus.js';
import { ConversationTable } from './conversation-table.js';
import { Filters } from './filters.js';
import { Pagination } from './pagination.js';
import { Summary } from './summary.js';

/** The conversations list: filters, the exact total, one page of rows and the way to the others, all held by the URL. */
export function ListPage({ view }: { view: ListView }) {
  const api = useApi();
  const search = viewSearch(view);
  const list = useLive<ConversationPage>(api, `list${search}`, (client) => client.listConversations(viewQuery(view)));
  const heading = useRef<HTMLHeadingElement>(null);
  useArrivalFocus(heading);

  useEffect(() => {
    document.title = 'Conversations · Parley inbox';
  }, []);
  useEffect(() => {
    for (const conversation of list.value?.data ?? []) {
      if (conversation.agent_uuid) api.seen.agent_uuid.add(conversation.agent_uuid);
      if (conversation.campaign_uuid) api.seen.campaign_uuid.add(conversation.campaign_uuid);
    }
  }, [api, list.value]);

  // Typing in the phone box rewrites the current history entry; every other change is a step Back can undo.
  const change = (changes: Partial<ListView>, replace = false) => navigate(listHref(withChanges(view, changes)), { replace });
  const page = list.value;
  const filtered = activeFilters(view) > 0;

  return (
    <main id="main" class="page list-page">
      <h1 ref={heading} tabIndex={-1}>
        Conversations
      </h1>
      <Filters view={view} onChange={change} onClear={() => navigate(listHref(withoutFilters(view)))} />
      {page === undefined ? (
        list.error ? (
          <ErrorNotice title="The conversations could not be loaded." error={list.error} onRetry={list.retry} />
        ) : (
          <Loading what="conversations" />
        )
      ) : (
        <section
          aria-labelledby="results-summary"
          aria-busy={list.stale ? 'true' : 'false'}
          class={list.stale ? 'results is-stale' : 'results'}
        >
          <Summary id="results-summary" page={page} updating={list.stale} />
          {list.error !== null && !list.stale && (
            <ErrorNotice title="The list could not be refreshed; it shows the last answer." error={list.error} onRetry={list.retry} />
          )}
          {page.data.length > 0 ? (
            <ConversationTable conversations={page.data} view={view} />
          ) : page.total > 0 ? (
            <Empty
              title={`Page ${page.current_page} is past the end: there ${page.last_page === 1 ? 'is 1 page' : `are ${page.last_page} pages`}.`}
            >
              <Link href={listHref({ ...view, page: page.last_page })} class="button">
                Go to the last page
              </Link>
            </Empty>
          ) : (
            <Empty title={filtered ? 'No conversation matches these filters.' : 'This workspace has no conversations yet.'}>
              {filtered && (
                <Link href={listHref(withoutFilters(view))} class="button">
                  Clear the filters
                </Link>
              )}
            </Empty>
          )}
          <Pagination page={page} view={view} />
        </section>
      )}
    </main>
  );
}
