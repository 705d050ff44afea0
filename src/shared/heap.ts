import { setFlagsFromString } from 'node:v8';

/**
 * V8 lets the heap grow by at most 50 % over what the last full collection found alive, instead
 * of the up to fourfold it otherwise allows a fast allocator. Parley's long-running processes
 * allocate fast around a small live set, and their RSS target (300 MB) was missed by garbage
 * alone:
 * - `parley import` and `seed`: a batch's short-lived objects again and again around some 25 MB
 *   alive; the heap swelled to 190 MB between collections. On 200,000 lines into SQLite the
 *   import peaked at 305–358 MB RSS before and 249–273 MB with 30–100 % here, at the same rate
 *   within the runs' noise.
 * - the server on SQLite under the benchmark's load: 35–50 MB alive, an old space of up to
 *   106 MB, and a peak of 313 MB in two full runs; 197 MB with 50 % here, at the same rates.
 * - the server on PostgreSQL: 298–316 MB in full runs, 210–211 MB with it. Alternating runs of
 *   one shape, with and without it, peaked at 190–202 MB against 275–284 MB (contact and phone
 *   fragments, with writes), at rates the same within the runs' noise. (An earlier single full
 *   run with it had served fewer requests a second; these alternated runs did not bear that out.)
 * V8 reads this flag at each collection, so setting it after start-up works.
 */
export function keepHeapNearLiveSize(): void {
  setFlagsFromString('--heap-growing-percent=50');
}
