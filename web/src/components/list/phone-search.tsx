import { useEffect, useRef } from 'preact/hooks';
import { isPhoneQuery } from '../../routing/list-view.js';
import { useSyncedText } from './use-synced-text.js';

/** How long typing must pause before the list follows: one request per burst of keys, not per key. */
const DEBOUNCE_MS = 300;

/** The phone search: the list follows as you type; Enter applies at once. */
export function PhoneSearch({ value, onCommit }: { value: string; onCommit: (phone: string) => void }) {
  const { text, setText, markCommitted } = useSyncedText(value);
  const timer = useRef<ReturnType<typeof setTimeout>>();
  useEffect(() => () => clearTimeout(timer.current), []);

  // Without a digit the API has nothing to match: the list then shows everything until one is typed.
  const usable = (typed: string) => (isPhoneQuery(typed.trim()) ? typed.trim() : '');
  const commit = (typed: string) => {
    clearTimeout(timer.current);
    const phone = usable(typed);
    markCommitted(phone);
    if (phone !== value) onCommit(phone);
  };
  const waiting = text.trim() !== '' && usable(text) === '';

  return (
    <div class="field field-phone">
      <label for="filter-phone">Phone</label>
      <input
        id="filter-phone"
        type="search"
        inputMode="tel"
        autocomplete="off"
        maxLength={32}
        placeholder="e.g. 532 123"
        value={text}
        aria-describedby="filter-phone-hint"
        onInput={(event) => {
          const typed = event.currentTarget.value;
          setText(typed);
          clearTimeout(timer.current);
          timer.current = setTimeout(() => commit(typed), DEBOUNCE_MS);
        }}
        onKeyDown={(event) => {
          if (event.key === 'Enter') commit(event.currentTarget.value);
        }}
      />
      <span id="filter-phone-hint" class={waiting ? 'hint hint-warn' : 'hint'}>
        {waiting ? 'Type at least one digit.' : 'Any part of the number; spaces, dashes and + do not matter.'}
      </span>
    </div>
  );
}
