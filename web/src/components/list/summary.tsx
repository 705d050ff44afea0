import type { ConversationPage } from '@parley/client';
import { formatCount, plural } from '../../format.js';

/** The exact total and where this page sits in it; announced when it changes. */
export function Summary({ id, page, updating }: { id: string; page: ConversationPage; updating: boolean }) {
  const first = (page.current_page - 1) * page.per_page + 1;
  const last = first + page.data.length - 1;
  return (
    <p id={id} class="summary" aria-live="polite">
      <strong class="total">{plural(page.total, 'conversation')}</strong>
      {page.data.length > 0 && (
        <span class="muted">
          {' '}
          · showing {formatCount(first)}–{formatCount(last)}
        </span>
      )}
      {updating && <span class="muted"> · updating…</span>}
    </p>
  );
}
