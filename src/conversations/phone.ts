/**
 * The phone filter ignores spaces, `-`, `(`, `)`, `.` and a leading `+` on both sides, so stored
 * numbers keep their original formatting and a normalised copy is what the filter matches.
 */
export function normalisePhone(value: string): string {
  return value
    .trim()
    .replace(/^\+/, '')
    .replace(/[\s\-().]/g, '')
    .toLowerCase();
}

export const hasDigit = (value: string) => /[0-9]/.test(value);
