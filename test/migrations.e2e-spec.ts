import { describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { createTestDatabase } from './support/test-app.js';
import { dataSourceOptions } from '../src/infrastructure/database/data-source-options.js';
import { runMigrations } from '../src/infrastructure/database/run-migrations.js';
import { MIGRATIONS } from '../src/migrations/index.js';
import { AuditHashUnambiguous1763900000000 } from '../src/migrations/1763900000000-audit-hash-unambiguous.js';

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

  onPostgres(
    'the unambiguous audit hash leaves rows written before it valid, those holding U+001F included',
    async () => {
      const database = await createTestDatabase('migrations_audit_hash');
      const options = dataSourceOptions(database.url!, 2, 'audit-hash');
      const at = MIGRATIONS.indexOf(AuditHashUnambiguous1763900000000);
      const before = await new DataSource({ ...options, migrations: MIGRATIONS.slice(0, at) }).initialize();
      try {
        await before.runMigrations({ transaction: 'each' });
        await before.query(
          `INSERT INTO audit_log (action, target_type, target_id, reason)
           VALUES ('test.plain', 'test', 't1', 'plain'), ('test.separator', 'test', 't2', E'a\\x1fb\\x1ec')`,
        );
      } finally {
        await before.destroy();
      }
      const after = await new DataSource({
        ...options,
        migrations: MIGRATIONS.slice(0, at + 1),
      }).initialize();
      try {
        expect(await runMigrations(after)).toEqual([MIGRATIONS[at]!.name]);
        await after.query(
          `INSERT INTO audit_log (action, target_type, target_id, reason)
           VALUES ('test.separator', 'test', 't3', E'a\\x1fb\\x1ec'), ('test.plain', 'test', 't4', 'plain')`,
        );
        const rows: { target_id: string; valid: boolean; linked: boolean }[] = await after.query(
          `SELECT target_id, hash = audit_row_hash(a) AS valid,
                  prev_hash = coalesce(lag(hash) OVER (ORDER BY id), repeat('0', 64)) AS linked
           FROM audit_log a ORDER BY id`,
        );
        expect(rows).toEqual(
          ['t1', 't2', 't3', 't4'].map((target_id) => ({ target_id, valid: true, linked: true })),
        );
        // A plain row hashes as the plain join would; one holding the separator, after the switch, does not.
        const [{ plain, escaped }] = await after.query(
          `SELECT bool_and(hash = encode(sha256(convert_to(concat_ws(E'\\x1f', prev_hash, id::text,
                    to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US'), '', '', action, outcome,
                    target_type, target_id, reason, '', '', '', ''), 'UTF8')), 'hex')) FILTER (WHERE target_id IN ('t1', 't2', 't4')) AS plain,
                  bool_or(hash = encode(sha256(convert_to(concat_ws(E'\\x1f', prev_hash, id::text,
                    to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US'), '', '', action, outcome,
                    target_type, target_id, reason, '', '', '', ''), 'UTF8')), 'hex')) FILTER (WHERE target_id = 't3') AS escaped
           FROM audit_log`,
        );
        expect({ plain, escaped }).toEqual({ plain: true, escaped: false });
        await after.undoLastMigration({ transaction: 'each' });
        const [{ broken }] = await after.query(
          `SELECT array_agg(target_id ORDER BY id) AS broken FROM audit_log a WHERE hash <> audit_row_hash(a)`,
        );
        expect(broken).toEqual(['t3']); // reverted, the plain join reads the new row's text differently
      } finally {
        await after.destroy();
        await database.drop();
      }
    },
  );
});
