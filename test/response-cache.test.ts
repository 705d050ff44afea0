import { describe, expect, it } from 'vitest';
import { ResponseCache } from '../src/http/response-cache.js';

/** The room's policy, which no database touches: answers of 100 KiB, 8 MiB in all, 2 MiB of it on probation. */
const answer = (n: number) => Buffer.alloc(100 * 1024, n % 256);
const WORKSPACE = 1;
const VERSION = 7;

function keep(cache: ResponseCache, url: string, n = 0) {
  cache.set(WORKSPACE, VERSION, url, answer(n), undefined);
}

/** Asks each URL once, as requests for contacts or phone fragments typed in do. */
function askedOnce(cache: ResponseCache, count: number, prefix: string) {
  for (let i = 0; i < count; i++) {
    if (cache.get(WORKSPACE, VERSION, `${prefix}${i}`) === undefined) keep(cache, `${prefix}${i}`, i);
  }
}

describe('the response cache, when its room runs out', () => {
  it('keeps an answer found again through a stream of answers asked once, which leave first', () => {
    const cache = new ResponseCache();
    keep(cache, '/dashboard', 1);
    expect(cache.get(WORKSPACE, VERSION, '/dashboard')).toEqual(answer(1));
    askedOnce(cache, 300, '/once-');
    expect(cache.get(WORKSPACE, VERSION, '/dashboard')).toEqual(answer(1));
    expect(cache.get(WORKSPACE, VERSION, '/once-0')).toBeUndefined();
    expect(cache.get(WORKSPACE, VERSION, '/once-299')).toEqual(answer(299));
  });

  it('keeps an answer made again soon after it left probation as if it had been found there', () => {
    const cache = new ResponseCache();
    keep(cache, '/common', 2);
    askedOnce(cache, 30, '/first-');
    expect(cache.get(WORKSPACE, VERSION, '/common')).toBeUndefined();
    keep(cache, '/common', 3);
    askedOnce(cache, 300, '/then-');
    expect(cache.get(WORKSPACE, VERSION, '/common')).toEqual(answer(3));
  });

  it('lets the least recently used of the answers found again leave when they fill the room', () => {
    const cache = new ResponseCache();
    for (let i = 0; i < 100; i++) {
      keep(cache, `/often-${i}`, i);
      cache.get(WORKSPACE, VERSION, `/often-${i}`);
    }
    // Room for 81 answers of 100 KiB: the 19 found again first have left, the rest stay.
    expect(cache.get(WORKSPACE, VERSION, '/often-18')).toBeUndefined();
    expect(cache.get(WORKSPACE, VERSION, '/often-19')).toEqual(answer(19));
    expect(cache.get(WORKSPACE, VERSION, '/often-99')).toEqual(answer(99));
  });
});
