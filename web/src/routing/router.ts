import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';

/** Where the inbox is: its path and query string, which hold everything needed to show the same view again. */
export interface Place {
  path: string;
  search: URLSearchParams;
}

const NAVIGATED = 'parley:navigate';

const here = (): Place => ({ path: location.pathname, search: new URLSearchParams(location.search) });

/** Moves to `url` without reloading. `replace` rewrites the current history entry (typing in a search box). */
export function navigate(url: string, { replace = false } = {}): void {
  if (url === location.pathname + location.search) return;
  if (replace) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  window.dispatchEvent(new Event(NAVIGATED));
}

/** The current place, following the back and forward buttons and `navigate`. */
export function usePlace(): Place {
  const [place, setPlace] = useState(here);
  useEffect(() => {
    const update = () => setPlace(here());
    window.addEventListener('popstate', update);
    window.addEventListener(NAVIGATED, update);
    return () => {
      window.removeEventListener('popstate', update);
      window.removeEventListener(NAVIGATED, update);
    };
  }, []);
  return place;
}

/**
 * A click handler for links to the inbox's own pages: a plain click moves without reloading; a
 * click with a modifier (new tab, new window) or another button is left to the browser.
 */
export function followLink(event: JSX.TargetedMouseEvent<HTMLAnchorElement>): void {
  if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  event.preventDefault();
  navigate(event.currentTarget.getAttribute('href')!);
}
