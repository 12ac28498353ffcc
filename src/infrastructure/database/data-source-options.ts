import type { DataSourceOptions } from 'typeorm';
import { ENTITIES } from './entities.js';
import { TimedPgClient } from './timed-pg-client.js';
import { MIGRATIONS } from '../../migrations/index.js';

/** The database guard rails of AppConfig (DB_CONNECT_TIMEOUT_MS, DB_QUERY_TIMEOUT_MS, DB_STATEMENT_TIMEOUT_MS). */
export interface DatabaseTimeouts {
  connectTimeoutMs?: number;
  /** 0 (the CLIs' default: seeding and migrations may run long) turns it off. */
  queryTimeoutMs?: number;
  /** Postgres' statement_timeout for every session of the pool; 0 turns it off. */
  statementTimeoutMs?: number;
}

/** One definition of the TypeORM data source, shared by the app, the CLI (ormconfig.ts), the seeder and tests. */
export function dataSourceOptions(
  url: string,
  poolSize: number,
  applicationName = 'sectorwars',
  { connectTimeoutMs = 10_000, queryTimeoutMs = 0, statementTimeoutMs = 30_000 }: DatabaseTimeouts = {},
): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: 'schema_migrations',
    migrationsRun: false, // run by runMigrations() under an advisory lock
    synchronize: false,
    logging: false,
    uuidExtension: 'pgcrypto',
    applicationName,
    extra: {
      // Times each statement of an HTTP request for metrics.query_time_ms (see TimedPgClient).
      Client: TimedPgClient,
      max: poolSize,
      idleTimeoutMillis: 30_000,
      // How long a request may wait for a pooled connection before it is refused (503 DATABASE_BUSY).
      connectionTimeoutMillis: connectTimeoutMs,
      // How long Node waits for a statement's answer before it gives up on the connection (a partition or a
      // stalled server sends nothing, and statement_timeout cannot help then); above statement_timeout.
      ...(queryTimeoutMs > 0 ? { query_timeout: queryTimeoutMs } : {}),
      // Guard rails: no statement or idle transaction may hold locks forever on a bad day.
      // A statement cut off by statement_timeout is refused 503 DATABASE_TIMEOUT (database-errors.ts).
      options: `-c statement_timeout=${statementTimeoutMs} -c idle_in_transaction_session_timeout=60000 -c TimeZone=UTC`,
    },
  };
}
