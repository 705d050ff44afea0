import type { EpochSeconds } from '../db/tables.js';

export const nowSeconds = (): EpochSeconds => Math.floor(Date.now() / 1000);

/** `2023-11-07T05:31:56Z`: UTC, whole seconds. */
export function toIso(seconds: EpochSeconds): string {
  return new Date(seconds * 1000).toISOString().slice(0, 19) + 'Z';
}

export function toIsoOrNull(seconds: EpochSeconds | null): string | null {
  return seconds === null ? null : toIso(seconds);
}

/**
 * Any RFC 3339 date-time (already validated by the schema) to whole seconds; a fraction is dropped.
 * The validator accepts two spellings Date.parse rejects: a leap second (`23:59:60`, kept in its
 * minute as `:59`) and an offset of hours only (`+05`).
 */
export function fromIso(value: string): EpochSeconds {
  const parseable = value.replace(/:60(?=(\.\d+)?([zZ]|[+-]))/, ':59').replace(/([+-]\d\d)$/, '$1:00');
  return Math.floor(Date.parse(parseable) / 1000);
}
