import { Link } from '../../routing/link.js';

/** The bar on every signed-in page: the way home and the way out. */
export function Header({ onSignOut }: { onSignOut: () => void }) {
  return (
    <header class="topbar">
      <Link href="/" class="brand">
        Parley <span class="brand-sub">inbox</span>
      </Link>
      <button type="button" class="button button-quiet" onClick={onSignOut}>
        Sign out
      </button>
    </header>
  );
}
