import type { components } from './generated.js';

/** `{ success: false, message, error: { code, details, field? } }`: every error Parley answers with. */
export type ErrorEnvelope = components['schemas']['ErrorEnvelope'];

/** A non-2xx answer from Parley, carrying its status and its error envelope. */
export class ParleyError extends Error {
  override name = 'ParleyError';
  /** e.g. `VALIDATION_ERROR`, `NOT_FOUND`, `RATE_LIMITED`; `HTTP_<status>` when the answer was not an envelope (a proxy's page). */
  readonly code: string;
  readonly details: string;
  /** The parameter or body field at fault, for `VALIDATION_ERROR` and `CONFLICT`. */
  readonly field: string | undefined;

  constructor(
    readonly status: number,
    readonly body: ErrorEnvelope,
    /** Parley's `x-request-id`, to quote when reporting a problem. */
    readonly requestId: string | null,
  ) {
    super(
      `${status} ${body.error.code}: ${body.message}${body.error.details && body.error.details !== body.message ? ` (${body.error.details})` : ''}`,
    );
    this.code = body.error.code;
    this.details = body.error.details;
    this.field = body.error.field;
  }
}

function isEnvelope(value: unknown): value is ErrorEnvelope {
  const envelope = value as Partial<ErrorEnvelope> | null;
  return (
    typeof envelope === 'object' &&
    envelope !== null &&
    envelope.success === false &&
    typeof envelope.message === 'string' &&
    typeof envelope.error?.code === 'string' &&
    typeof envelope.error.details === 'string'
  );
}

/** The error for a non-2xx response whose body text is `text`. */
export function errorFromResponse(response: Response, text: string): ParleyError {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const envelope: ErrorEnvelope = isEnvelope(body)
    ? body
    : {
        success: false,
        message: `HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`,
        error: { code: `HTTP_${response.status}`, details: text.slice(0, 500) },
      };
  return new ParleyError(response.status, envelope, response.headers.get('x-request-id'));
}
