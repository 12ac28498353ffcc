import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { EventBus } from '@nestjs/cqrs';
import { eventually, startTestApp, type TestApp } from './support/test-app.js';
import { expectErrorBody, registerPlayer } from './support/factories.js';
import { createStation, economyFingerprint, marketRow } from './support/market-factories.js';
import { priceFor } from '../src/modules/trading/domain/pricing.js';
import { MarketChangedEvent } from '../src/modules/trading/events/market-changed.event.js';
import { MarketMaintenanceService } from '../src/modules/trading/market-maintenance.service.js';

// testTimeout in jest.config.js sits in a project, where Jest ignores it; app start-up needs more than 5 s.
jest.setTimeout(60_000);

describe('market maintenance and trade limits', () => {
  let t: TestApp;
  let maintenance: MarketMaintenanceService;
  const events: unknown[] = [];

  beforeAll(async () => {
    t = await startTestApp({
      MARKET_REGEN_SECONDS: '1',
      PRICE_SNAPSHOT_SECONDS: '0',
      TRADE_RATE_LIMIT: '3',
      TRADE_RATE_WINDOW_SECONDS: '60',
    });
    maintenance = t.app.get(MarketMaintenanceService);
    t.app.get(EventBus).subscribe((e) => events.push(e));
  });
  afterAll(async () => {
    await t.close();
  });

  describe('stock regeneration', () => {
    it('runs on its schedule: stock grows by production_rate per hour and prices follow', async () => {
      const st = await createStation(t, {
        markets: { luxury_goods: { capacity: 1000, stock: 100, productionRate: 3600 } },
      });
      await t.db.query(
        `UPDATE station_markets SET regen_at = now() - interval '10 seconds'
         WHERE station_id = $1 AND commodity = 'luxury_goods'`,
        [st.id],
      );
      const m = await eventually(async () => {
        const row = await marketRow(t, st.id, 'luxury_goods');
        return row.stock >= 110 ? row : undefined;
      });
      expect(m.stock).toBeLessThan(130); // about one unit a second, not more
      const fresh = await marketRow(t, st.id, 'luxury_goods');
      const p = priceFor('luxury_goods', 11, fresh.stock, 1000);
      expect(fresh).toMatchObject({ buy_price: p.buyPrice, sell_price: p.sellPrice });
      await eventually(() =>
        events.some((e) => e instanceof MarketChangedEvent && e.stationId === st.id) ? true : undefined,
      );
    });

    it('consumption (a negative rate) drains stock, and a full market stays full', async () => {
      const st = await createStation(t, {
        markets: {
          luxury_goods: { capacity: 1000, stock: 50, productionRate: -3600 },
          exotic_technology: { capacity: 1000, stock: 1000, productionRate: 3600 },
        },
      });
      await t.db.query(
        `UPDATE station_markets SET regen_at = now() - interval '1 hour' WHERE station_id = $1`,
        [st.id],
      );
      await eventually(async () =>
        (await marketRow(t, st.id, 'luxury_goods')).stock === 0 ? true : undefined,
      );
      expect((await marketRow(t, st.id, 'exotic_technology')).stock).toBe(1000);
    });

    // Holding a transaction open on one connection while others work needs real Postgres: embedded PGlite
    // runs one transaction at a time.
    const onPostgres = process.env.TEST_DATABASE_URL ? it : it.skip;
    onPostgres('one node at a time: while another holds the lock, a pass does nothing', async () => {
      const st = await createStation(t, {
        markets: { luxury_goods: { capacity: 1000, stock: 100, productionRate: 3600 } },
      });
      const runner = t.db.createQueryRunner();
      await runner.connect();
      await runner.startTransaction();
      try {
        await runner.query('SELECT pg_advisory_xact_lock($1)', [2102_0301]);
        await t.db.query(
          `UPDATE station_markets SET regen_at = now() - interval '100 seconds' WHERE station_id = $1`,
          [st.id],
        );
        expect(await maintenance.regenerate()).toBeNull();
        expect((await marketRow(t, st.id, 'luxury_goods')).stock).toBe(100);
      } finally {
        await runner.rollbackTransaction();
        await runner.release();
      }
      await eventually(async () =>
        (await marketRow(t, st.id, 'luxury_goods')).stock >= 200 ? true : undefined,
      );
    });
  });

  describe('price snapshots', () => {
    it('snapshots every market into price_history and purges expired keys and old history', async () => {
      const st = await createStation(t);
      const player = await registerPlayer(t);
      await t.db.query(
        `INSERT INTO trade_idempotency_keys (player_id, key, request_hash, trade_id, response, expires_at)
         VALUES ($1, 'old', 'h', $2, '{}', now() - interval '1 minute'),
                ($1, 'live', 'h', $3, '{}', now() + interval '1 day')`,
        [player.playerId, randomUUID(), randomUUID()],
      );
      await t.db.query(
        `INSERT INTO price_history (station_id, commodity, buy_price, sell_price, stock, recorded_at)
         VALUES ($1, 'luxury_goods', 1, 2, 3, now() - interval '400 days')`,
        [st.id],
      );
      // Automation rules: one finished long ago (deleted), one finished recently and one active (kept).
      const rules = await t.db.query(
        `INSERT INTO automation_rules (player_id, station_id, commodity, action, quantity, limit_price, status,
                                       finished_at)
         VALUES ($1, $2, 'luxury_goods', 'buy', 1, 1, 'cancelled', now() - interval '91 days'),
                ($1, $2, 'luxury_goods', 'buy', 1, 1, 'failed', now() - interval '89 days'),
                ($1, $2, 'luxury_goods', 'buy', 1, 1, 'active', NULL)
         RETURNING id`,
        [player.playerId, st.id],
      );
      const [{ n: markets }] = await t.db.query('SELECT count(*)::int AS n FROM station_markets');
      expect(await maintenance.snapshot()).toBe(markets);
      const kept = await t.db.query(
        `SELECT id FROM automation_rules WHERE player_id = $1 ORDER BY created_at`,
        [player.playerId],
      );
      expect(kept.map((r: { id: string }) => r.id).sort()).toEqual(
        rules
          .slice(1)
          .map((r: { id: string }) => r.id)
          .sort(),
      );
      const rows = await t.db.query(
        `SELECT commodity, buy_price, sell_price, stock FROM price_history WHERE station_id = $1 ORDER BY commodity`,
        [st.id],
      );
      const lux = await marketRow(t, st.id, 'luxury_goods');
      expect(rows).toHaveLength(2);
      expect(rows[1]).toEqual({
        commodity: 'luxury_goods',
        buy_price: lux.buy_price,
        sell_price: lux.sell_price,
        stock: lux.stock,
      });
      const keys = await t.db.query('SELECT key FROM trade_idempotency_keys WHERE player_id = $1', [
        player.playerId,
      ]);
      expect(keys).toEqual([{ key: 'live' }]);
      const history = await t
        .http()
        .get(
          `/api/v1/market/history?station_id=${st.id}&commodity=luxury_goods&interval=1m&from=${new Date(Date.now() - 3_600_000).toISOString()}`,
        )
        .set(player.auth)
        .expect(200);
      expect(history.body.data.points).toHaveLength(1);
    });
  });

  describe('per-player trade rate limit', () => {
    it('refuses trades beyond TRADE_RATE_LIMIT per window with 429, writing nothing; others unaffected', async () => {
      const st = await createStation(t);
      const a = await registerPlayer(t);
      const b = await registerPlayer(t);
      const body = {
        station_id: st.id,
        commodity: 'luxury_goods',
        action: 'buy',
        quantity: 1,
        max_unit_price: 1000,
      };
      const trade = (s: typeof a) =>
        t.http().post('/api/v1/trading/trades').set(s.auth).set('Idempotency-Key', randomUUID()).send(body);
      for (let i = 0; i < 3; i++) await trade(a).expect(201);
      const before = await economyFingerprint(t);
      const res = await trade(a).expect(429);
      expectErrorBody(res.body, 'RATE_LIMITED');
      expect(Number(res.body.retry_after_seconds)).toBeGreaterThan(0);
      expect(res.headers['retry-after']).toBe(String(res.body.retry_after_seconds));
      expect(await economyFingerprint(t)).toBe(before);
      await trade(b).expect(201);
    });
  });
});
