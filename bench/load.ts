import autocannon from 'autocannon';

/** One autocannon run: a warm-up whose figures are dropped, then the measurement. */

export interface Timing {
  connections: number;
  /** Seconds. */
  warmup: number;
  /** Seconds. */
  duration: number;
}

export interface Measurement {
  requestsPerSecond: number;
  /** Latency percentiles, ms. */
  p50: number;
  p99: number;
  requests: number;
  /** Connection errors and timeouts. */
  errors: number;
  non2xx: number;
  statusCodes: Record<string, number>;
}

/** A request that got no answer within this many seconds counts as an error. */
const REQUEST_TIMEOUT = 10;

export async function measure(
  origin: string,
  headers: Record<string, string>,
  nextPath: () => string,
  timing: Timing,
): Promise<Measurement> {
  const result = await autocannon({
    url: origin,
    connections: timing.connections,
    duration: timing.duration,
    timeout: REQUEST_TIMEOUT,
    headers,
    warmup: { connections: timing.connections, duration: timing.warmup },
    // The same per-request path building for every shape and for the ceiling, so the load generator costs each of them alike.
    requests: [{ setupRequest: (request) => ({ ...request, path: nextPath() }) }],
  });
  const statusCodes: Record<string, number> = {};
  for (const [code, { count }] of Object.entries(result.statusCodeStats ?? {})) statusCodes[code] = Number(count);
  return {
    requestsPerSecond: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    requests: result.requests.total,
    errors: result.errors,
    non2xx: result.non2xx,
    statusCodes,
  };
}
