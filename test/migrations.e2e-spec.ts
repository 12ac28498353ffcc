import { describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { createTestDatabase } from './support/test-app.js';
import { dataSourceOptions } from '../src/infrastructure/database/data-source-options.js';
import { runMigrations } from '../src/infrastructure/database/run-migrations.js';
import { MIGRATIONS } from '../src/migrations/index.js';

const onPostgres = process.env.TEST_DATABASE_URL ? it : it.skip;

describe('migrations', () => {
  onPostgres(
    'apply once when several nodes start together (advisory lock), then revert cleanly',
    async () => {
      const database = await createTestDatabase('migrations');
      const nodes = await Promise.all(
        [1, 2, 3].map((n) => new DataSource(dataSourceOptions(database.url!, 2, `node-${n}`)).initialize()),
      );
      try {
        const applied = await Promise.all(nodes.map((ds) => runMigrations(ds)));
        // Exactly one node applied each migration; the others waited on the lock and found nothing pending.
        expect(applied.flat().sort()).toEqual(MIGRATIONS.map((m) => m.name).sort());
        const [{ n }] = await nodes[0]!.query('SELECT count(*)::int AS n FROM schema_migrations');
        expect(n).toBe(MIGRATIONS.length);
        for (let i = 0; i < MIGRATIONS.length; i++)
          await nodes[0]!.undoLastMigration({ transaction: 'each' });
        const [{ tables }] = await nodes[0]!.query(
          `SELECT count(*)::int AS tables FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> 'schema_migrations'`,
        );
        expect(tables).toBe(0);
      } finally {
        await Promise.all(nodes.map((ds) => ds.destroy()));
        await database.drop();
      }
    },
  );
});
