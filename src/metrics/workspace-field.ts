import type { FastifyRequest } from 'fastify';

/**
 * The request's workspace, once its token is known, for each line Parley logs about the request:
 * written into those few lines rather than bound into a child logger on every request, which
 * cost about 3 % of a cached answer's time. A module of its own, so that what imports it (the
 * error handler, and through it the CLI's line checks) does not load Fastify and the metrics.
 */
export function workspaceField(request: FastifyRequest): { workspace?: string } {
  // Undefined until authentication, and on routes without it.
  const workspace = request.workspace as FastifyRequest['workspace'] | undefined;
  return workspace ? { workspace: workspace.subdomain } : {};
}
