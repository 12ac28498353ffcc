import { Inject, Injectable } from '@nestjs/common';
import type { Pool } from 'pg';
import { DataSource, QueryFailedError } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../../config/app-config.js';

/**
 * At most this many texts get a generated name per process (queryShape). Each pooled connection keeps the
 * parse tree and plan of every name it ran (~80 KB for a players page), so the bound caps that memory; texts
 * beyond it run as plain queries.
 */
export const MAX_SHAPE_STATEMENTS = 32;

/**
 * Hot queries as named prepared statements: on Postgres each pooled connection parses and plans a named
 * statement once and reuses it, where planning can cost more than running (a join over tables with many
 * indexes). Embedded PGlite serves every socket connection from one session, where per-connection statement
 * names would collide after a reconnect, so there the same text runs as a plain query.
 *
 * After five runs Postgres may keep one generic plan for a statement (plan_cache_mode auto), chosen by its
 * estimated cost and then used for every later value: only statements whose best plan does not depend on their
 * parameter values belong here; one whose plan should change with its values (a search, a rare status) is a
 * plain query.
 *
 * Errors come out as TypeORM's QueryFailedError either way.
 */
const ignoreLinkError = (): void => undefined;

@Injectable()
export class PreparedStatements {
  private pool: Pool | null | undefined;
  private readonly shapes = new Map<string, string>();
  private issued = 0;

  constructor(
    private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Names must be constant per text: one name, one SQL string, for the life of the process. */
  async query<R = Record<string, unknown>>(name: string, text: string, values: unknown[]): Promise<R[]> {
    const pool = this.postgresPool();
    if (!pool) return this.dataSource.query(text, values);
    // connect() then query(), not pool.query(): a request waiting for a connection gets it in its own async
    // context (pool.query would run the statement in the context of whichever request released it, and
    // TimedPgClient would add its time to that request).
    const client = await pool.connect();
    // A borrowed connection has no 'error' listener (the pool's comes off while it is lent out), and
    // node-postgres emits one when the link drops: unheard, it would end the process. The statement in flight
    // fails with the same error, and a statement sent after it with "not queryable", so the caller hears of it
    // either way.
    client.on('error', ignoreLinkError);
    let failure: Error | undefined;
    try {
      return (await client.query({ name, text, values })).rows as R[];
    } catch (err) {
      failure = err instanceof Error ? err : new Error(String(err));
      // The same error shape as DataSource.query, so retries, filters and constraint checks see one kind.
      if (err instanceof Error && 'code' in err) throw new QueryFailedError(text, values, err);
      throw err;
    } finally {
      // As pool.query does: a connection whose statement failed is closed, not reused (a broken statement
      // name stays broken on it).
      client.off('error', ignoreLinkError);
      client.release(failure);
    }
  }

  /**
   * For texts built per request from a bounded set of shapes (a filter combination): each new text is named
   * `label-N` while fewer than MAX_SHAPE_STATEMENTS have been, and runs plainly after that.
   */
  async queryShape<R = Record<string, unknown>>(
    label: string,
    text: string,
    values: unknown[],
  ): Promise<R[]> {
    let name = this.shapes.get(text);
    if (!name && this.shapes.size < MAX_SHAPE_STATEMENTS && this.postgresPool()) {
      name = `${label}-${++this.issued}`;
      this.shapes.set(text, name);
    }
    if (!name) return this.dataSource.query(text, values);
    try {
      return await this.query<R>(name, text, values);
    } catch (err) {
      // A migration changed what a cached plan returns: that name stays broken on every connection that
      // prepared it, so the text gets a fresh name next time and this call runs plainly.
      if (!(err instanceof QueryFailedError) || err.message !== 'cached plan must not change result type')
        throw err;
      this.shapes.delete(text);
      return this.dataSource.query(text, values);
    }
  }

  private postgresPool(): Pool | null {
    if (this.pool === undefined) {
      this.pool = this.config.databaseUrl
        ? (this.dataSource.driver as unknown as { master: Pool }).master
        : null;
    }
    return this.pool;
  }
}
