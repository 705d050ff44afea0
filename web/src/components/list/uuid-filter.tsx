import { useState } from 'preact/hooks';
import { isUuid } from '../../routing/list-view.js';
import { useSyncedText } from './use-synced-text.js';

interface Props {
  id: string;
  label: string;
  value: string;
  /** Uuids to offer while typing (the agents and campaigns seen so far); any other uuid is accepted too. */
  suggestions?: Iterable<string>;
  onCommit: (uuid: string) => void;
}

/** A filter by uuid: applied as soon as the text is a whole uuid (or empty); anything else is pointed out on leaving the field. */
export function UuidFilter({ id, label, value, suggestions, onCommit }: Props) {
  const { text, setText, markCommitted } = useSyncedText(value);
  const [invalid, setInvalid] = useState(false);
  const options = suggestions ? [...suggestions].sort() : [];

  const apply = (typed: string) => {
    const uuid = typed.trim().toLowerCase();
    if (uuid !== '' && !isUuid(uuid)) return false;
    markCommitted(uuid);
    if (uuid !== value) onCommit(uuid);
    return true;
  };

  return (
    <div class="field">
      <label for={id}>{label}</label>
      <input
        id={id}
        type="text"
        class="mono"
        autocomplete="off"
        spellcheck={false}
        placeholder="uuid"
        value={text}
        list={options.length > 0 ? `${id}-seen` : undefined}
        aria-invalid={invalid ? 'true' : undefined}
        aria-describedby={invalid ? `${id}-error` : undefined}
        onInput={(event) => {
          setText(event.currentTarget.value);
          if (apply(event.currentTarget.value)) setInvalid(false);
        }}
        onChange={(event) => setInvalid(!apply(event.currentTarget.value))}
      />
      {options.length > 0 && (
        <datalist id={`${id}-seen`}>
          {options.map((option) => (
            <option key={option} value={option} />
          ))}
        </datalist>
      )}
      {invalid && (
        <span id={`${id}-error`} class="hint hint-warn" role="alert">
          Not a uuid: expected 8-4-4-4-12 hexadecimal digits.
        </span>
      )}
    </div>
  );
}
