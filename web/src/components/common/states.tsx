import type { ComponentChildren } from 'preact';
import { describeError } from '../../api/api.js';

/** Something is on its way; announced to screen readers once. */
export function Loading({ what }: { what: string }) {
  return (
    <p class="state state-loading" role="status">
      <span class="spinner" aria-hidden="true" />
      Loading {what}…
    </p>
  );
}

/** Nothing to show, said plainly, with a way out when there is one. */
export function Empty({ title, children }: { title: string; children?: ComponentChildren }) {
  return (
    <div class="state state-empty" role="status">
      <p class="state-title">{title}</p>
      {children}
    </div>
  );
}

/** A failure and, when trying again can help, a button to do so. */
export function ErrorNotice({ title, error, onRetry }: { title: string; error: unknown; onRetry?: () => void }) {
  return (
    <div class="state state-error" role="alert">
      <p class="state-title">{title}</p>
      <p>{describeError(error)}</p>
      {onRetry && (
        <button type="button" class="button" onClick={onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}
