import type { Pool, PoolClient } from 'pg';

type Release = (err?: Error | boolean) => void;
type ConnectCallback = (err: Error | undefined, client: PoolClient | undefined, release: Release) => void;

/**
 * Reports how long each caller of `pool.connect()` waited for a connection (handed out or refused), through
 * `observe(seconds)`. pg-pool has no hook for it, so this instance's connect is wrapped; `pool.query()` and
 * TypeORM's query runners go through it too. The other half of a request's database time: TimedPgClient times
 * the statements once a connection is held.
 */
export function timePoolWaits(pool: Pool, observe: (seconds: number) => void): void {
  const connect = pool.connect.bind(pool) as (callback?: ConnectCallback) => Promise<PoolClient> | void;
  const timed = (callback?: ConnectCallback): Promise<PoolClient> | void => {
    const started = performance.now();
    const waited = () => observe((performance.now() - started) / 1000);
    if (callback) {
      return connect((err, client, release) => {
        waited();
        callback(err, client, release);
      });
    }
    return (connect() as Promise<PoolClient>).then(
      (client) => {
        waited();
        return client;
      },
      (err: unknown) => {
        waited();
        throw err;
      },
    );
  };
  pool.connect = timed as Pool['connect'];
}
