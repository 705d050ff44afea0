/** Every error code of the contract, with its HTTP status. */
export const ERROR_STATUS = {
  BAD_REQUEST: 400,
  MISSING_AUTH_TOKEN: 401,
  INVALID_AUTH_TOKEN: 401,
  NOT_FOUND: 404,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  VALIDATION_ERROR: 422,
  RATE_LIMITED: 429,
  INTERNAL_ERROR: 500,
  SERVICE_UNAVAILABLE: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

/** An error a client caused or should know about; the error handler turns it into the envelope. */
export class AppError extends Error {
  readonly statusCode: number;

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: string = message,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'AppError';
    this.statusCode = ERROR_STATUS[code];
  }
}

export const validationError = (field: string, details: string) =>
  new AppError('VALIDATION_ERROR', 'The given data was invalid', details, field);

export const notFound = (what: string) => new AppError('NOT_FOUND', `${what} not found`);

export const conflict = (field: string, details: string) =>
  new AppError('CONFLICT', 'The request conflicts with stored data', details, field);
