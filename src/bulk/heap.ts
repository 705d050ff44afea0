import { setFlagsFromString } from 'node:v8';

/**
 * For a process that imports or seeds: V8 lets the heap grow by at most 50 % over what the last
 * full collection found alive, instead of the up to fourfold it otherwise allows a fast
 * allocator. A batch writer allocates a batch's worth of short-lived objects again and again
 * around a live set of some 25 MB, and the heap swelled to 190 MB between collections. Measured
 * on 200,000 lines into SQLite, `parley import` peaked at 305–358 MB RSS before and 249–273 MB
 * with 30–100 % here, at the same rate within the runs' noise. V8 reads this flag at each
 * collection, so setting it after start-up works.
 */
export function keepHeapNearLiveSize(): void {
  setFlagsFromString('--heap-growing-percent=50');
}
