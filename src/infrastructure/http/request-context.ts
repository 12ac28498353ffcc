import { AsyncLocalStorage } from 'node:async_hooks';

/** Per-request facts the envelope reports: database time spent and whether a cache answered. */
export interface RequestMetrics {
  queryTimeMs: number;
  measured: boolean;
  cacheHit: boolean;
}

const storage = new AsyncLocalStorage<RequestMetrics>();

export const RequestContext = {
  run<T>(fn: () => T): T {
    return storage.run({ queryTimeMs: 0, measured: false, cacheHit: false }, fn);
  },
  current(): RequestMetrics | undefined {
    return storage.getStore();
  },
  /** Times a database round trip and adds it to the request's query_time_ms. */
  async measure<T>(fn: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      return await fn();
    } finally {
      const ctx = storage.getStore();
      if (ctx) {
        ctx.queryTimeMs += performance.now() - started;
        ctx.measured = true;
      }
    }
  },
  cacheHit(hit = true): void {
    const ctx = storage.getStore();
    if (ctx) ctx.cacheHit = ctx.cacheHit || hit;
  },
};
