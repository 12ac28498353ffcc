import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Seeder } from '../src/seed/seeder.js';
import { DEMO_GALAXY, DemoGalaxyService } from '../src/seed/demo-galaxy.service.js';
import { loginAs, registerPlayer, type Session } from './support/factories.js';
import { startTestApp, type TestApp } from './support/test-app.js';

// Jest ignores testTimeout inside `projects`, so the slow steps (app boot, seeding) carry their own.
const SLOW = 120_000;

const count = async (t: TestApp, sql: string): Promise<number> => (await t.db.query(sql))[0].n;

describe('seeder', () => {
  let t: TestApp;
  let admin: Session;

  beforeAll(async () => {
    t = await startTestApp();
    admin = await loginAs(t, 'admin');
  }, SLOW);
  afterAll(async () => t?.close(), SLOW);

  it(
    'seeds a galaxy and players, each with its active ship, with realistic spreads',
    async () => {
      await registerPlayer(t); // a real player already there must survive and not collide
      const report = await new Seeder(t.db).run({ players: 1500, sectors: 120, seed: 7 });
      expect(report.galaxyCreated).toBe(true);
      expect(report.playersAdded).toBe(1500);
      expect(report.counts).toMatchObject({
        sectors: 120,
        stations: 36,
        teams: 5,
        players: 1501,
        ships: 1501,
      });

      expect(await count(t, `SELECT count(*)::int AS n FROM sectors WHERE cardinality(warps) = 0`)).toBe(0);
      expect(await count(t, `SELECT count(*)::int AS n FROM station_markets WHERE stock > capacity`)).toBe(0);
      const stationsWithoutMarket = `SELECT count(*)::int AS n FROM stations s
      WHERE NOT EXISTS (SELECT 1 FROM station_markets m WHERE m.station_id = s.id)`;
      expect(await count(t, stationsWithoutMarket)).toBe(0);

      // Every player has exactly its active ship, owned by it; bulk players have no login.
      const shipless = `SELECT count(*)::int AS n FROM players p LEFT JOIN ships s ON s.id = p.active_ship_id
      WHERE s.id IS NULL OR s.player_id <> p.id`;
      expect(await count(t, shipless)).toBe(0);
      expect(await count(t, `SELECT count(*)::int AS n FROM players WHERE user_id IS NULL`)).toBe(1500);

      const [spread] = await t.db.query(`
      SELECT avg((status = 'active')::int)::float8 AS active, avg((team_id IS NOT NULL)::int)::float8 AS teamed,
             avg((last_login IS NULL)::int)::float8 AS never, percentile_cont(0.5) WITHIN GROUP (ORDER BY credits) AS median,
             count(*) FILTER (WHERE status = 'banned' AND ban_until IS NULL)::int AS banned_without_date,
             count(*) FILTER (WHERE created_at >= coalesce(last_login, 'infinity'))::int AS created_after_login
      FROM players WHERE user_id IS NULL`);
      expect(spread.active).toBeGreaterThan(0.9);
      expect(spread.teamed).toBeGreaterThan(0.3);
      expect(spread.teamed).toBeLessThan(0.5);
      expect(spread.never).toBeGreaterThan(0.05);
      expect(spread.never).toBeLessThan(0.15);
      expect(spread.median).toBeGreaterThan(6000);
      expect(spread.median).toBeLessThan(15000);
      expect(spread.banned_without_date).toBe(0);
      expect(spread.created_after_login).toBe(0);

      const [summary] = await t.db.query(`SELECT total_players::int AS n FROM player_analytics_summary`);
      expect(summary.n).toBe(1501);
    },
    SLOW,
  );

  it(
    'appends players on a re-run without duplicating the galaxy',
    async () => {
      const report = await new Seeder(t.db).run({ players: 500, sectors: 999, seed: 7 });
      expect(report.galaxyCreated).toBe(false);
      expect(report.firstIndex).toBe(1500);
      expect(report.counts).toMatchObject({
        sectors: 120,
        stations: 36,
        teams: 5,
        players: 2001,
        ships: 2001,
      });
      const dupes = `SELECT count(*)::int AS n FROM (SELECT lower(username) FROM players GROUP BY 1 HAVING count(*) > 1) d`;
      expect(await count(t, dupes)).toBe(0);
    },
    SLOW,
  );

  it(
    'restores indexes that an interrupted bulk load left dropped',
    async () => {
      const def = (
        await t.db.query(`SELECT indexdef FROM pg_indexes WHERE indexname = 'players_credits_idx'`)
      )[0].indexdef;
      await t.db.query(
        `INSERT INTO seed_index_backup (index_name, table_name, indexdef) VALUES ($1, 'players', $2)`,
        ['players_credits_idx', def],
      );
      await t.db.query(`DROP INDEX players_credits_idx`);
      const report = await new Seeder(t.db).run({ players: 0 });
      expect(report.indexesRebuilt).toEqual(['players_credits_idx']);
      expect(
        await count(t, `SELECT count(*)::int AS n FROM pg_indexes WHERE indexname = 'players_credits_idx'`),
      ).toBe(1);
      expect(await count(t, `SELECT count(*)::int AS n FROM seed_index_backup`)).toBe(0);
    },
    SLOW,
  );

  it(
    'drops and rebuilds secondary indexes around a bulk load',
    async () => {
      const before = await t.db.query(
        `SELECT indexname, indexdef FROM pg_indexes WHERE tablename IN ('players', 'ships') ORDER BY 1`,
      );
      const method = process.env.TEST_DATABASE_URL ? 'copy' : 'insert';
      const report = await new Seeder(t.db).run({
        players: 300,
        dropIndexesFrom: 100,
        method,
        chunkSize: 120,
      });
      expect(report.method).toBe(method);
      if (method === 'copy') expect(report.indexesRebuilt).toContain('players_search_trgm_idx');
      const after = await t.db.query(
        `SELECT indexname, indexdef FROM pg_indexes WHERE tablename IN ('players', 'ships') ORDER BY 1`,
      );
      expect(after).toEqual(before);
      expect(report.counts.players).toBe(2301);
    },
    SLOW,
  );

  it('lists the seeded players through /admin/players/enhanced', async () => {
    const all = await t
      .http()
      .get('/api/v1/admin/players/enhanced?limit=5&sort=credits:desc')
      .set(admin.auth)
      .expect(200);
    expect(all.body.data.total_count).toBe(2301);
    expect(all.body.data.players).toHaveLength(5);
    const credits = all.body.data.players.map((p: { credits: string }) => Number(p.credits));
    expect([...credits].sort((a, b) => b - a)).toEqual(credits);

    const [{ username }] = await t.db.query(
      `SELECT username FROM players WHERE user_id IS NULL ORDER BY username LIMIT 1`,
    );
    const found = await t
      .http()
      .get(`/api/v1/admin/players/enhanced?search=${encodeURIComponent(username.toUpperCase())}`)
      .set(admin.auth)
      .expect(200);
    expect(found.body.data.players.map((p: { username: string }) => p.username)).toContain(username);

    // The detailed view of seeded players shows their active ship (twice each: on Postgres the second call
    // runs the cached prepared statement).
    const ids = await t.db.query(
      `SELECT id, active_ship_id FROM players WHERE user_id IS NULL ORDER BY id LIMIT 3`,
    );
    for (const { id, active_ship_id } of [...ids, ...ids]) {
      const detailed = await t.http().get(`/api/v1/admin/players/${id}/detailed`).set(admin.auth).expect(200);
      expect(detailed.body.data.player.id).toBe(id);
      const ships = detailed.body.data.ships as { id: string; active: boolean }[];
      expect(ships.filter((s) => s.active).map((s) => s.id)).toEqual([active_ship_id]);
    }

    const banned = await t
      .http()
      .get('/api/v1/admin/players/enhanced?status=banned&limit=100')
      .set(admin.auth)
      .expect(200);
    expect(banned.body.data.total_count).toBeGreaterThan(10);
    expect(
      banned.body.data.players.every(
        (p: { status: string; ban_until: string }) => p.status === 'banned' && p.ban_until,
      ),
    ).toBe(true);
  });
});

describe('demo galaxy at boot', () => {
  let t: TestApp;
  afterAll(async () => t?.close(), SLOW);

  it(
    'seeds the demo galaxy on an empty database when SEED_DEMO is on, once',
    async () => {
      t = await startTestApp({ SEED_DEMO: 'true' });
      const summary = await t.app.get(DemoGalaxyService).summary();
      expect(summary).toMatchObject({
        sectors: DEMO_GALAXY.sectors,
        stations: DEMO_GALAXY.stations,
        players: DEMO_GALAXY.players,
      });
      // A second boot of the same database (or a second node) does not seed again.
      await t.app.get(DemoGalaxyService).onApplicationBootstrap();
      expect((await t.app.get(DemoGalaxyService).summary()).players).toBe(DEMO_GALAXY.players);
    },
    SLOW,
  );
});
