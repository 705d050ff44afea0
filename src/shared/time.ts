import type { EpochSeconds } from '../db/tables.js';

export const nowSeconds = (): EpochSeconds => Math.floor(Date.now() / 1000);

/** `2023-11-07T05:31:56Z`: UTC, whole seconds. */
export function toIso(seconds: EpochSeconds): string {
  return new Date(seconds * 1000).toISOString().slice(0, 19) + 'Z';
}

export function toIsoOrNull(seconds: EpochSeconds | null): string | null {
  return seconds === null ? null : toIso(seconds);
}

/** Any RFC 3339 date-time (already validated by the schema) to whole seconds; a fraction is dropped. */
export function fromIso(value: string): EpochSeconds {
  return Math.floor(Date.parse(value) / 1000);
}
