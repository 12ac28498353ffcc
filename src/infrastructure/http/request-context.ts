import { AsyncLocalStorage } from 'node:async_hooks';

/** Per-request facts the envelope reports: database time spent and whether a cache answered. */
export interface RequestMetrics {
  /** Milliseconds during which at least one of the request's statements was running (see statementStarted). */
  queryTimeMs: number;
  /** Whether any statement ran. */
  measured: boolean;
  cacheHit: boolean;
  /** Statements of this request running now, and since when at least one has been. */
  running: number;
  busySince: number;
}

const storage = new AsyncLocalStorage<RequestMetrics>();

export const RequestContext = {
  run<T>(fn: () => T): T {
    return storage.run({ queryTimeMs: 0, measured: false, cacheHit: false, running: 0, busySince: 0 }, fn);
  },
  current(): RequestMetrics | undefined {
    return storage.getStore();
  },
  /**
   * Called by the database client as a statement goes to the server, on a connection the request already
   * holds (waiting for a pooled connection is not database time); returns the call for its answer.
   * Statements running side by side count once: query_time_ms is the time the request waited on the
   * database, not the sum of its statements.
   */
  statementStarted(): (() => void) | undefined {
    const ctx = storage.getStore();
    if (!ctx) return undefined;
    if (ctx.running++ === 0) ctx.busySince = performance.now();
    ctx.measured = true;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      if (--ctx.running === 0) ctx.queryTimeMs += performance.now() - ctx.busySince;
    };
  },
  cacheHit(hit = true): void {
    const ctx = storage.getStore();
    if (ctx) ctx.cacheHit = ctx.cacheHit || hit;
  },
};
