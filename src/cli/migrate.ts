import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { loadConfig } from '../config/app-config.js';
import { dataSourceOptions } from '../infrastructure/database/data-source-options.js';
import { EmbeddedPostgres } from '../infrastructure/database/embedded-postgres.js';
import { runMigrations } from '../infrastructure/database/run-migrations.js';
import { failStartup } from '../infrastructure/startup-failure.js';

/**
 * `npm run migration:run | migration:revert | migration:show` against DATABASE_URL, or the embedded
 * database in PGLITE_DATA_DIR when it is unset (stop the server first: one process at a time holds it, see
 * DataDirLock).
 */
async function main(): Promise<void> {
  const command = process.argv[2] ?? 'run';
  if (!['run', 'revert', 'show'].includes(command)) {
    console.error(`usage: migrate run|revert|show (got "${command}")`);
    process.exit(2);
  }
  const config = loadConfig(process.env);
  const embedded = config.databaseUrl ? null : await EmbeddedPostgres.start(config.pgliteDataDir, 4);
  const dataSource = await new DataSource(
    dataSourceOptions(embedded?.url ?? config.databaseUrl!, 2, 'sectorwars-migrate'),
  ).initialize();
  try {
    if (command === 'run') {
      const applied = await runMigrations(dataSource);
      console.log(
        applied.length ? `Applied: ${applied.join(', ')}` : 'Nothing to apply: the schema is up to date.',
      );
    } else if (command === 'revert') {
      await dataSource.undoLastMigration({ transaction: 'each' });
      console.log('Reverted the last migration.');
    } else {
      const pending = await dataSource.showMigrations();
      console.log(pending ? 'There are pending migrations.' : 'The schema is up to date.');
    }
  } finally {
    await dataSource.destroy();
    await embedded?.stop();
  }
}

main().catch(failStartup);
