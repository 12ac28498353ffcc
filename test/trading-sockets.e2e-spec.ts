import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { startTestApp, type TestApp } from './support/test-app.js';
import { loginAs, registerPlayer, type Session } from './support/factories.js';
import {
  createStation,
  economyFingerprint,
  marketRow,
  setCredits,
  type StationFixture,
} from './support/market-factories.js';
import { Manager } from 'socket.io-client';
import { connectSocket, refusedHandshake, TestSocket } from './support/socket-client.js';

/** The trade body both transports share: buy luxury goods at a Premium Tech station in sector 1. */
const buy = (stationId: string, quantity = 5) => ({
  station_id: stationId,
  commodity: 'luxury_goods',
  action: 'buy',
  quantity,
  max_unit_price: 1000,
});

interface Ack {
  success: boolean;
  type: string;
  data: Record<string, unknown>;
  error?: { code: string; detail: string; fields?: Record<string, string[]> };
  signature: string;
}

describe('Socket.IO /trading and /market', () => {
  let t: TestApp;
  let station: StationFixture;
  let other: StationFixture;
  const sockets: TestSocket[] = [];
  const open = async (ns: string, s: Session) => {
    const socket = await connectSocket(t.url, ns, s.token);
    sockets.push(socket);
    return socket;
  };

  beforeAll(async () => {
    t = await startTestApp({
      MARKET_REGEN_SECONDS: '0',
      PRICE_SNAPSHOT_SECONDS: '0',
      TRADE_RATE_LIMIT: '1000',
    });
    station = await createStation(t);
    other = await createStation(t);
  });
  afterEach(() => {
    while (sockets.length) sockets.pop()!.close();
  });
  afterAll(async () => {
    await t.close();
  });

  describe('/trading', () => {
    it('executes a trading_command once, acks {success, data}, and pushes trading_signal trade_executed', async () => {
      const p = await registerPlayer(t);
      const socket = await open('/trading', p);
      const key = randomUUID();
      const ack = (await socket.request('trading_command', {
        ...buy(station.id),
        idempotency_key: key,
      })) as unknown as Ack;
      expect(ack.success).toBe(true);
      expect(ack.data).toMatchObject({
        commodity: 'luxury_goods',
        action: 'buy',
        quantity: 5,
        replayed: false,
      });
      const signal = await socket.next('trading_signal');
      expect(signal.data).toMatchObject({ type: 'trade_executed', trade_id: ack.data.trade_id, quantity: 5 });
      expect(socket.badSignatures).toBe(0);

      // The same key again (a retry) answers the first result and executes nothing.
      const replay = (await socket.request('trading_command', {
        ...buy(station.id),
        idempotency_key: key,
      })) as unknown as Ack;
      expect(replay.data).toMatchObject({ trade_id: ack.data.trade_id, replayed: true });
      const ledger = await t.db.query(
        `SELECT count(*)::int AS n FROM market_transactions WHERE player_id = $1`,
        [p.playerId],
      );
      expect(ledger[0].n).toBe(1);
      // The same key over REST is the same key space.
      const rest = await t
        .http()
        .post('/api/v1/trading/trades')
        .set(p.auth)
        .set('Idempotency-Key', key)
        .send(buy(station.id));
      expect(rest.body.data.trade_id).toBe(ack.data.trade_id);
    });

    it('answers bad messages and rejected trades with {success: false, error} and writes nothing', async () => {
      const p = await registerPlayer(t);
      const socket = await open('/trading', p);
      const before = await economyFingerprint(t);
      const invalid = [
        { ...buy(station.id) }, // no idempotency_key
        { ...buy(station.id), quantity: 0, idempotency_key: randomUUID() },
        { ...buy(station.id), commodity: 'spice', idempotency_key: randomUUID() },
        { ...buy(station.id), player_id: randomUUID(), idempotency_key: randomUUID() }, // no acting for others
        { ...buy(station.id), min_unit_price: 1, idempotency_key: randomUUID() },
      ];
      for (const body of invalid) {
        const ack = (await socket.request('trading_command', body)) as unknown as Ack;
        expect(ack.success).toBe(false);
        expect(ack.error?.code).toBe('VALIDATION_FAILED');
      }
      expect(await economyFingerprint(t)).toBe(before);
      await setCredits(t, p.playerId!, 1);
      const broke = await economyFingerprint(t);
      const poor = (await socket.request('trading_command', {
        ...buy(station.id),
        idempotency_key: randomUUID(),
      })) as unknown as Ack;
      expect(poor).toMatchObject({ success: false, error: { code: 'TRADING.INSUFFICIENT_CREDITS' } });
      expect(await economyFingerprint(t)).toBe(broke);
      expect(socket.socket.connected).toBe(true);
      expect(socket.badSignatures).toBe(0);
    });

    it('admits players only, and only with a valid token', async () => {
      const mod = await loginAs(t, 'moderator');
      expect((await refusedHandshake(t.url, '/trading', mod.token)).data?.code).toBe('AUTH.FORBIDDEN');
      expect((await refusedHandshake(t.url, '/trading', undefined)).data?.code).toBe('AUTH.UNAUTHORIZED');
      expect((await refusedHandshake(t.url, '/trading', 'not-a-jwt')).data?.code).toBe('AUTH.TOKEN_INVALID');
    });

    it("never tells a player about another player's trades", async () => {
      const a = await registerPlayer(t);
      const b = await registerPlayer(t);
      const watcher = await open('/trading', b);
      const trader = await open('/trading', a);
      await trader.request('trading_command', { ...buy(station.id), idempotency_key: randomUUID() });
      await trader.next('trading_signal');
      const late = await registerPlayer(t); // a round trip through the server, so b's delivery would have landed
      expect(late.playerId).toBeDefined();
      expect(watcher.of('trading_signal')).toEqual([]);
    });
  });

  describe('/market', () => {
    it('pushes market_update to subscribers of the commodity after a trade, and stops after unsubscribe', async () => {
      const p = await registerPlayer(t);
      const watcher = await open('/market', p);
      const sub = (await watcher.request('market_subscribe', {
        commodities: ['luxury_goods'],
      })) as unknown as Ack;
      expect(sub).toMatchObject({ success: true, data: { commodities: ['luxury_goods'], stations: [] } });

      await t
        .http()
        .post('/api/v1/trading/trades')
        .set(p.auth)
        .set('Idempotency-Key', randomUUID())
        .send(buy(station.id, 7))
        .expect(201);
      const row = await marketRow(t, station.id, 'luxury_goods');
      const update = await watcher.next(
        'market_update',
        (e) => (e.data as { station_id: string }).station_id === station.id,
      );
      expect(update.data).toMatchObject({
        commodity: 'luxury_goods',
        station_id: station.id,
        stock: row.stock,
        buy_price: row.buy_price,
        sell_price: row.sell_price,
      });
      expect(watcher.badSignatures).toBe(0);

      await watcher.request('market_unsubscribe', {});
      const count = watcher.of('market_update').length;
      await t
        .http()
        .post('/api/v1/trading/trades')
        .set(p.auth)
        .set('Idempotency-Key', randomUUID())
        .send(buy(other.id, 1))
        .expect(201);
      await t.http().get('/api/v1/players/me').set(p.auth).expect(200);
      expect(watcher.of('market_update').length).toBe(count);
    });

    it('narrows to stations, coalesces bursts (latest state wins) and ignores other commodities', async () => {
      const p = await registerPlayer(t);
      const quiet = await createStation(t); // no coalescing window open for it yet
      const watcher = await open('/market', p);
      await watcher.request('market_subscribe', { commodities: ['luxury_goods'], station_ids: [quiet.id] });
      const trades = [];
      for (let i = 0; i < 6; i++) {
        trades.push(
          t
            .http()
            .post('/api/v1/trading/trades')
            .set(p.auth)
            .set('Idempotency-Key', randomUUID())
            .send(buy(quiet.id, 1)),
        );
      }
      await Promise.all(trades);
      await t
        .http()
        .post('/api/v1/trading/trades')
        .set(p.auth)
        .set('Idempotency-Key', randomUUID())
        .send(buy(station.id, 1))
        .expect(201);
      const final = await marketRow(t, quiet.id, 'luxury_goods');
      const last = await watcher.next(
        'market_update',
        (e) => (e.data as { stock: number }).stock === final.stock,
      );
      expect(last.data).toMatchObject({ station_id: quiet.id });
      const updates = watcher.of('market_update');
      expect(updates.every((u) => (u.data as { station_id: string }).station_id === quiet.id)).toBe(true);
      // Six changes inside the 3 s window: the first goes out at once, the rest fold into one trailing update.
      expect(updates.length).toBeLessThanOrEqual(3);
      expect(updates.length).toBeGreaterThanOrEqual(2);
    });

    it('delivers every market_update to a healthy client, also in a burst on a shared connection', async () => {
      // A real client multiplexes its namespaces over one connection. The player's own trade reaches it twice in
      // the same turn of the event loop (assets_changed on /player, market_update on /market), and trades at two
      // stations add a second market_update right behind: none may be dropped for a client that keeps up.
      const p = await registerPlayer(t);
      const a = await createStation(t);
      const b = await createStation(t);
      const manager = new Manager(t.url, { transports: ['websocket'], reconnection: false, forceNew: true });
      const player = new TestSocket(manager.socket('/player', { auth: { token: p.token } }));
      const market = new TestSocket(manager.socket('/market', { auth: { token: p.token } }));
      sockets.push(player, market);
      await player.next('connection_established');
      await market.next('connection_established');
      await market.request('market_subscribe', { commodities: ['luxury_goods'] });

      await Promise.all(
        [a, b].map((s) =>
          t
            .http()
            .post('/api/v1/trading/trades')
            .set(p.auth)
            .set('Idempotency-Key', randomUUID())
            .send(buy(s.id, 2))
            .expect(201),
        ),
      );
      for (const s of [a, b]) {
        const row = await marketRow(t, s.id, 'luxury_goods');
        await market.next(
          'market_update',
          (e) =>
            (e.data as { station_id: string; stock: number }).station_id === s.id &&
            (e.data as { stock: number }).stock === row.stock,
        );
      }
      await player.next('assets_changed');
      expect(market.badSignatures + player.badSignatures).toBe(0);
    });

    it('answers a bad subscription with an error and keeps the socket', async () => {
      const p = await registerPlayer(t);
      const watcher = await open('/market', p);
      for (const body of [
        {},
        { commodities: ['spice'] },
        { commodities: ['ore'], station_ids: ['x'] },
        'ore',
      ]) {
        const ack = (await watcher.request('market_subscribe', body)) as unknown as Ack;
        expect(ack.success).toBe(false);
        expect(ack.error?.code).toBe('VALIDATION_FAILED');
      }
      expect(watcher.socket.connected).toBe(true);
      expect((await refusedHandshake(t.url, '/market', undefined)).data?.code).toBe('AUTH.UNAUTHORIZED');
    });
  });
});
