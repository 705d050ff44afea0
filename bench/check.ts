import type { Check } from './report.js';

const CHECK_REQUESTS = 10;

/**
 * Asks a shape a few times before it is measured: each answer must be 200 with an integer
 * `total`, so that a fast error page can never pass for a fast list.
 */
export async function checkShape(origin: string, headers: Record<string, string>, nextPath: () => string): Promise<Check> {
  let nonEmpty = 0;
  let example = '';
  for (let i = 0; i < CHECK_REQUESTS; i++) {
    const path = nextPath();
    let status = 0;
    let text = '';
    try {
      const response = await fetch(`${origin}${path}`, { headers, signal: AbortSignal.timeout(30_000) });
      status = response.status;
      text = await response.text();
    } catch (error) {
      return { ok: false, detail: `${path}: ${error instanceof Error ? error.message : String(error)}`, requests: i + 1, nonEmpty };
    }
    let total: unknown;
    try {
      total = (JSON.parse(text) as { data?: { total?: unknown } }).data?.total;
    } catch {
      total = undefined;
    }
    if (status !== 200 || !Number.isInteger(total)) {
      return { ok: false, detail: `${path}: ${status} ${text.slice(0, 200)}`, requests: i + 1, nonEmpty };
    }
    if ((total as number) > 0) nonEmpty++;
    if (i === 0) example = `e.g. ${path.replace(/^[^?]*/, '') || '(no query)'} → total ${total as number}`;
  }
  return { ok: true, detail: example, requests: CHECK_REQUESTS, nonEmpty };
}
