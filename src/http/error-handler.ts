import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isDatabaseUnavailable } from '../db/dialect.js';
import { UUID_LIST_PATTERN, UUID_PATTERN, type ErrorEnvelope } from '../shared/schemas.js';
import { AppError, type ErrorCode, ERROR_STATUS } from './errors.js';
import { workspaceField } from '../metrics/workspace-field.js';

export interface AjvError {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}

function send(reply: FastifyReply, code: ErrorCode, message: string, details: string, field?: string) {
  const body: ErrorEnvelope = { success: false, message, error: { code, details, ...(field ? { field } : {}) } };
  return reply.code(ERROR_STATUS[code]).type('application/json; charset=utf-8').send(body);
}

/** `/contact/uuid` → `contact.uuid`; array positions stay numeric: `session_uuids.2`. */
export function fieldOf(error: AjvError): string {
  const path = error.instancePath
    .split('/')
    .slice(1)
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'));
  for (const key of ['missingProperty', 'additionalProperty']) {
    if (typeof error.params[key] === 'string') path.push(error.params[key]);
  }
  return path.join('.');
}

export function describe(error: AjvError, field: string, context: string): string {
  const subject = field || context;
  switch (error.keyword) {
    case 'required':
      return `${subject} is required`;
    case 'additionalProperties':
      return `${subject} is not a known field`;
    case 'enum':
      return `${subject} must be one of ${(error.params.allowedValues as unknown[]).map(String).join(', ')}`;
    case 'pattern':
      if (error.params.pattern === UUID_PATTERN) return `${subject} must be a UUID`;
      if (error.params.pattern === UUID_LIST_PATTERN) return `${subject} must be one or more UUIDs separated by commas`;
      return `${subject} ${error.message}`;
    case 'format':
      return error.params.format === 'uuid' ? `${subject} must be a UUID` : `${subject} must be a valid ${String(error.params.format)}`;
    case 'type':
      return `${subject} must be ${String(error.params.type)
        .split(',')
        .map((type) => (type === 'null' ? 'null' : /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`))
        .join(' or ')}`;
    default:
      return `${subject} ${error.message ?? 'is invalid'}`;
  }
}

/** Errors Fastify raises before routing (a malformed or over-long URL), in the same envelope. */
export function frameworkErrors(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  request.log.info({ code: error.code }, 'malformed URL');
  return send(reply, 'BAD_REQUEST', 'Malformed URL', 'The URL is malformed or a part of it is too long');
}

/** Installs the one error envelope on the root instance: thrown errors, schema failures and unknown routes. */
export function installErrorHandling(app: FastifyInstance) {
  app.setNotFoundHandler((request, reply) =>
    send(reply, 'NOT_FOUND', 'Route not found', `No route for ${request.method} ${request.url.split('?')[0]}`),
  );

  app.setErrorHandler((error: FastifyError | AppError, request, reply) => {
    if (error instanceof AppError) return send(reply, error.code, error.message, error.details, error.field);

    const validation = (error as FastifyError).validation as AjvError[] | undefined;
    if (validation?.[0]) {
      const context = (error as FastifyError).validationContext ?? 'request';
      const field = fieldOf(validation[0]);
      return send(reply, 'VALIDATION_ERROR', 'The given data was invalid', describe(validation[0], field, context), field || context);
    }

    switch ((error as FastifyError).code) {
      case 'FST_ERR_CTP_BODY_TOO_LARGE':
        return send(reply, 'PAYLOAD_TOO_LARGE', 'Request body is too large', 'The request body exceeds the size limit');
      case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
        return send(reply, 'BAD_REQUEST', 'Unsupported content type', 'The request body must be sent as application/json');
      case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      case 'FST_ERR_CTP_INVALID_JSON_BODY':
        return send(reply, 'BAD_REQUEST', 'Malformed JSON body', 'The request body is not valid JSON');
    }

    if (isDatabaseUnavailable(error)) {
      request.log.error({ ...workspaceField(request), err: error }, 'database unavailable');
      return send(reply, 'SERVICE_UNAVAILABLE', 'Service temporarily unavailable', 'The database cannot be reached; try again shortly');
    }

    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      if (error instanceof SyntaxError) {
        return send(reply, 'BAD_REQUEST', 'Malformed JSON body', 'The request body is not valid JSON');
      }
      return send(reply, status === 404 ? 'NOT_FOUND' : 'BAD_REQUEST', 'Bad request', 'The request could not be understood');
    }

    request.log.error({ ...workspaceField(request), err: error }, 'unhandled error');
    return send(reply, 'INTERNAL_ERROR', 'Internal server error', `Something went wrong; quote request id ${request.id} when reporting it`);
  });
}
