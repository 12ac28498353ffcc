import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { startTestApp, type TestApp } from './support/test-app.js';
import { loginAs, registerPlayer, type Session } from './support/factories.js';
import {
  createStation,
  economyFingerprint,
  marketRow,
  placePlayer,
  setCargo,
  setCredits,
  setStatus,
  THREE_TRADES_A_MINUTE,
  type StationFixture,
} from './support/market-factories.js';
import { Manager } from 'socket.io-client';
import { MarketMaintenanceService } from '../src/modules/trading/market-maintenance.service.js';
import { verifyEnvelope, type Envelope } from '../src/infrastructure/websocket/envelope.js';
import { connectSocket, refusedHandshake, TestSocket } from './support/socket-client.js';

// jest.config's per-project testTimeout is not applied (jest 30); app start-up needs more than 5 s on a busy machine.
jest.setTimeout(60_000);

/** The trade body both transports share: buy luxury goods at a Premium Tech station in sector 1. */
const buy = (stationId: string, quantity = 5) => ({
  station_id: stationId,
  commodity: 'luxury_goods',
  action: 'buy',
  quantity,
  max_unit_price: 1000,
});

/** Sell luxury goods to the same kind of station (the ship must hold them). */
const sell = (stationId: string, quantity = 5) => ({
  station_id: stationId,
  commodity: 'luxury_goods',
  action: 'sell',
  quantity,
  min_unit_price: 0,
});

const key = () => `k-${randomUUID()}`;

interface Ack {
  success: boolean;
  type: string;
  data: Record<string, unknown>;
  error?: { code: string; detail: string; fields?: Record<string, string[]> };
  timestamp: string;
  session_id: string;
  signature: string;
}

/** A trade body sent in a rejection case, and what the ack's error carries besides {code, detail}. */
interface Sent {
  body: Record<string, unknown>;
  error?: Record<string, unknown>;
}

/**
 * One rejection of docs/trading.md's table: `arrange` prepares a fresh player (and whatever market or halt the
 * case needs) and returns the bodies to send; `status` is what REST answers for the same body; `cleanup`
 * undoes shared state (halts) whether the case passed or not.
 */
interface RejectionCase {
  name: string;
  code: string;
  status: number;
  arrange: (p: Session) => Promise<Sent[]>;
  cleanup?: () => Promise<void>;
}

