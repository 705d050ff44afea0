import { useEffect, useRef, useState } from 'preact/hooks';

/**
 * The text of an input that commits to the URL: what the user types stays as typed, and a change
 * of the committed value from elsewhere (Back, "clear the filters") replaces it.
 */
export function useSyncedText(committed: string) {
  const [text, setText] = useState(committed);
  const last = useRef(committed);
  useEffect(() => {
    if (committed !== last.current) {
      last.current = committed;
      setText(committed);
    }
  }, [committed]);
  /** Records `value` as committed by this input, so that its arrival through the URL does not overwrite newer typing. */
  const markCommitted = (value: string) => {
    last.current = value;
  };
  return { text, setText, markCommitted };
}
