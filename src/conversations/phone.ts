/**
 * The phone filter ignores spaces, `-`, `(`, `)`, `.` and a leading `+` on both sides, so stored
 * numbers keep their original formatting and a normalised copy is what the filter matches.
 */
export function normalisePhone(value: string): string {
  // Separators first: in `(+44) 20` the `+` leads only once the parenthesis is gone.
  return value
    .trim()
    .replace(/[\s\-().]/g, '')
    .replace(/^\+/, '')
    .toLowerCase();
}

export const hasDigit = (value: string) => /[0-9]/.test(value);
