import pg from 'pg';
import { RequestContext } from '../http/request-context.js';

type Callback = (err: Error | null, result: unknown) => void;

/** node-postgres' error when a statement's answer did not arrive within query_timeout. */
export const QUERY_READ_TIMEOUT = 'Query read timeout';

/**
 * The pg client the pool creates:
 *  - it times each statement of an HTTP request from the moment it goes to the server until its answer, for
 *    the envelope's metrics.query_time_ms. The time a request waits for a free pooled connection comes before
 *    any statement and is not counted (db_pool_wait_seconds on /metrics shows that queue, see timePoolWaits).
 *    Outside a request, or for streamed queries (cursors), it adds nothing;
 *  - when a statement's answer does not come within query_timeout (DB_QUERY_TIMEOUT_MS: a partition, a
 *    stalled server), it drops the connection. node-postgres fails the query but would keep the connection,
 *    still waiting for that answer, in the pool, and every later statement on it would wait the same way.
 */
export class TimedPgClient extends pg.Client {
  // One signature for pg's overloads (text or config, values, callback; a promise without a callback).
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  override query(config: any, values?: any, callback?: any): any {
    const streamed = config !== null && typeof config === 'object' && typeof config.submit === 'function';
    if (streamed) return super.query(config, values, callback);
    const done = RequestContext.statementStarted();
    const finish = (err: Error | null | undefined) => {
      done?.();
      if (err?.message === QUERY_READ_TIMEOUT) this.abandon();
    };
    if (typeof values === 'function') return super.query(config, settled(values as Callback, finish));
    if (typeof callback === 'function')
      return super.query(config, values, settled(callback as Callback, finish));
    if (typeof config?.callback === 'function')
      return super.query({ ...config, callback: settled(config.callback as Callback, finish) }, values);
    const result = super.query(config, values) as Promise<unknown>;
    result.then(
      () => finish(null),
      (err: Error) => finish(err),
    );
    return result;
  }

  /** Ends the socket: the client errors out, and the pool discards it when it is released. */
  private abandon(): void {
    (this as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
  }
}

function settled(callback: Callback, finish: (err: Error | null) => void): Callback {
  return (err, result) => {
    finish(err);
    callback(err, result);
  };
}
