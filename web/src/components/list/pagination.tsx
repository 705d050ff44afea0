import type { ConversationPage } from '@parley/client';
import { formatCount } from '../../format.js';
import { type ListView, listHref } from '../../routing/list-view.js';
import { Link } from '../../routing/link.js';

/** A step to another page: a real link, or a greyed label where there is nowhere to go. */
function Step({ label, text, to, view }: { label: string; text: string; to: number | null; view: ListView }) {
  if (to === null) {
    return (
      <span class="page-step" aria-disabled="true">
        <span aria-hidden="true">{text}</span>
        <span class="visually-hidden">{label}</span>
      </span>
    );
  }
  return (
    <Link href={listHref({ ...view, page: to })} class="page-step" aria-label={label}>
      {text}
    </Link>
  );
}

export function Pagination({ page, view }: { page: ConversationPage; view: ListView }) {
  const current = page.current_page;
  const last = page.last_page;
  if (last <= 1 && current === 1) return null;
  return (
    <nav class="pagination" aria-label="Pages">
      <Step label="First page" text="«" to={current > 1 ? 1 : null} view={view} />
      <Step label="Previous page" text="‹ Previous" to={current > 1 ? Math.min(current - 1, last) : null} view={view} />
      <span class="page-position" aria-current="page">
        Page {formatCount(current)} of {formatCount(last)}
      </span>
      <Step label="Next page" text="Next ›" to={current < last ? current + 1 : null} view={view} />
      <Step label="Last page" text="»" to={current < last ? last : null} view={view} />
    </nav>
  );
}
