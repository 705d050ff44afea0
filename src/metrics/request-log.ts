import { type FastifyReply, type FastifyRequest, LogController } from 'fastify';
import { routeLabel } from './metrics.js';
import { workspaceField } from './workspace-field.js';

/**
 * One compact line per request, written when its response is finished, in place of Fastify's
 * two ("incoming request", "request completed"): request id (`reqId`, bound by Fastify), the
 * workspace (once the token is known, see `workspaceField`), method, path, route pattern,
 * status and milliseconds. The query string stays out: it can hold phone numbers.
 */
export class RequestLogController extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (this.isLogDisabled(request)) return;
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
