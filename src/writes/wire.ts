import { AppError, type ErrorCode } from '../http/errors.js';
import type { WriteName } from './operations.js';

/** What crosses between the server's thread and its write thread. */

export interface WriteRequest {
  id: number;
  name: WriteName;
  args: unknown[];
}

/** A query's kind and its time in seconds, for the server's query histogram. */
export type QueryTiming = [operation: string, seconds: number];

export type WriteReply = { id: number; timings: QueryTiming[] } & ({ ok: true; result: unknown } | { ok: false; error: WireError });

/**
 * An error as plain data: a structured clone keeps an Error's message but drops the fields the
 * error handler decides by (an AppError's code and field, a driver's error code).
 */
export interface WireError {
  name: string;
  message: string;
  stack?: string;
  code?: string;
  app?: { code: ErrorCode; details: string; field?: string };
}

export function toWire(error: unknown): WireError {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error) };
  const code = (error as { code?: unknown }).code;
  return {
    name: error.name,
    message: error.message,
    ...(error.stack === undefined ? {} : { stack: error.stack }),
    ...(typeof code === 'string' ? { code } : {}),
    ...(error instanceof AppError
      ? { app: { code: error.code, details: error.details, ...(error.field ? { field: error.field } : {}) } }
      : {}),
  };
}

export function fromWire(wire: WireError): Error {
  if (wire.app) return new AppError(wire.app.code, wire.message, wire.app.details, wire.app.field);
  const error = Object.assign(new Error(wire.message), wire.code === undefined ? {} : { code: wire.code });
  error.name = wire.name;
  if (wire.stack !== undefined) error.stack = wire.stack;
  return error;
}
