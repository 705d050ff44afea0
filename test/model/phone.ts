/**
 * The phone rule of the contract, read literally: "Spaces, `-`, `(`, `)`, `.` and a leading `+`
 * are ignored on both sides", and `%` and `_` are ordinary characters. Written from the spec, not
 * from Parley's code.
 *
 * "Ignored" is taken to mean the separators count for nothing, not even for deciding which `+`
 * leads: `(+44) 20` is `44 20` with a leading `+`, so both spellings find `+44 20 7946 0958`.
 * Only the ASCII space is a "space" here; the generators never put other white space in a number.
 */
export function normalisePhone(value: string): string {
  const withoutSeparators = value.replace(/[ \-().]/g, '');
  return withoutSeparators.startsWith('+') ? withoutSeparators.slice(1) : withoutSeparators;
}

/** "Must contain at least one digit": an ASCII one (existing tests pin `٥٣٢` as having none). */
export const hasDigit = (value: string) => /[0-9]/.test(value);

/** Whether a stored number is found by the fragment `query` (already known to be valid). */
export const phoneMatches = (stored: string | null, query: string) =>
  stored !== null && normalisePhone(stored).includes(normalisePhone(query));
