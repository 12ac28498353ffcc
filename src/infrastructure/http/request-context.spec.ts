import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { RequestContext } from './request-context.js';

describe('RequestContext query time', () => {
  // A fake clock (performance.now included): the accounting is checked exactly, without real waiting.
  beforeEach(() => {
    jest.useFakeTimers();
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  it('adds nothing outside a request', () => {
    expect(RequestContext.statementStarted()).toBeUndefined();
  });

  it('counts statements that overlap once, and the gaps between statements not at all', () => {
    RequestContext.run(() => {
      const ctx = RequestContext.current()!;
      expect(ctx.measured).toBe(false);
      const first = RequestContext.statementStarted()!;
      jest.advanceTimersByTime(40);
      const second = RequestContext.statementStarted()!; // runs beside the first
      jest.advanceTimersByTime(40);
      first();
      jest.advanceTimersByTime(40);
      second();
      expect(ctx.queryTimeMs).toBe(120); // the time the request waited on the database, not 80 + 80
      jest.advanceTimersByTime(60); // no statement running: not database time
      const third = RequestContext.statementStarted()!;
      jest.advanceTimersByTime(20);
      third();
      third(); // a second answer for the same statement changes nothing
      expect(ctx.measured).toBe(true);
      expect(ctx.queryTimeMs).toBe(140);
    });
  });
});
