import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { EventBus } from '@nestjs/cqrs';
import { startTestApp, type TestApp } from './support/test-app.js';
import { registerPlayer, type Session } from './support/factories.js';
import { createStation, marketRow, type StationFixture } from './support/market-factories.js';
import { connectSocket, type TestSocket } from './support/socket-client.js';
import type { Envelope } from '../src/infrastructure/websocket/envelope.js';
import { AriaPredictionService } from '../src/modules/aria/aria-prediction.service.js';
import { AriaAlertRaisedEvent } from '../src/modules/aria/events/aria-alert-raised.event.js';

// jest.config's per-project testTimeout is not applied (jest 30); app start-up needs more than 5 s on a busy machine.
jest.setTimeout(60_000);

/** 19 snapshots, one every 5 minutes over the last 90 minutes: 19 / 25 of the fit, the span covers the hour. */
const SNAPSHOTS = 19;
const CONFIDENCE = 0.76;

interface PredictionRow {
  predicted_price: string;
  confidence: number;
  horizon_minutes: number;
  basis_price: string;
  change_pct: number;
  samples: number;
  alert_direction: string | null;
  alerted: boolean;
  created_at: Date;
}

const isAlert = (e: Envelope) => (e.data as { type: string }).type === 'ai_alert';

describe('ARIA predictions and the ai_alert trading signal', () => {
  let t: TestApp;
  let aria: AriaPredictionService;
  const events: unknown[] = [];
  const sockets: TestSocket[] = [];

  beforeAll(async () => {
    t = await startTestApp({
      ARIA_PREDICTION_SECONDS: '0',
      MARKET_REGEN_SECONDS: '0',
      PRICE_SNAPSHOT_SECONDS: '0',
      TRADE_RATE_LIMIT: '1000',
    });
    aria = t.app.get(AriaPredictionService);
    t.app.get(EventBus).subscribe((e) => events.push(e));
  });
  afterEach(() => {
    while (sockets.length) sockets.pop()!.close();
  });
  afterAll(async () => {
    await t.close();
  });

  const trading = async (s: Session) => {
    const socket = await connectSocket(t.url, '/trading', s.token);
    sockets.push(socket);
    return socket;
  };
  /** A real trade: the player (in sector 1, where createStation puts stations) buys 5 units. */
  const buy = (s: Session, station: StationFixture, commodity = 'luxury_goods') =>
    t
      .http()
      .post('/api/v1/trading/trades')
      .set(s.auth)
      .set('Idempotency-Key', randomUUID())
      .send({ station_id: station.id, commodity, action: 'buy', quantity: 5, max_unit_price: 1000 })
      .expect(201);
  /**
   * `count` snapshots, one every 5 minutes back from now, the newest at the market's current prices and each older
   * one `step` credits lower (buy and sell alike): the mid price moves by step / 5 credits a minute.
   */
  const seedHistory = async (station: StationFixture, step: number, count = SNAPSHOTS) => {
    const m = await marketRow(t, station.id, 'luxury_goods');
    await t.db.query(
      `INSERT INTO price_history (station_id, commodity, buy_price, sell_price, stock, recorded_at)
       SELECT $1, 'luxury_goods', $2::int - $4::int * k, $3::int - $4::int * k, $5, now() - make_interval(mins => 5 * k)
       FROM generate_series(0, $6::int - 1) k`,
      [station.id, m.buy_price, m.sell_price, step, m.stock, count],
    );
    return (m.buy_price + m.sell_price) / 2;
  };
  const predictions = (station: StationFixture): Promise<PredictionRow[]> =>
    t.db.query(
      `SELECT predicted_price, confidence, horizon_minutes, basis_price, change_pct, samples, alert_direction,
              alerted, created_at
       FROM ai_market_predictions WHERE station_id = $1 AND commodity = 'luxury_goods' ORDER BY created_at`,
      [station.id],
    );
  const alertsFor = (station: StationFixture) =>
    events.filter(
      (e): e is AriaAlertRaisedEvent =>
        e instanceof AriaAlertRaisedEvent && e.alert.station_id === station.id,
    );
  /**
   * Anything published to this socket before now has arrived once this trade's own trading_signal has: the hub
   * delivers in publish order.
   */
  const drained = async (s: Session, socket: TestSocket, station: StationFixture) => {
    const trade = await buy(s, station, 'exotic_technology');
    await socket.next(
      'trading_signal',
      (e) => (e.data as { trade_id?: string }).trade_id === trade.body.data.trade_id,
    );
  };

  it('a rising trend: the prediction is stored and shown, and only the market’s trader gets one signed ai_alert', async () => {
    const station = await createStation(t);
    const trader = await registerPlayer(t);
    const bystander = await registerPlayer(t);
    await buy(trader, station);
    await buy(bystander, station, 'exotic_technology'); // the same station, another market
    const traderSocket = await trading(trader);
    const bystanderSocket = await trading(bystander);
    const mid = await seedHistory(station, 2); // +0.4 credits a minute: +24 in the hour
    const predicted = mid + 24;
    const change = Math.round((24 / mid) * 10_000) / 100;

    expect(await aria.predict()).toBeGreaterThanOrEqual(1);

    const [row, ...more] = await predictions(station);
    expect(more).toEqual([]);
    expect(row).toMatchObject({
      horizon_minutes: 60,
      samples: SNAPSHOTS,
      alert_direction: 'rise',
      alerted: true,
    });
    expect(Number(row.predicted_price)).toBe(predicted);
    expect(Number(row.basis_price)).toBe(mid);
    expect(row.change_pct).toBeCloseTo(change, 2);
    expect(row.confidence).toBeCloseTo(CONFIDENCE, 4);
    const predictedAt = new Date(row.created_at).toISOString();

    const realtime = await t.http().get('/api/v1/market/realtime/luxury_goods').set(trader.auth).expect(200);
    const listed = realtime.body.data.stations.find(
      (s: { station_id: string }) => s.station_id === station.id,
    );
    expect(listed.prediction).toEqual({
      predicted_price: predicted,
      confidence: expect.closeTo(CONFIDENCE, 4),
      predicted_at: predictedAt,
    });
    const detail = await t.http().get(`/api/v1/market/stations/${station.id}`).set(trader.auth).expect(200);
    const market = detail.body.data.markets.find(
      (m: { commodity: string }) => m.commodity === 'luxury_goods',
    );
    expect(market.prediction).toEqual(listed.prediction);

    const alert = await traderSocket.next('trading_signal', isAlert);
    expect(alert.data).toEqual({
      type: 'ai_alert',
      alert: {
        station_id: station.id,
        commodity: 'luxury_goods',
        direction: 'rise',
        current_price: mid,
        predicted_price: predicted,
        change_pct: change,
        confidence: expect.closeTo(CONFIDENCE, 4),
        horizon_minutes: 60,
        predicted_at: predictedAt,
      },
    });
    expect(traderSocket.badSignatures).toBe(0);
    const [event] = alertsFor(station);
    expect(event.playerIds).toEqual([trader.playerId]);

    await drained(bystander, bystanderSocket, station);
    expect(bystanderSocket.of('trading_signal').filter(isAlert)).toEqual([]);

    // The same trend again: a new prediction, still 'rise', but no second alert (the stored direction says so).
    expect(await aria.predict()).toBeGreaterThanOrEqual(1);
    const rows = await predictions(station);
    expect(rows).toHaveLength(2);
    expect(rows[1]).toMatchObject({ alert_direction: 'rise', alerted: false });
    await drained(trader, traderSocket, station);
    expect(traderSocket.of('trading_signal').filter(isAlert)).toHaveLength(1);
    expect(alertsFor(station)).toHaveLength(1);
  });

  it('a falling trend alerts fall', async () => {
    const station = await createStation(t);
    const trader = await registerPlayer(t);
    await buy(trader, station);
    const socket = await trading(trader);
    const mid = await seedHistory(station, -2);

    await aria.predict();

    const [row] = await predictions(station);
    expect(row).toMatchObject({ alert_direction: 'fall', alerted: true });
    expect(Number(row.predicted_price)).toBe(mid - 24);
    const alert = await socket.next('trading_signal', isAlert);
    expect(alert.data).toMatchObject({
      alert: {
        station_id: station.id,
        direction: 'fall',
        current_price: mid,
        predicted_price: mid - 24,
        change_pct: Math.round((-24 / mid) * 10_000) / 100,
      },
    });
    expect(socket.badSignatures).toBe(0);
  });

  it('a flat history is a confident flat prediction that alerts nobody', async () => {
    const station = await createStation(t);
    const trader = await registerPlayer(t);
    await buy(trader, station);
    const socket = await trading(trader);
    const mid = await seedHistory(station, 0);

    await aria.predict();

    const [row] = await predictions(station);
    expect(row).toMatchObject({ change_pct: 0, alert_direction: null, alerted: false, samples: SNAPSHOTS });
    expect(Number(row.predicted_price)).toBe(mid);
    expect(row.confidence).toBeCloseTo(CONFIDENCE, 4);
    await drained(trader, socket, station);
    expect(socket.of('trading_signal').filter(isAlert)).toEqual([]);
    expect(alertsFor(station)).toEqual([]);
  });

  it('too few snapshots make no prediction; snapshots older than the window do not count', async () => {
    const few = await createStation(t);
    await seedHistory(few, 2, 5);
    const old = await createStation(t);
    await t.db.query(
      `INSERT INTO price_history (station_id, commodity, buy_price, sell_price, stock, recorded_at)
       SELECT $1, 'luxury_goods', 100 + k, 140 + k, 5000, now() - interval '181 minutes' - make_interval(mins => k)
       FROM generate_series(0, 29) k`,
      [old.id],
    );

    await aria.predict();

    expect(await predictions(few)).toEqual([]);
    expect(await predictions(old)).toEqual([]);
  });

  it('purges predictions older than the retention (48 h) on the same tick', async () => {
    const station = await createStation(t);
    await t.db.query(
      `INSERT INTO ai_market_predictions (station_id, commodity, predicted_price, confidence, created_at)
       VALUES ($1, 'luxury_goods', 130, 0.7, now() - interval '49 hours'),
              ($1, 'luxury_goods', 131, 0.7, now() - interval '47 hours')`,
      [station.id],
    );

    await aria.predict();

    const rows = await predictions(station);
    expect(rows.map((r) => Number(r.predicted_price))).toEqual([131]);
  });

  it('a failing pass writes nothing, raises nothing and answers null; the next one works', async () => {
    const station = await createStation(t);
    const trader = await registerPlayer(t);
    await buy(trader, station);
    await seedHistory(station, 2);
    await t.db.query('ALTER TABLE market_transactions RENAME TO market_transactions_away');
    try {
      await expect(aria.predict()).resolves.toBeNull();
    } finally {
      await t.db.query('ALTER TABLE market_transactions_away RENAME TO market_transactions');
    }
    expect(await predictions(station)).toEqual([]);
    expect(alertsFor(station)).toEqual([]);

    expect(await aria.predict()).toBeGreaterThanOrEqual(1);
    expect(await predictions(station)).toMatchObject([{ alert_direction: 'rise', alerted: true }]);
    expect(alertsFor(station)).toHaveLength(1);
  });

  // Holding a transaction open on one connection while another works needs real Postgres: embedded PGlite
  // runs one transaction at a time.
  const onPostgres = process.env.TEST_DATABASE_URL ? it : it.skip;
  onPostgres('one node at a time: while another holds the lock, a pass does nothing', async () => {
    const station = await createStation(t);
    await seedHistory(station, 1);
    const runner = t.db.createQueryRunner();
    await runner.connect();
    await runner.startTransaction();
    try {
      await runner.query('SELECT pg_advisory_xact_lock($1)', [2102_0401]);
      expect(await aria.predict()).toBeNull();
      expect(await predictions(station)).toEqual([]);
    } finally {
      await runner.rollbackTransaction();
      await runner.release();
    }
    expect(await aria.predict()).toBeGreaterThanOrEqual(1);
    expect(await predictions(station)).toHaveLength(1);
  });
});
