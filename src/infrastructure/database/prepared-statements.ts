import { Inject, Injectable } from '@nestjs/common';
import type { Pool } from 'pg';
import { DataSource, QueryFailedError } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../../config/app-config.js';

/**
 * Hot queries as named prepared statements: on Postgres each pooled connection parses and plans a named
 * statement once and reuses it, where planning can cost more than running (a join over tables with many
 * indexes). Embedded PGlite serves every socket connection from one session, where per-connection statement
 * names would collide after a reconnect, so there the same text runs as a plain query.
 *
 * Names must be constant per text: one name, one SQL string, for the life of the process. Errors come out
 * as TypeORM's QueryFailedError either way.
 */
@Injectable()
export class PreparedStatements {
  private pool: Pool | null | undefined;

  constructor(
    private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async query<R = Record<string, unknown>>(name: string, text: string, values: unknown[]): Promise<R[]> {
    const pool = this.postgresPool();
    if (!pool) return this.dataSource.query(text, values);
    try {
      return (await pool.query({ name, text, values })).rows as R[];
    } catch (err) {
      // The same error shape as DataSource.query, so retries, filters and constraint checks see one kind.
      if (err instanceof Error && 'code' in err) throw new QueryFailedError(text, values, err);
      throw err;
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
