import { describe, expect, it } from '@jest/globals';
import { pollDelay } from './bulk-operations.worker.js';

describe('pollDelay (the bulk worker while claims keep failing)', () => {
  it('polls at the configured period while claims work', () => {
    expect(pollDelay(500, 0)).toBe(500);
    expect(pollDelay(10_000, 0)).toBe(10_000);
  });

  it('doubles per failure in a row, up to 10 s, and never polls faster than configured', () => {
    expect([1, 2, 3, 4, 5, 6, 50].map((n) => pollDelay(500, n))).toEqual([
      1000, 2000, 4000, 8000, 10_000, 10_000, 10_000,
    ]);
    expect(pollDelay(20_000, 3)).toBe(20_000);
  });
});
