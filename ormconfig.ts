import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { loadConfig } from './src/config/app-config.js';
import { dataSourceOptions } from './src/infrastructure/database/data-source-options.js';

/**
 * The data source the TypeORM CLI uses (`npm run migration:generate -- src/migrations/<Name>`), compiled to
 * dist/ormconfig.js first. The CLI needs a real Postgres: set DATABASE_URL. For run/revert/show, prefer
 * `npm run migration:*`, which also works on the embedded database and takes the migration lock.
 */
const config = loadConfig(process.env);
if (!config.databaseUrl) {
  throw new Error('ormconfig: set DATABASE_URL (the TypeORM CLI cannot start the embedded database)');
}

export default new DataSource(dataSourceOptions(config.databaseUrl, 2, 'sectorwars-cli'));
