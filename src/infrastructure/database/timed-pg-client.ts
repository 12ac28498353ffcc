import pg from 'pg';
import { RequestContext } from '../http/request-context.js';

type Callback = (err: Error | null, result: unknown) => void;

/**
 * The pg client the pool creates: it times each statement of an HTTP request from the moment it goes to
 * the server until its answer, for the envelope's metrics.query_time_ms. The time a request waits for a
 * free pooled connection comes before any statement and is not counted (db_pool_wait_seconds on /metrics
 * shows that queue, see timePoolWaits). Outside a request, or for streamed queries (cursors), it adds nothing.
 */
export class TimedPgClient extends pg.Client {
  // One signature for pg's overloads (text or config, values, callback; a promise without a callback).
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  override query(config: any, values?: any, callback?: any): any {
    const streamed = config !== null && typeof config === 'object' && typeof config.submit === 'function';
    const done = streamed ? undefined : RequestContext.statementStarted();
    if (!done) return super.query(config, values, callback);
    if (typeof values === 'function') return super.query(config, timed(values as Callback, done));
    if (typeof callback === 'function') return super.query(config, values, timed(callback as Callback, done));
    if (typeof config?.callback === 'function')
      return super.query({ ...config, callback: timed(config.callback as Callback, done) }, values);
    const result = super.query(config, values) as Promise<unknown>;
    result.then(done, done);
    return result;
  }
}

function timed(callback: Callback, done: () => void): Callback {
  return (err, result) => {
    done();
    callback(err, result);
  };
}
