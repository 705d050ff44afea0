import { type FastifyReply, type FastifyRequest, LogController } from 'fastify';
import { routeLabel } from './metrics.js';

/**
 * One compact line per request, written when its response is finished, in place of Fastify's
 * two ("incoming request", "request completed"): request id (`reqId`, bound by Fastify), the
 * workspace (bound once the token is known, see `bindWorkspaceToLog`), method, path, route
 * pattern, status and milliseconds. The query string stays out: it can hold phone numbers.
 */
export class RequestLogController extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (this.isLogDisabled(request)) return;
    const line = {
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

/** An onRequest hook to run after authentication: every later log line of the request names its workspace. */
export async function bindWorkspaceToLog(request: FastifyRequest) {
  request.log = request.log.child({ workspace: request.workspace.subdomain });
}
