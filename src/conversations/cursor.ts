import { validationError } from '../http/errors.js';
import type { SORT_DIRECTIONS, SORT_KEYS } from './schemas.js';

export interface ListCursor {
  sortBy: (typeof SORT_KEYS)[number];
  sortDir: (typeof SORT_DIRECTIONS)[number];
  /** The sort key's value (epoch seconds) and the internal id of the last row handed out. */
  key: number;
  id: number;
}

/** Opaque to clients. It names its sort so that it cannot silently be used with another. */
export function encodeCursor(cursor: ListCursor): string {
  return Buffer.from(`c1:${cursor.sortBy}:${cursor.sortDir}:${cursor.key}:${cursor.id}`).toString('base64url');
}

const CURSOR = /^c1:(created_at|updated_at):(asc|desc):(-?\d{1,15}):(\d{1,15})$/;

/** `''` starts a walk; anything else must be a cursor this API handed out for the same sort. */
export function decodeCursor(value: string, sortBy: ListCursor['sortBy'], sortDir: ListCursor['sortDir']): ListCursor | null {
  if (value === '') return null;
  const match = CURSOR.exec(Buffer.from(value, 'base64url').toString('utf8'));
  if (!match) throw validationError('cursor', 'cursor is not one this API handed out');
  if (match[1] !== sortBy || match[2] !== sortDir) {
    throw validationError('cursor', `cursor was made for sort_by=${match[1]}&sort_dir=${match[2]}; repeat those with it`);
  }
  return { sortBy, sortDir, key: Number(match[3]), id: Number(match[4]) };
}
