import type { RefObject } from 'preact';
import { useEffect } from 'preact/hooks';

/**
 * On arrival at a page, puts the keyboard focus on its heading when the focus was lost (the link
 * that was followed is gone), so that keyboard and screen-reader users start at the new content.
 * Focus that is somewhere on purpose is left alone.
 */
export function useArrivalFocus(heading: RefObject<HTMLElement>) {
  useEffect(() => {
    if (document.activeElement === null || document.activeElement === document.body) heading.current?.focus();
  }, [heading]);
}
