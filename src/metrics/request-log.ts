import { type FastifyReply, type FastifyRequest, LogController } from 'fastify';
import { routeLabel } from './metrics.js';
import { workspaceField } from './workspace-field.js';

/** Pino's check; a logger without it (Fastify's when logging is off) is taken as enabled. */
const infoEnabled = (log: object) => (log as { isLevelEnabled?: (level: string) => boolean }).isLevelEnabled?.('info') ?? true;

/**
 * One compact line per request, written when its response is finished, in place of Fastify's
 * two ("incoming request", "request completed"): request id (`reqId`, bound by Fastify), the
 * workspace (once the token is known, see `workspaceField`), method, path, route pattern,
 * status and milliseconds. The query string stays out: it can hold phone numbers. With `info` off
 * (LOG_LEVEL warn and above) the line is not built at all.
 */
export class RequestLogController extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (this.isLogDisabled(request) || (!error && !infoEnabled(request.log))) return;
    const line = {
      ...workspaceField(request),
      method: request.method,
      path: request.url.split('?')[0],
      route: routeLabel(request),
      status: reply.statusCode,
      ms: Math.round(reply.elapsedTime * 10) / 10,
    };
    if (error) request.log.error({ ...line, err: error }, 'request errored');
    else request.log.info(line, 'request completed');
  }
}