describe('Socket.IO /trading and /market', () => {
  let t: TestApp;
  let station: StationFixture;
  let other: StationFixture;
  let admin: Session;
  const sockets: TestSocket[] = [];
  const open = async (ns: string, s: Session) => {
    const socket = await connectSocket(t.url, ns, s.token);
    sockets.push(socket);
    return socket;
  };
  const command = async (socket: TestSocket, body: Record<string, unknown>) =>
    (await socket.request('trading_command', body)) as unknown as Ack;
  const restTrade = (s: Session, body: Record<string, unknown>, idempotencyKey = key()) =>
    t.http().post('/api/v1/trading/trades').set(s.auth).set('Idempotency-Key', idempotencyKey).send(body);
  const storedKeys = async (playerId: string, idempotencyKey: string): Promise<number> => {
    const [row] = await t.db.query(
      'SELECT count(*)::int AS n FROM trade_idempotency_keys WHERE player_id = $1 AND key = $2',
      [playerId, idempotencyKey],
    );
    return row.n;
  };
  /** The ack of a refused command: {success: false, error: {code, detail, ...}}, itself a signed `error` envelope. */
  const expectRefusal = (socket: TestSocket, ack: Ack, code: string, extra: Record<string, unknown> = {}) => {
    expect(ack).toMatchObject({
      success: false,
      type: 'error',
      error: { code, detail: expect.any(String), ...extra },
    });
    expect(ack.data).toEqual(ack.error);
    expect(verifyEnvelope(ack as unknown as Envelope, socket.sessionKey!)).toBe(true);
  };
  /**
   * Sends one trading_command with a fresh key and asserts the refusal: the code (and `extra` fields), nothing
   * written anywhere a trade touches, and no idempotency key stored for it.
   */
  const refusedOverSocket = async (
    socket: TestSocket,
    p: Session,
    body: Record<string, unknown>,
    code: string,
    extra: Record<string, unknown> = {},
  ) => {
    const k = key();
    const before = await economyFingerprint(t);
    const ack = await command(socket, { ...body, idempotency_key: k });
    expectRefusal(socket, ack, code, extra);
    expect(await economyFingerprint(t)).toBe(before);
    expect(await storedKeys(p.playerId!, k)).toBe(0);
    return ack;
  };
  const halt = (body: Record<string, unknown>) =>
    t.http().post('/api/v1/admin/market/halt').set(admin.auth).send(body).expect(200);
  const resume = (body: Record<string, unknown>) =>
    t.http().post('/api/v1/admin/market/resume').set(admin.auth).send(body).expect(200);

  beforeAll(async () => {
    t = await startTestApp({
      MARKET_REGEN_SECONDS: '0',
      PRICE_SNAPSHOT_SECONDS: '0',
      TRADE_RATE_LIMIT: '1000',
    });
    station = await createStation(t);
    other = await createStation(t);
    admin = await loginAs(t, 'admin');
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

    // Every rejection of docs/trading.md, set up as test/trading.e2e-spec.ts sets it up. Each case also sends the
    // same body over REST: both transports run ExecuteTradeCommand, so both must answer the same code.
    const rejections: RejectionCase[] = [
      {
        name: 'an unknown station',
        code: 'TRADING.STATION_NOT_FOUND',
        status: 404,
        arrange: async () => [{ body: buy(randomUUID(), 1) }],
      },
      {
        name: 'a global halt',
        code: 'TRADING.MARKET_HALTED',
        status: 423,
        arrange: async () => {
          await halt({ reason: 'socket e2e: everything' });
          return [
            { body: buy(station.id, 1), error: { scope: 'all', reason: 'socket e2e: everything' } },
            { body: { ...buy(station.id, 1), commodity: 'exotic_technology' }, error: { scope: 'all' } },
          ];
        },
        cleanup: async () => {
          await resume({ reason: 'socket e2e: done' });
        },
      },
      {
        name: 'a halt of the commodity',
        code: 'TRADING.MARKET_HALTED',
        status: 423,
        arrange: async () => {
          await halt({ commodity: 'luxury_goods', reason: 'socket e2e: luxury' });
          return [
            { body: buy(station.id, 1), error: { scope: 'luxury_goods', reason: 'socket e2e: luxury' } },
          ];
        },
        cleanup: async () => {
          await resume({ commodity: 'luxury_goods', reason: 'socket e2e: done' });
        },
      },
      ...(['frozen', 'banned', 'suspended'] as const).map((status): RejectionCase => ({
        // Set in the database after the socket connected (no status event, so no kick, as when the change
        // lands between a handshake and a trade): the trade's own check refuses it.
        name: `a ${status} player`,
        code: 'TRADING.PLAYER_NOT_ACTIVE',
        status: 403,
        arrange: async (p) => {
          await setStatus(t, p.playerId!, status);
          return [{ body: buy(station.id, 1), error: { status } }];
        },
      })),
      {
        name: 'a player in another sector',
        code: 'TRADING.NOT_IN_SECTOR',
        status: 409,
        arrange: async (p) => {
          await placePlayer(t, p.playerId!, 7);
          return [{ body: buy(station.id, 1), error: { station_sector: 1, player_sector: 7 } }];
        },
      },
      {
        name: 'a player without an active ship',
        code: 'TRADING.NO_ACTIVE_SHIP',
        status: 409,
        arrange: async (p) => {
          await t.db.query('UPDATE players SET active_ship_id = NULL WHERE id = $1', [p.playerId]);
          return [{ body: buy(station.id, 1) }];
        },
      },
      {
        name: 'a commodity the station does not sell (buy) or buy (sell)',
        code: 'TRADING.NOT_TRADED',
        status: 409,
        arrange: async (p) => {
          const mining = await createStation(t, { stationClass: 1 }); // buys ore; sells organics, equipment
          await setCargo(t, p.playerId!, { organics: 5, fuel: 5 });
          return [
            { body: { ...buy(mining.id, 1), commodity: 'ore' }, error: { action: 'buy', commodity: 'ore' } },
            {
              body: { ...sell(mining.id, 1), commodity: 'organics' },
              error: { action: 'sell', commodity: 'organics' },
            },
            {
              body: { ...sell(mining.id, 1), commodity: 'fuel' },
              error: { action: 'sell', commodity: 'fuel' },
            },
          ];
        },
      },
      {
        name: 'a price beyond the limit, both sides',
        code: 'TRADING.PRICE_LIMIT',
        status: 409,
        arrange: async (p) => {
          await setCargo(t, p.playerId!, { luxury_goods: 5 });
          const m = await marketRow(t, station.id, 'luxury_goods');
          return [
            {
              body: { ...buy(station.id, 1), max_unit_price: m.sell_price - 1 },
              error: { unit_price: m.sell_price, limit: m.sell_price - 1 },
            },
            {
              body: { ...sell(station.id, 1), min_unit_price: m.buy_price + 1 },
              error: { unit_price: m.buy_price, limit: m.buy_price + 1 },
            },
          ];
        },
      },
      {
        name: 'not enough stock',
        code: 'TRADING.INSUFFICIENT_STOCK',
        status: 409,
        arrange: async (p) => {
          const small = await createStation(t, { markets: { luxury_goods: { capacity: 100, stock: 2 } } });
          await setCredits(t, p.playerId!, 1_000_000);
          return [{ body: buy(small.id, 3), error: { needed: 3, stock: 2 } }];
        },
      },
      {
        name: 'not enough credits',
        code: 'TRADING.INSUFFICIENT_CREDITS',
        status: 409,
        arrange: async (p) => {
          await setCredits(t, p.playerId!, 100);
          return [{ body: buy(station.id, 1), error: { available: '100', needed: expect.any(String) } }];
        },
      },
      {
        name: 'not enough cargo space',
        code: 'TRADING.INSUFFICIENT_CARGO_SPACE',
        status: 409,
        arrange: async (p) => {
          await setCargo(t, p.playerId!, { exotic_technology: 498 });
          return [{ body: buy(station.id, 3), error: { needed: 3, free: 2 } }];
        },
      },
      {
        name: 'not enough cargo to sell',
        code: 'TRADING.INSUFFICIENT_CARGO',
        status: 409,
        arrange: async (p) => {
          await setCargo(t, p.playerId!, { luxury_goods: 2 });
          return [{ body: sell(station.id, 3), error: { needed: 3, held: 2 } }];
        },
      },
      {
        name: 'no room at the station',
        code: 'TRADING.STATION_FULL',
        status: 409,
        arrange: async (p) => {
          const small = await createStation(t, {
            markets: { exotic_technology: { capacity: 100, stock: 99 } },
          });
          await setCargo(t, p.playerId!, { exotic_technology: 5 });
          return [
            { body: { ...sell(small.id, 2), commodity: 'exotic_technology' }, error: { needed: 2, room: 1 } },
          ];
        },
      },
      {
        name: 'a station that cannot pay',
        code: 'TRADING.INSUFFICIENT_TREASURY',
        status: 409,
        arrange: async (p) => {
          const poor = await createStation(t, { treasury: 50 });
          await setCargo(t, p.playerId!, { luxury_goods: 10 });
          return [{ body: sell(poor.id, 10), error: { needed: expect.any(String) } }];
        },
      },
      {
        name: 'a quantity of 0 or above TRADE_MAX_QUANTITY (10,000)',
        code: 'VALIDATION_FAILED',
        status: 400,
        arrange: async () => [
          { body: buy(station.id, 0), error: { fields: { quantity: expect.any(Array) } } },
          { body: buy(station.id, 10_001), error: { fields: { quantity: expect.any(Array) } } },
        ],
      },
    ];

    it.each(rejections)('refuses $name with $code in the ack, writing nothing', async (c) => {
      const p = await registerPlayer(t);
      try {
        const socket = await open('/trading', p);
        const sent = await c.arrange(p);
        for (const { body, error } of sent) {
          await refusedOverSocket(socket, p, body, c.code, error);
          const before = await economyFingerprint(t);
          const rest = await restTrade(p, body);
          expect({ status: rest.status, code: rest.body.error }).toEqual({ status: c.status, code: c.code });
          expect(await economyFingerprint(t)).toBe(before);
        }
        expect(socket.socket.connected).toBe(true);
        expect(socket.badSignatures).toBe(0);
      } finally {
        await c.cleanup?.();
      }
    });

    it('a player banned through the admin API is disconnected from /trading and cannot reconnect with its token', async () => {
      const p = await registerPlayer(t);
      const socket = await open('/trading', p);
      const [{ version }] = await t.db.query('SELECT version FROM players WHERE id = $1', [p.playerId]);
      await t
        .http()
        .put(`/api/v1/admin/players/${p.playerId}/comprehensive`)
        .set(admin.auth)
        .send({ reason: 'socket e2e ban', version, status: 'banned' })
        .expect(200);
      expect(await socket.waitDisconnected()).toBe('io server disconnect');
      // The access token is still valid, but the handshake reads the player's standing.
      for (const ns of ['/trading', '/market', '/player']) {
        expect((await refusedHandshake(t.url, ns, p.token)).data?.code).toBe('AUTH.PLAYER_BANNED');
      }
      const before = await economyFingerprint(t);
      const rest = await restTrade(p, buy(station.id, 1)).expect(403);
      expect(rest.body.error).toBe('TRADING.PLAYER_NOT_ACTIVE');
      expect(await economyFingerprint(t)).toBe(before);
    });

    it('the same idempotency_key with another body is TRADING.IDEMPOTENCY_KEY_REUSED, over either transport', async () => {
      const p = await registerPlayer(t);
      const socket = await open('/trading', p);
      const k = key();
      const first = await command(socket, { ...buy(station.id, 2), idempotency_key: k });
      expect(first.success).toBe(true);
      const before = await economyFingerprint(t);
      const [stored] = await t.db.query(
        'SELECT request_hash, response FROM trade_idempotency_keys WHERE player_id = $1 AND key = $2',
        [p.playerId, k],
      );
      const reused = await command(socket, { ...buy(station.id, 5), idempotency_key: k });
      expectRefusal(socket, reused, 'TRADING.IDEMPOTENCY_KEY_REUSED');
      const rest = await restTrade(p, buy(station.id, 5), k).expect(422);
      expect(rest.body.error).toBe('TRADING.IDEMPOTENCY_KEY_REUSED');
      // A key first used over REST is refused over the socket for another body too: one key space.
      const restKey = key();
      await restTrade(p, buy(station.id, 1), restKey).expect(201);
      const mid = await economyFingerprint(t);
      const cross = await command(socket, { ...sell(station.id, 1), idempotency_key: restKey });
      expectRefusal(socket, cross, 'TRADING.IDEMPOTENCY_KEY_REUSED');
      expect(await economyFingerprint(t)).toBe(mid);
      // Nothing written by the refusals: the first trade's key and result are as it stored them.
      const [after] = await t.db.query(
        'SELECT request_hash, response FROM trade_idempotency_keys WHERE player_id = $1 AND key = $2',
        [p.playerId, k],
      );
      expect(after).toEqual(stored);
      const [{ n }] = await t.db.query(
        'SELECT count(*)::int AS n FROM market_transactions WHERE player_id = $1',
        [p.playerId],
      );
      expect(n).toBe(2);
      expect(before).not.toBe(mid); // the REST trade in between did write
    });

    it('a used idempotency_key answers before the rules: REUSED for another station or commodity, the replay without a ship', async () => {
      const p = await registerPlayer(t);
      const socket = await open('/trading', p);
      const k = key();
      const first = await command(socket, { ...buy(station.id, 2), idempotency_key: k });
      expect(first.success).toBe(true);
      await t.db.query('UPDATE players SET active_ship_id = NULL WHERE id = $1', [p.playerId]);
      const before = await economyFingerprint(t);
      // Without the key: TRADING.STATION_NOT_FOUND, TRADING.NOT_TRADED (no ore market), TRADING.NO_ACTIVE_SHIP.
      for (const body of [buy(randomUUID(), 2), { ...buy(station.id, 2), commodity: 'ore' }]) {
        const ack = await command(socket, { ...body, idempotency_key: k });
        expectRefusal(socket, ack, 'TRADING.IDEMPOTENCY_KEY_REUSED');
      }
      const again = await command(socket, { ...buy(station.id, 2), idempotency_key: k });
      expect(again.success).toBe(true);
      expect(again.data).toEqual({ ...first.data, replayed: true });
      expect(await economyFingerprint(t)).toBe(before);
    });

    it('a missing or malformed idempotency_key is VALIDATION_FAILED naming it, writing nothing', async () => {
      // Over REST the header's absence is TRADING.IDEMPOTENCY_KEY_REQUIRED; over the socket the key is a body
      // field, checked by the message's DTO (the REST header's rule: 1-128 of [A-Za-z0-9_.:-]) like every other
      // field.
      const p = await registerPlayer(t);
      const socket = await open('/trading', p);
      const before = await economyFingerprint(t);
      for (const idempotency_key of [undefined, '', 'has spaces', 'x'.repeat(129), 'ünïcode', 42]) {
        const ack = await command(socket, { ...buy(station.id, 1), idempotency_key });
        expectRefusal(socket, ack, 'VALIDATION_FAILED', { fields: { idempotency_key: expect.any(Array) } });
      }
      expect(await economyFingerprint(t)).toBe(before);
      const [{ n }] = await t.db.query(
        'SELECT count(*)::int AS n FROM trade_idempotency_keys WHERE player_id = $1',
        [p.playerId],
      );
      expect(n).toBe(0);
      expect(socket.socket.connected).toBe(true);
    });

    it('takes every key REST takes: a short REST key replays over the socket', async () => {
      const p = await registerPlayer(t);
      const socket = await open('/trading', p);
      const k = `k${randomUUID().slice(0, 3)}`; // 4 characters
      const rest = await restTrade(p, buy(station.id, 1), k).expect(201);
      const replay = await command(socket, { ...buy(station.id, 1), idempotency_key: k });
      expect(replay.success).toBe(true);
      expect(replay.data).toMatchObject({ trade_id: rest.body.data.trade_id, replayed: true });
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
    it('a REST trade reaches /market subscribers (market_update) and a watching admin (player_update trade and credits); unsubscribe stops it', async () => {
      const p = await registerPlayer(t);
      const watcher = await open('/market', p);
      const sub = (await watcher.request('market_subscribe', {
        commodities: ['luxury_goods'],
      })) as unknown as Ack;
      expect(sub).toMatchObject({ success: true, data: { commodities: ['luxury_goods'], stations: [] } });
      const staff = await open('/admin', admin);
      const watching = await staff.request('subscribe', { players: [p.playerId] });
      expect(watching).toMatchObject({ type: 'subscribed', data: { all: false, players: [p.playerId] } });

      const res = await t
        .http()
        .post('/api/v1/trading/trades')
        .set(p.auth)
        .set('Idempotency-Key', randomUUID())
        .send(buy(station.id, 7))
        .expect(201);
      const done = res.body.data as { trade_id: string; total: string; credits_after: string };
      const row = await marketRow(t, station.id, 'luxury_goods');
      expect(row.stock).toBe((res.body.data as { market: { stock: number } }).market.stock);

      type PlayerUpdate = { player_id: string; update_type: string; data: Record<string, unknown> };
      const isUpdate = (type: string) => (e: Envelope) =>
        (e.data as PlayerUpdate).player_id === p.playerId && (e.data as PlayerUpdate).update_type === type;
      const traded = await staff.next('player_update', isUpdate('trade'));
      expect(traded.data).toEqual({
        player_id: p.playerId,
        update_type: 'trade',
        data: {
          trade_id: done.trade_id,
          station_id: station.id,
          commodity: 'luxury_goods',
          action: 'buy',
          quantity: 7,
          unit_price: expect.any(Number),
          total: done.total,
          credits_after: done.credits_after,
          at: expect.any(String),
        },
      });
      const credits = await staff.next('player_update', isUpdate('credits'));
      expect(credits.data).toEqual({
        player_id: p.playerId,
        update_type: 'credits',
        data: {
          before: '10000',
          after: done.credits_after,
          delta: (BigInt(done.credits_after) - 10_000n).toString(),
          source: 'trade',
          actor_id: p.userId,
        },
      });
      expect(BigInt(done.credits_after)).toBe(10_000n - BigInt(done.total));
      expect(staff.badSignatures).toBe(0);
      // The shared station may still send an earlier trade's trailing update first: wait for this trade's state.
      const update = await watcher.next(
        'market_update',
        (e) =>
          (e.data as { station_id: string }).station_id === station.id &&
          (e.data as { stock: number }).stock === row.stock,
      );
      expect(update.data).toMatchObject({
        commodity: 'luxury_goods',
        station_id: station.id,
        stock: row.stock,
        buy_price: row.buy_price,
        sell_price: row.sell_price,
        version: row.version, // the row's: a client orders updates by it
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

    it('market_update carries the 24 h volume and the latest ARIA prediction, as the REST market does', async () => {
      const p = await registerPlayer(t);
      const fresh = await createStation(t); // no trades yet, no stats read for it yet
      await t.db.query(
        `INSERT INTO ai_market_predictions (station_id, commodity, predicted_price, confidence, created_at)
         VALUES ($1, 'luxury_goods', 150.5, 0.4, now() - interval '1 hour'), ($1, 'luxury_goods', 161.25, 0.7, now())`,
        [fresh.id],
      );
      const watcher = await open('/market', p);
      await watcher.request('market_subscribe', { commodities: ['luxury_goods'], station_ids: [fresh.id] });
      await restTrade(p, buy(fresh.id, 3)).expect(201);
      const update = await watcher.next('market_update');
      expect(update.data).toMatchObject({
        station_id: fresh.id,
        volume_24h: 3,
        predicted_price: 161.25,
        confidence: 0.7,
      });
      const market = await t.http().get(`/api/v1/market/stations/${fresh.id}`).set(p.auth).expect(200);
      const lux = (market.body.data.markets as { commodity: string; volume_24h: number }[]).find(
        (m) => m.commodity === 'luxury_goods',
      );
      expect(lux?.volume_24h).toBe(3);
      // Without a prediction the fields are absent, the volume is not.
      const plain = await createStation(t);
      await watcher.request('market_subscribe', { commodities: ['luxury_goods'], station_ids: [plain.id] });
      await restTrade(p, buy(plain.id, 2)).expect(201);
      const other = await watcher.next(
        'market_update',
        (e) => (e.data as { station_id: string }).station_id === plain.id,
      );
      expect(other.data).toMatchObject({ volume_24h: 2 });
      expect(other.data).not.toHaveProperty('predicted_price');
      expect(other.data).not.toHaveProperty('confidence');
    });

    it('regeneration reaches subscribers as market_update too', async () => {
      const p = await registerPlayer(t);
      const growing = await createStation(t, {
        markets: { luxury_goods: { capacity: 1000, stock: 100, productionRate: 3600 } },
      });
      await t.db.query(
        `UPDATE station_markets SET regen_at = now() - interval '20 seconds'
         WHERE station_id = $1 AND commodity = 'luxury_goods'`,
        [growing.id],
      );
      const watcher = await open('/market', p);
      await watcher.request('market_subscribe', { commodities: ['luxury_goods'], station_ids: [growing.id] });
      const before = await marketRow(t, growing.id, 'luxury_goods');
      await t.app.get(MarketMaintenanceService).regenerate(); // what the MARKET_REGEN_SECONDS tick runs
      const row = await marketRow(t, growing.id, 'luxury_goods');
      expect(row.stock).toBeGreaterThanOrEqual(120);
      expect(row.version).toBe(before.version + 1); // regeneration bumps it as a trade does
      const update = await watcher.next(
        'market_update',
        (e) => (e.data as { station_id: string }).station_id === growing.id,
      );
      expect(update.data).toMatchObject({
        station_id: growing.id,
        stock: row.stock,
        buy_price: row.buy_price,
        sell_price: row.sell_price,
        version: row.version,
        volume_24h: 0,
      });
    });

    it('market_update says volume_24h null (unknown) when the stats read fails, and still carries the state', async () => {
      const p = await registerPlayer(t);
      const fresh = await createStation(t); // no stats read for it yet, so none known to fall back on
      const watcher = await open('/market', p);
      await watcher.request('market_subscribe', { commodities: ['luxury_goods'], station_ids: [fresh.id] });
      // The stats read takes the latest prediction from this table; the trade and the state read do not.
      await t.db.query(`ALTER TABLE ai_market_predictions RENAME TO ai_market_predictions_away`);
      try {
        await restTrade(p, buy(fresh.id, 4)).expect(201);
        const update = await watcher.next('market_update');
        const row = await marketRow(t, fresh.id, 'luxury_goods');
        expect(update.data).toEqual({
          commodity: 'luxury_goods',
          station_id: fresh.id,
          buy_price: row.buy_price,
          sell_price: row.sell_price,
          stock: row.stock,
          version: row.version,
          volume_24h: null,
        });
      } finally {
        await t.db.query(`ALTER TABLE ai_market_predictions_away RENAME TO ai_market_predictions`);
      }
    });

    it('market_halt: a global halt and resume reach every /market socket, a commodity one its subscribers; admins see both', async () => {
      const p = await registerPlayer(t);
      const byCommodity = await open('/market', p);
      await byCommodity.request('market_subscribe', { commodities: ['ore'] });
      const byStation = await open('/market', p);
      await byStation.request('market_subscribe', {
        commodities: ['ore', 'fuel'],
        station_ids: [station.id],
      });
      const elsewhere = await open('/market', p);
      await elsewhere.request('market_subscribe', { commodities: ['luxury_goods'] });
      const unsubscribed = await open('/market', p);
      const left = await open('/market', p);
      await left.request('market_subscribe', { commodities: ['ore'] });
      await left.request('market_unsubscribe', { commodities: ['ore'] });
      const staff = await open('/admin', admin);
      const everyone = [byCommodity, byStation, elsewhere, unsubscribed, left];

      const oreHalt = (await halt({ commodity: 'ore', reason: 'ore audit' })).body.data as { at: string };
      await halt({ reason: 'all stop' });
      await resume({ reason: 'all go' });
      await resume({ commodity: 'ore', reason: 'ore done' });

      const halts = (s: TestSocket) => s.of('market_halt').map((e) => e.data);
      const ore = [
        { scope: 'ore', halted: true, reason: 'ore audit', at: oreHalt.at },
        { scope: 'ore', halted: false, reason: 'ore done', at: expect.any(String) },
      ];
      const global = [
        { scope: '*', halted: true, reason: 'all stop', at: expect.any(String) },
        { scope: '*', halted: false, reason: 'all go', at: expect.any(String) },
      ];
      for (const s of everyone)
        await s.next('market_halt', (e) => (e.data as { scope: string }).scope === '*');
      // The last one each socket is due: once it is in, every earlier one it was due is too (one node, in order).
      for (const s of [byCommodity, byStation]) {
        await s.next('market_halt', (e) => (e.data as { reason: string }).reason === 'ore done');
        expect(halts(s)).toEqual([ore[0], ...global, ore[1]]);
      }
      for (const s of [elsewhere, unsubscribed, left]) {
        await s.next('market_halt', (e) => (e.data as { reason: string }).reason === 'all go');
        await s.request('heartbeat'); // a round trip: the ore resume, published before its answer, would be in
        expect(halts(s)).toEqual(global);
      }
      await staff.next('market_halt', (e) => (e.data as { reason: string }).reason === 'ore done');
      expect(halts(staff)).toEqual(
        [ore[0], ...global, ore[1]].map((h) => ({ ...h, actor_id: admin.userId })),
      );
      expect(everyone.concat(staff).reduce((n, s) => n + s.badSignatures, 0)).toBe(0);
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
      // At most one per station and commodity per MARKET_UPDATE_COALESCE_MS (100): the first change goes out at
      // once, later ones in the window fold into one trailing update (stamped when it is published).
      const stamps = updates.map((u) => Date.parse(u.timestamp));
      for (let i = 1; i < stamps.length; i++) expect(stamps[i]! - stamps[i - 1]!).toBeGreaterThanOrEqual(99);
      expect(updates.length).toBeGreaterThanOrEqual(2); // the first at once, the latest state after
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

    it('caps a socket at 1,000 market subscriptions in all: past it nothing is joined', async () => {
      const p = await registerPlayer(t);
      const watcher = await open('/market', p);
      const stations = (n: number) => Array.from({ length: n }, () => randomUUID());
      const five = ['ore', 'organics', 'equipment', 'fuel', 'luxury_goods'];
      const full = (await watcher.request('market_subscribe', {
        commodities: five,
        station_ids: stations(200),
      })) as unknown as Ack & { data: { stations: unknown[] } };
      expect(full.success).toBe(true);
      expect(full.data.stations).toHaveLength(1000);
      // Subscribing again to what it holds is no growth; one more is refused, and nothing of it joined.
      const more = (await watcher.request('market_subscribe', { commodities: ['ore'] })) as unknown as Ack;
      expect(more.success).toBe(false);
      expect(more.error).toMatchObject({ code: 'MARKET.TOO_MANY_SUBSCRIPTIONS', limit: 1000, held: 1000 });
      const after = (await watcher.request('market_unsubscribe', {
        commodities: ['fuel'],
      })) as unknown as Ack & {
        data: { commodities: string[]; stations: unknown[] };
      };
      expect(after.data).toMatchObject({ commodities: [] });
      expect(after.data.stations).toHaveLength(800);
      expect(watcher.socket.connected).toBe(true);
    });
  });
});

describe('Socket.IO /trading: the per-player trade rate limit', () => {
  let t: TestApp;
  let station: StationFixture;
  const sockets: TestSocket[] = [];

  beforeAll(async () => {
    t = await startTestApp(THREE_TRADES_A_MINUTE);
    station = await createStation(t);
  });
  afterEach(() => {
    while (sockets.length) sockets.pop()!.close();
  });
  afterAll(async () => {
    await t.close();
  });

  const rest = (s: Session, k = key()) =>
    t.http().post('/api/v1/trading/trades').set(s.auth).set('Idempotency-Key', k).send(buy(station.id, 1));
  const send = async (s: TestSocket, k = key(), body = buy(station.id, 1)) =>
    (await s.request('trading_command', { ...body, idempotency_key: k })) as unknown as Ack;

  it('shares TRADE_RATE_LIMIT with REST: beyond it, RATE_LIMITED over both, nothing written; others unaffected', async () => {
    const a = await registerPlayer(t);
    const b = await registerPlayer(t);
    const socket = await connectSocket(t.url, '/trading', a.token);
    const other = await connectSocket(t.url, '/trading', b.token);
    sockets.push(socket, other);

    // Two trades over REST and one over the socket use up the player's three.
    await rest(a).expect(201);
    await rest(a).expect(201);
    expect((await send(socket)).success).toBe(true);

    const before = await economyFingerprint(t);
    const k = key();
    const limited = await send(socket, k);
    expect(limited).toMatchObject({
      success: false,
      error: { code: 'RATE_LIMITED', detail: expect.any(String), retry_after_seconds: expect.any(Number) },
    });
    expect((limited.error as unknown as { retry_after_seconds: number }).retry_after_seconds).toBeGreaterThan(
      0,
    );
    expect(await economyFingerprint(t)).toBe(before);
    const [{ n }] = await t.db.query(
      'SELECT count(*)::int AS n FROM trade_idempotency_keys WHERE player_id = $1 AND key = $2',
      [a.playerId, k],
    );
    expect(n).toBe(0);
    expect((await rest(a).expect(429)).body.error).toBe('RATE_LIMITED');
    expect(await economyFingerprint(t)).toBe(before);
    expect(socket.socket.connected).toBe(true);

    // The budget is the player's, not the connection's or the node's: another player still trades.
    expect((await send(other)).success).toBe(true);
  });

  it('replays a committed trade past the limit over either transport, and replays do not use it up', async () => {
    const p = await registerPlayer(t);
    const socket = await connectSocket(t.url, '/trading', p.token);
    sockets.push(socket);
    const k = key();
    const first = await send(socket, k);
    expect(first.success).toBe(true);
    const replay = { ...first.data, replayed: true };
    // Three replays later the player still has two of its three trades.
    for (let i = 0; i < 3; i++) expect((await send(socket, k)).data).toEqual(replay);
    expect((await send(socket)).success).toBe(true);
    await rest(p).expect(201);
    expect((await send(socket)).error?.code).toBe('RATE_LIMITED');

    const before = await economyFingerprint(t);
    const again = await send(socket, k);
    expect(again).toMatchObject({ success: true, data: replay });
    const overRest = await rest(p, k).expect(201);
    expect(overRest.headers['idempotent-replayed']).toBe('true');
    expect(overRest.body.data.trade_id).toBe(first.data.trade_id);
    expect((await send(socket, k, buy(station.id, 2))).error?.code).toBe('TRADING.IDEMPOTENCY_KEY_REUSED');
    expect((await send(socket)).error?.code).toBe('RATE_LIMITED');
    expect(await economyFingerprint(t)).toBe(before);
  });
});
