import {
  Global,
  Inject,
  Injectable,
  Logger,
  Module,
  type DynamicModule,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../../config/app-config.js';
import { StartupError } from '../startup-failure.js';
import { DatabaseAvailability } from './database-availability.js';
import { isDatabaseUnavailable } from './database-errors.js';
import { dataSourceOptions } from './data-source-options.js';
import { EmbeddedPostgres } from './embedded-postgres.js';
import { PreparedStatements } from './prepared-statements.js';
import { runMigrations } from './run-migrations.js';

export const EMBEDDED_POSTGRES = Symbol('EMBEDDED_POSTGRES');

/**
 * The server could not connect to DATABASE_URL at start: what the driver said, and where it tried (the URL
 * without its password), printed alone by failStartup, so the operator sees one line to act on rather than the
 * driver's error object with its stack.
 */
export class DatabaseUnreachableError extends StartupError {
  constructor(databaseUrl: string, cause: unknown) {
    const url = new URL(databaseUrl);
    if (url.password) url.password = '***';
    if (url.searchParams.has('password')) url.searchParams.set('password', '***');
    const code = (cause as { code?: unknown }).code;
    super(
      `Cannot connect to the database at DATABASE_URL ${url.toString()}: ${(cause as Error).message}` +
        (typeof code === 'string' ? ` (${code})` : '') +
        '. Check DATABASE_URL and that Postgres is up and accepts this user.',
      { cause },
    );
  }
}

/** Starts embedded PGlite when no DATABASE_URL is configured; null otherwise. */
@Global()
@Module({
  providers: [
    {
      provide: EMBEDDED_POSTGRES,
      inject: [APP_CONFIG],
      useFactory: async (config: AppConfig) =>
        config.databaseUrl ? null : EmbeddedPostgres.start(config.pgliteDataDir, config.dbPoolSize + 4),
    },
  ],
  exports: [EMBEDDED_POSTGRES],
})
class EmbeddedDatabaseModule {}

/** Closes the pool before the embedded server it talks to, whatever order Nest shuts modules down in. */
@Injectable()
class DatabaseLifecycle implements OnApplicationShutdown {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(EMBEDDED_POSTGRES) private readonly embedded: EmbeddedPostgres | null,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
    await this.embedded?.stop();
  }
}

@Module({})
export class DatabaseModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: DatabaseModule,
      imports: [
        EmbeddedDatabaseModule,
        TypeOrmModule.forRootAsync({
          imports: [EmbeddedDatabaseModule],
          inject: [EMBEDDED_POSTGRES],
          // PGlite is one Postgres session: its socket server mixes up the unnamed prepared statements of
          // concurrent connections ("unnamed prepared statement does not exist"). One pooled connection makes
          // every statement strictly sequential, which is how PGlite executes them anyway.
          useFactory: (embedded: EmbeddedPostgres | null) => ({
            ...dataSourceOptions(
              embedded?.url ?? config.databaseUrl!,
              embedded ? 1 : config.dbPoolSize,
              'sectorwars',
              {
                connectTimeoutMs: config.dbConnectTimeoutMs,
                queryTimeoutMs: embedded ? 0 : config.dbQueryTimeoutMs,
                statementTimeoutMs: config.dbStatementTimeoutMs,
              },
            ),
            // Only a database that may come up in a moment (refused, unreachable, starting up) is worth the
            // retries (10, 3 s apart); a wrong password, user or database name fails the start at once.
            toRetry: (err: unknown) =>
              err instanceof DatabaseUnreachableError && isDatabaseUnavailable(err.cause),
          }),
          dataSourceFactory: async (options) => {
            const dataSource = await new DataSource(options!).initialize().catch((err: unknown) => {
              throw config.databaseUrl ? new DatabaseUnreachableError(config.databaseUrl, err) : err;
            });
            if (config.migrationsRun) {
              const applied = await runMigrations(dataSource);
              if (applied.length) new Logger('Database').log(`Applied migrations: ${applied.join(', ')}`);
            }
            return dataSource;
          },
        }),
      ],
      providers: [DatabaseLifecycle, PreparedStatements, DatabaseAvailability],
      exports: [PreparedStatements, DatabaseAvailability],
      global: true,
    };
  }
}
