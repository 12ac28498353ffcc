import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { EventBus } from '@nestjs/cqrs';
import { eventually, startTestApp, type TestApp } from './support/test-app.js';
import { expectErrorBody, loginAs, registerPlayer, type Session } from './support/factories.js';
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
import { priceFor } from '../src/modules/trading/domain/pricing.js';
import { TradeExecutedEvent } from '../src/modules/trading/events/trade-executed.event.js';
import { MarketChangedEvent } from '../src/modules/trading/events/market-changed.event.js';
import { CreditsChangedEvent } from '../src/modules/players/events/credits-changed.event.js';

const key = () => `k-${randomUUID()}`;

// testTimeout in jest.config.js sits in a project, where Jest ignores it; app start-up needs more than 5 s.
jest.setTimeout(60_000);

describe('trading', () => {
  let t: TestApp;
  let admin: Session;
  let moderator: Session;
  let station: StationFixture;
  const events: unknown[] = [];

  beforeAll(async () => {
    t = await startTestApp({
      MARKET_REGEN_SECONDS: '0',
      PRICE_SNAPSHOT_SECONDS: '0',
      TRADE_RATE_LIMIT: '10000',
    });
    t.app.get(EventBus).subscribe((e) => events.push(e));
    admin = await loginAs(t, 'admin');
    moderator = await loginAs(t, 'moderator');
    // Premium Tech (class 11): exotic_technology and luxury_goods both ways; a small capacity so prices move.
    station = await createStation(t, {
      sector: 1,
      markets: {
        luxury_goods: { capacity: 1000, stock: 500 },
        exotic_technology: { capacity: 1000, stock: 500 },
      },
    });
  });
  afterAll(async () => {
    await t.close();
  });

  /** A fresh player in sector 1 with 10,000 credits and an empty 500-hold freighter. */
  const trader = async () => registerPlayer(t);

  const trade = (s: Session, body: Record<string, unknown>, idempotencyKey: string | null = key()) => {
    const req = t.http().post('/api/v1/trading/trades').set(s.auth);
    if (idempotencyKey !== null) req.set('Idempotency-Key', idempotencyKey);
    return req.send(body);
  };
  const buy = (quantity: number, extra: Record<string, unknown> = {}) => ({
    station_id: station.id,
    commodity: 'luxury_goods',
    action: 'buy',
    quantity,
    max_unit_price: 1000,
    ...extra,
  });
  const sell = (quantity: number, extra: Record<string, unknown> = {}) => ({
    station_id: station.id,
    commodity: 'luxury_goods',
    action: 'sell',
    quantity,
    min_unit_price: 0,
    ...extra,
  });

  /** Runs `act` and asserts it changed nothing a trade could touch. */
  const expectNothingWritten = async (act: () => Promise<unknown>) => {
    const before = await economyFingerprint(t);
    await act();
    expect(await economyFingerprint(t)).toBe(before);
  };

  describe('POST /trading/trades', () => {
    it('buys: credits, cargo, stock, treasury and prices move together, with one ledger row', async () => {
      const s = await trader();
      const m0 = await marketRow(t, station.id, 'luxury_goods');
      const [st0] = await t.db.query('SELECT treasury::text FROM stations WHERE id = $1', [station.id]);
      events.length = 0;
      const res = await trade(s, buy(10)).expect(201);
      const d = res.body.data;
      // Ten units priced at the sell price they leave, above the posted one (the station's 1,000 hold is small).
      const unitPrice = priceFor('luxury_goods', 11, m0.stock - 10, 1000).sellPrice;
      expect(unitPrice).toBeGreaterThan(m0.sell_price);
      const total = unitPrice * 10;
      expect(d).toMatchObject({
        station_id: station.id,
        commodity: 'luxury_goods',
        action: 'buy',
        quantity: 10,
        unit_price: unitPrice,
        total: String(total),
        credits_after: String(10_000 - total),
        ship: { capacity: 500, cargo_used: 10, held: 10 },
        market: { stock: m0.stock - 10, ...toPrices(priceFor('luxury_goods', 11, m0.stock - 10, 1000)) },
      });
      const [p] = await t.db.query('SELECT credits::text FROM players WHERE id = $1', [s.playerId]);
      expect(p.credits).toBe(String(10_000 - total));
      const [ship] = await t.db.query(
        'SELECT cargo, cargo_used FROM ships WHERE id = (SELECT active_ship_id FROM players WHERE id = $1)',
        [s.playerId],
      );
      expect(ship).toEqual({ cargo: { luxury_goods: 10 }, cargo_used: 10 });
      const m1 = await marketRow(t, station.id, 'luxury_goods');
      expect(m1).toMatchObject({
        stock: m0.stock - 10,
        ...toDbPrices(priceFor('luxury_goods', 11, m0.stock - 10, 1000)),
      });
      const [st1] = await t.db.query('SELECT treasury::text FROM stations WHERE id = $1', [station.id]);
      expect(BigInt(st1.treasury) - BigInt(st0.treasury)).toBe(BigInt(total));
      const ledger = await t.db.query(
        `SELECT id, action, quantity, unit_price, total::text, credits_after::text FROM market_transactions
         WHERE player_id = $1`,
        [s.playerId],
      );
      expect(ledger).toEqual([
        {
          id: d.trade_id,
          action: 'buy',
          quantity: 10,
          unit_price: unitPrice,
          total: String(total),
          credits_after: String(10_000 - total),
        },
      ]);
      // Events after the commit: the trade, the balance, the market.
      await expectEvent(events, (e) => e instanceof TradeExecutedEvent && e.tradeId === d.trade_id);
      await expectEvent(
        events,
        (e) =>
          e instanceof CreditsChangedEvent &&
          e.playerId === s.playerId &&
          e.before === '10000' &&
          e.after === String(10_000 - total) &&
          e.source === 'trade',
      );
      await expectEvent(
        events,
        (e) => e instanceof MarketChangedEvent && e.stationId === station.id && e.stock === m0.stock - 10,
      );
    });

    it('sells: the station pays from its treasury and stock rises; emptied holds leave the cargo map', async () => {
      const s = await trader();
      await setCargo(t, s.playerId!, { luxury_goods: 20 });
      const m0 = await marketRow(t, station.id, 'luxury_goods');
      const [st0] = await t.db.query('SELECT treasury::text FROM stations WHERE id = $1', [station.id]);
      const res = await trade(s, sell(20)).expect(201);
      const unitPrice = priceFor('luxury_goods', 11, m0.stock + 20, 1000).buyPrice;
      expect(unitPrice).toBeLessThan(m0.buy_price);
      const total = unitPrice * 20;
      expect(res.body.data).toMatchObject({
        unit_price: unitPrice,
        total: String(total),
        credits_after: String(10_000 + total),
        ship: { cargo_used: 0, held: 0 },
        market: { stock: m0.stock + 20 },
      });
      const [ship] = await t.db.query(
        'SELECT cargo, cargo_used FROM ships WHERE id = (SELECT active_ship_id FROM players WHERE id = $1)',
        [s.playerId],
      );
      expect(ship).toEqual({ cargo: {}, cargo_used: 0 });
      const [st1] = await t.db.query('SELECT treasury::text FROM stations WHERE id = $1', [station.id]);
      expect(BigInt(st0.treasury) - BigInt(st1.treasury)).toBe(BigInt(total));
    });

    it('a round trip at one market never gains: 400 units bought and sold straight back leave the player poorer', async () => {
      const s = await trader();
      await setCredits(t, s.playerId!, 1_000_000);
      const m0 = await marketRow(t, station.id, 'exotic_technology');
      const [st0] = await t.db.query('SELECT treasury::text FROM stations WHERE id = $1', [station.id]);
      const order = { ...buy(400), commodity: 'exotic_technology' };
      const quote = await t.http().post('/api/v1/trading/quote').set(s.auth).send(order).expect(200);
      const bought = (await trade(s, order).expect(201)).body.data;
      // The quote named the price charged, the one the 400 units leave (far above the posted one).
      expect(bought.unit_price).toBe(quote.body.data.unit_price);
      expect(bought.unit_price).toBe(priceFor('exotic_technology', 11, m0.stock - 400, 1000).sellPrice);
      const sold = (await trade(s, { ...sell(400), commodity: 'exotic_technology' }).expect(201)).body.data;
      expect(sold.market.stock).toBe(m0.stock);
      expect(sold.unit_price).toBeLessThan(bought.unit_price);
      expect(BigInt(sold.credits_after)).toBeLessThan(1_000_000n);
      const [st1] = await t.db.query('SELECT treasury::text FROM stations WHERE id = $1', [station.id]);
      expect(BigInt(st1.treasury)).toBeGreaterThan(BigInt(st0.treasury));
    });

    it('replays the same key and body: the first result, executed once', async () => {
      const s = await trader();
      const k = key();
      const first = await trade(s, buy(3), k).expect(201);
      expect(first.headers['idempotent-replayed']).toBeUndefined();
      const again = await trade(s, buy(3), k).expect(201);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(again.body.data).toEqual(first.body.data);
      const [n] = await t.db.query(
        'SELECT count(*)::int AS n FROM market_transactions WHERE player_id = $1',
        [s.playerId],
      );
      expect(n.n).toBe(1);
      const [p] = await t.db.query('SELECT credits::text FROM players WHERE id = $1', [s.playerId]);
      expect(p.credits).toBe(first.body.data.credits_after);
    });

    it('moves the player version: an admin edit of the version read before the trade is a 409', async () => {
      const s = await trader();
      const read = await t
        .http()
        .get(`/api/v1/admin/players/${s.playerId}/detailed`)
        .set(admin.auth)
        .expect(200);
      const seen = read.body.data.player.version as number;
      const bought = await trade(s, buy(3)).expect(201);

      const stale = await t
        .http()
        .put(`/api/v1/admin/players/${s.playerId}/comprehensive`)
        .set(admin.auth)
        .set('If-Match', `"${seen}"`)
        .send({
          reason: 'goodwill credit on what I read',
          credits: Number(read.body.data.player.credits) + 100,
        })
        .expect(409);
      expectErrorBody(stale.body, 'PLAYERS.VERSION_CONFLICT');
      expect(stale.body.current_version).toBe(seen + 1);
      const [p] = await t.db.query('SELECT credits::text FROM players WHERE id = $1', [s.playerId]);
      expect(p.credits).toBe(bought.body.data.credits_after);
    });

    it('the same key with another body is a 422 and writes nothing', async () => {
      const s = await trader();
      const k = key();
      await trade(s, buy(2), k).expect(201);
      await expectNothingWritten(async () => {
        const res = await trade(s, buy(5), k).expect(422);
        expectErrorBody(res.body, 'TRADING.IDEMPOTENCY_KEY_REUSED');
      });
    });

    it('a used key answers before the rules: another station or an untraded commodity is a 422 too', async () => {
      const s = await trader();
      const k = key();
      await trade(s, buy(2), k).expect(201);
      await expectNothingWritten(async () => {
        // Premium Tech has no ore market at all: without the key that is TRADING.NOT_TRADED.
        for (const body of [buy(2, { station_id: randomUUID() }), buy(2, { commodity: 'ore' })]) {
          expectErrorBody((await trade(s, body, k).expect(422)).body, 'TRADING.IDEMPOTENCY_KEY_REUSED');
        }
      });
    });

    it('replays a committed trade after the player gave its ship away (no active ship now)', async () => {
      const s = await trader();
      const receiver = await trader();
      const k = key();
      const first = await trade(s, buy(2), k).expect(201);
      await t
        .http()
        .post(`/api/v1/admin/players/${s.playerId}/assets/transfer`)
        .set(admin.auth)
        .send({
          to_player_id: receiver.playerId,
          ship_ids: [first.body.data.ship.id],
          reason: 'ship sold between players',
        })
        .expect(200);
      expectErrorBody((await trade(s, buy(2)).expect(409)).body, 'TRADING.NO_ACTIVE_SHIP');
      await expectNothingWritten(async () => {
        const again = await trade(s, buy(2), k).expect(201);
        expect(again.headers['idempotent-replayed']).toBe('true');
        expect(again.body.data).toEqual(first.body.data);
      });
    });

    it('concurrent duplicates of one key execute once and all get the first result', async () => {
      const s = await trader();
      const k = key();
      const results = await Promise.all(Array.from({ length: 12 }, () => trade(s, buy(1), k)));
      expect(results.map((r) => r.status)).toEqual(Array(12).fill(201));
      const ids = new Set(results.map((r) => r.body.data.trade_id));
      expect(ids.size).toBe(1);
      expect(results.filter((r) => r.headers['idempotent-replayed'] === undefined)).toHaveLength(1);
      const [n] = await t.db.query(
        'SELECT count(*)::int AS n FROM market_transactions WHERE player_id = $1',
        [s.playerId],
      );
      expect(n.n).toBe(1);
    });

    it('keys are per player: another player may use the same key', async () => {
      const a = await trader();
      const b = await trader();
      const k = key();
      const ra = await trade(a, buy(1), k).expect(201);
      const rb = await trade(b, buy(1), k).expect(201);
      expect(rb.headers['idempotent-replayed']).toBeUndefined();
      expect(rb.body.data.trade_id).not.toBe(ra.body.data.trade_id);
    });

    it('keeps keys at least 24 h; an expired key runs as new', async () => {
      const s = await trader();
      const k = key();
      await trade(s, buy(1), k).expect(201);
      const [row] = await t.db.query(
        `SELECT extract(epoch FROM expires_at - created_at)::int AS ttl FROM trade_idempotency_keys
         WHERE player_id = $1 AND key = $2`,
        [s.playerId, k],
      );
      expect(row.ttl).toBeGreaterThanOrEqual(24 * 3600);
      await t.db.query(
        `UPDATE trade_idempotency_keys SET expires_at = now() - interval '1 second' WHERE player_id = $1 AND key = $2`,
        [s.playerId, k],
      );
      const again = await trade(s, buy(1), k).expect(201);
      expect(again.headers['idempotent-replayed']).toBeUndefined();
    });

    it('requires a well-formed Idempotency-Key (400, nothing written)', async () => {
      const s = await trader();
      await expectNothingWritten(async () => {
        expectErrorBody((await trade(s, buy(1), null).expect(400)).body, 'TRADING.IDEMPOTENCY_KEY_REQUIRED');
        expectErrorBody(
          (await trade(s, buy(1), 'has spaces').expect(400)).body,
          'TRADING.IDEMPOTENCY_KEY_REQUIRED',
        );
        expectErrorBody(
          (await trade(s, buy(1), 'x'.repeat(129)).expect(400)).body,
          'TRADING.IDEMPOTENCY_KEY_REQUIRED',
        );
      });
    });

    it('rejects bad input with 400 naming the fields, and writes nothing', async () => {
      const s = await trader();
      await expectNothingWritten(async () => {
        const cases: Array<[Record<string, unknown>, string]> = [
          [buy(0), 'quantity'],
          [buy(-1), 'quantity'],
          [buy(1.5), 'quantity'],
          [buy(10_001), 'quantity'], // above TRADE_MAX_QUANTITY
          [{ ...buy(1), max_unit_price: undefined }, 'max_unit_price'],
          [{ ...sell(1), min_unit_price: undefined }, 'min_unit_price'],
          [buy(1, { min_unit_price: 5 }), 'min_unit_price'],
          [buy(1, { commodity: 'spice' }), 'commodity'],
          [buy(1, { action: 'steal' }), 'action'],
          [buy(1, { station_id: 'not-a-uuid' }), 'station_id'],
          [buy(1, { player_id: randomUUID() }), 'player_id'],
        ];
        for (const [body, field] of cases) {
          const res = await trade(s, body).expect(400);
          expectErrorBody(res.body, 'VALIDATION_FAILED');
          expect(Object.keys(res.body.fields)).toContain(field);
        }
      });
    });

    it('needs a token (401) and a player account (403)', async () => {
      const res = await t
        .http()
        .post('/api/v1/trading/trades')
        .set('Idempotency-Key', key())
        .send(buy(1))
        .expect(401);
      expectErrorBody(res.body, 'AUTH.UNAUTHORIZED');
      await expectNothingWritten(async () => {
        expectErrorBody((await trade(admin, buy(1)).expect(403)).body, 'TRADING.PLAYERS_ONLY');
      });
    });

    describe('rejections: a clear code and nothing written', () => {
      it('an unknown station is a 404', async () => {
        const s = await trader();
        await expectNothingWritten(async () => {
          const res = await trade(s, buy(1, { station_id: randomUUID() })).expect(404);
          expectErrorBody(res.body, 'TRADING.STATION_NOT_FOUND');
        });
      });

      it('the player must be in the station’s sector', async () => {
        const s = await trader();
        await placePlayer(t, s.playerId!, 7);
        await expectNothingWritten(async () => {
          const res = await trade(s, buy(1)).expect(409);
          expectErrorBody(res.body, 'TRADING.NOT_IN_SECTOR');
          expect(res.body).toMatchObject({ station_sector: 1, player_sector: 7 });
        });
      });

      it.each(['frozen', 'banned', 'suspended'])('a %s player cannot trade (403)', async (status) => {
        const s = await trader();
        await setStatus(t, s.playerId!, status);
        await expectNothingWritten(async () => {
          const res = await trade(s, buy(1)).expect(403);
          expectErrorBody(res.body, 'TRADING.PLAYER_NOT_ACTIVE');
        });
      });

      it('the price must be within the player’s limit', async () => {
        const s = await trader();
        await setCargo(t, s.playerId!, { luxury_goods: 5 });
        const m = await marketRow(t, station.id, 'luxury_goods');
        await expectNothingWritten(async () => {
          const a = await trade(s, buy(1, { max_unit_price: m.sell_price - 1 })).expect(409);
          expectErrorBody(a.body, 'TRADING.PRICE_LIMIT');
          expect(a.body).toMatchObject({ unit_price: m.sell_price, limit: m.sell_price - 1 });
          const b = await trade(s, sell(1, { min_unit_price: m.buy_price + 1 })).expect(409);
          expectErrorBody(b.body, 'TRADING.PRICE_LIMIT');
        });
        await trade(s, buy(1, { max_unit_price: m.sell_price })).expect(201);
      });

      it('not enough credits', async () => {
        const s = await trader();
        await setCredits(t, s.playerId!, 100);
        await expectNothingWritten(async () => {
          const res = await trade(s, buy(1)).expect(409);
          expectErrorBody(res.body, 'TRADING.INSUFFICIENT_CREDITS');
        });
      });

      it('not enough cargo space', async () => {
        const s = await trader();
        await setCargo(t, s.playerId!, { exotic_technology: 498 });
        await expectNothingWritten(async () => {
          const res = await trade(s, buy(3)).expect(409);
          expectErrorBody(res.body, 'TRADING.INSUFFICIENT_CARGO_SPACE');
          expect(res.body).toMatchObject({ needed: 3, free: 2 });
        });
      });

      it('not enough cargo to sell', async () => {
        const s = await trader();
        await setCargo(t, s.playerId!, { luxury_goods: 2 });
        await expectNothingWritten(async () => {
          const res = await trade(s, sell(3)).expect(409);
          expectErrorBody(res.body, 'TRADING.INSUFFICIENT_CARGO');
        });
      });

      it('not enough stock, or no room at the station', async () => {
        const s = await trader();
        const small = await createStation(t, {
          markets: {
            luxury_goods: { capacity: 100, stock: 2 },
            exotic_technology: { capacity: 100, stock: 99 },
          },
        });
        await setCargo(t, s.playerId!, { exotic_technology: 5 });
        await setCredits(t, s.playerId!, 1_000_000);
        await expectNothingWritten(async () => {
          const a = await trade(s, buy(3, { station_id: small.id })).expect(409);
          expectErrorBody(a.body, 'TRADING.INSUFFICIENT_STOCK');
          const b = await trade(s, sell(2, { station_id: small.id, commodity: 'exotic_technology' })).expect(
            409,
          );
          expectErrorBody(b.body, 'TRADING.STATION_FULL');
        });
      });

      it('not enough treasury for the station to pay', async () => {
        const s = await trader();
        const poor = await createStation(t, { treasury: 50 });
        await setCargo(t, s.playerId!, { luxury_goods: 10 });
        await expectNothingWritten(async () => {
          const res = await trade(s, sell(10, { station_id: poor.id })).expect(409);
          expectErrorBody(res.body, 'TRADING.INSUFFICIENT_TREASURY');
        });
      });

      it('a commodity the station does not trade that way', async () => {
        const s = await trader();
        const mining = await createStation(t, { stationClass: 1 }); // buys ore; sells organics, equipment
        await setCargo(t, s.playerId!, { organics: 5, fuel: 5 });
        await expectNothingWritten(async () => {
          const a = await trade(s, buy(1, { station_id: mining.id, commodity: 'ore' })).expect(409);
          expectErrorBody(a.body, 'TRADING.NOT_TRADED');
          expect(a.body.detail).toMatch(/does not sell ore/);
          const b = await trade(s, sell(1, { station_id: mining.id, commodity: 'organics' })).expect(409);
          expectErrorBody(b.body, 'TRADING.NOT_TRADED');
          const c = await trade(s, sell(1, { station_id: mining.id, commodity: 'fuel' })).expect(409);
          expectErrorBody(c.body, 'TRADING.NOT_TRADED');
        });
      });

      it('a player without an active ship cannot carry cargo', async () => {
        const s = await trader();
        await t.db.query('UPDATE players SET active_ship_id = NULL WHERE id = $1', [s.playerId]);
        await expectNothingWritten(async () => {
          expectErrorBody((await trade(s, buy(1)).expect(409)).body, 'TRADING.NO_ACTIVE_SHIP');
        });
      });
    });
  });

  describe('market halts', () => {
    const halt = (s: Session, body: Record<string, unknown>) =>
      t.http().post('/api/v1/admin/market/halt').set(s.auth).send(body);
    const resume = (s: Session, body: Record<string, unknown>) =>
      t.http().post('/api/v1/admin/market/resume').set(s.auth).send(body);

    it('a per-commodity halt answers 423 for it only, and resume lifts it; both audited', async () => {
      const s = await trader();
      const res = await halt(admin, { commodity: 'luxury_goods', reason: 'price manipulation probe' }).expect(
        200,
      );
      expect(res.body.data).toMatchObject({ commodity: 'luxury_goods', halted: true });
      await expectNothingWritten(async () => {
        const r = await trade(s, buy(1)).expect(423);
        expectErrorBody(r.body, 'TRADING.MARKET_HALTED');
        expect(r.body).toMatchObject({ scope: 'luxury_goods', reason: 'price manipulation probe' });
      });
      await trade(s, buy(1, { commodity: 'exotic_technology' })).expect(201);
      const rt = await t.http().get('/api/v1/market/realtime/luxury_goods').set(s.auth).expect(200);
      expect(rt.body.data.halted).toBe(true);
      const list = await t.http().get('/api/v1/admin/market/halts').set(admin.auth).expect(200);
      expect(list.body.data).toEqual([expect.objectContaining({ commodity: 'luxury_goods' })]);

      expectErrorBody(
        (await halt(admin, { commodity: 'luxury_goods', reason: 'again please' }).expect(409)).body,
        'MARKET.ALREADY_HALTED',
      );
      await resume(admin, { commodity: 'luxury_goods', reason: 'all clear' }).expect(200);
      await trade(s, buy(1)).expect(201);
      expectErrorBody(
        (await resume(admin, { commodity: 'luxury_goods', reason: 'again please' }).expect(409)).body,
        'MARKET.NOT_HALTED',
      );
      const audit = await t.db.query(
        `SELECT action, actor_id, target_id, reason, before, after FROM audit_log
         WHERE action IN ('market.halt', 'market.resume') ORDER BY id`,
      );
      expect(audit).toEqual([
        {
          action: 'market.halt',
          actor_id: admin.userId,
          target_id: 'luxury_goods',
          reason: 'price manipulation probe',
          before: { halted: false },
          after: { halted: true },
        },
        expect.objectContaining({ action: 'market.resume', target_id: 'luxury_goods', reason: 'all clear' }),
      ]);
    });

    it('a global halt stops every commodity', async () => {
      const s = await trader();
      await halt(admin, { reason: 'emergency maintenance' }).expect(200);
      try {
        await expectNothingWritten(async () => {
          const r = await trade(s, buy(1, { commodity: 'exotic_technology' })).expect(423);
          expect(r.body).toMatchObject({ error: 'TRADING.MARKET_HALTED', scope: 'all' });
          // Checked before anything else: even a trade at an unknown market answers 423.
          await trade(s, buy(1, { commodity: 'ore' })).expect(423);
        });
      } finally {
        await resume(admin, { reason: 'maintenance done' }).expect(200);
      }
    });

    it('needs market:halt (403 for players and moderators, 401 without a token) and a reason (400)', async () => {
      const s = await trader();
      expectErrorBody((await halt(s, { reason: 'i am a player' }).expect(403)).body, 'AUTH.FORBIDDEN');
      expectErrorBody(
        (await halt(moderator, { reason: 'moderator try' }).expect(403)).body,
        'AUTH.FORBIDDEN',
      );
      expectErrorBody(
        (await resume(moderator, { reason: 'moderator try' }).expect(403)).body,
        'AUTH.FORBIDDEN',
      );
      await t.http().post('/api/v1/admin/market/halt').send({ reason: 'anonymous' }).expect(401);
      for (const body of [{}, { reason: 'x' }, { reason: 'valid reason', commodity: 'spice' }]) {
        expectErrorBody((await halt(admin, body).expect(400)).body, 'VALIDATION_FAILED');
      }
      const [n] = await t.db.query('SELECT count(*)::int AS n FROM market_halts');
      expect(n.n).toBe(0);
    });
  });

  describe('POST /trading/quote', () => {
    it('prices a trade under the same rules and writes nothing', async () => {
      const s = await trader();
      const m = await marketRow(t, station.id, 'luxury_goods');
      await expectNothingWritten(async () => {
        const res = await t
          .http()
          .post('/api/v1/trading/quote')
          .set(s.auth)
          .send({ station_id: station.id, commodity: 'luxury_goods', action: 'buy', quantity: 4 })
          .expect(200);
        expect(res.body.data).toMatchObject({
          unit_price: m.sell_price,
          total: String(m.sell_price * 4),
          credits_after: String(10_000 - m.sell_price * 4),
          market_after: { stock: m.stock - 4 },
        });
        const poor = await t
          .http()
          .post('/api/v1/trading/quote')
          .set(s.auth)
          .send({ station_id: station.id, commodity: 'luxury_goods', action: 'buy', quantity: 400 })
          .expect(409);
        expectErrorBody(poor.body, 'TRADING.INSUFFICIENT_CREDITS');
        const bad = await t
          .http()
          .post('/api/v1/trading/quote')
          .set(s.auth)
          .send({ station_id: station.id, commodity: 'luxury_goods', action: 'buy', quantity: 0 })
          .expect(400);
        expectErrorBody(bad.body, 'VALIDATION_FAILED');
      });
      await t.http().post('/api/v1/trading/quote').send({}).expect(401);
      expectErrorBody(
        (
          await t
            .http()
            .post('/api/v1/trading/quote')
            .set(admin.auth)
            .send({ station_id: station.id, commodity: 'luxury_goods', action: 'buy', quantity: 1 })
            .expect(403)
        ).body,
        'TRADING.PLAYERS_ONLY',
      );
    });
  });

  describe('GET /trading/trades', () => {
    it('lists only my own trades, newest first, paginated', async () => {
      const a = await trader();
      const b = await trader();
      for (let i = 1; i <= 3; i++) await trade(a, buy(i)).expect(201);
      await trade(b, buy(1)).expect(201);
      const page1 = await t.http().get('/api/v1/trading/trades?limit=2').set(a.auth).expect(200);
      expect(page1.body.data).toMatchObject({ page: 1, limit: 2, total_count: 3 });
      expect(page1.body.data.trades.map((x: { quantity: number }) => x.quantity)).toEqual([3, 2]);
      const page2 = await t.http().get('/api/v1/trading/trades?limit=2&page=2').set(a.auth).expect(200);
      expect(page2.body.data.trades.map((x: { quantity: number }) => x.quantity)).toEqual([1]);
      const mine = await t.http().get('/api/v1/trading/trades').set(b.auth).expect(200);
      expect(mine.body.data.total_count).toBe(1);
      // A filter cannot reach another player's rows: there is no player parameter at all.
      const probe = await t
        .http()
        .get(`/api/v1/trading/trades?player_id=${a.playerId}`)
        .set(b.auth)
        .expect(400);
      expectErrorBody(probe.body, 'VALIDATION_FAILED');
      const filtered = await t
        .http()
        .get(`/api/v1/trading/trades?commodity=exotic_technology`)
        .set(a.auth)
        .expect(200);
      expect(filtered.body.data.total_count).toBe(0);
    });

    it('pages by next_cursor while new trades arrive: no row repeated or skipped; a bad cursor is 400', async () => {
      const a = await trader();
      for (let i = 1; i <= 5; i++) await trade(a, buy(i)).expect(201);
      const list = (query: Record<string, unknown>) =>
        t.http().get('/api/v1/trading/trades').query(query).set(a.auth).expect(200);
      const quantities = (res: { body: { data: { trades: Array<{ quantity: number }> } } }) =>
        res.body.data.trades.map((x) => x.quantity);
      const first = await list({ limit: 2 });
      expect(quantities(first)).toEqual([5, 4]);
      await trade(a, buy(6)).expect(201); // a new trade at the top while the client pages
      // By page, the second page now starts with a row the first one showed.
      expect(quantities(await list({ limit: 2, page: 2 }))).toEqual([4, 3]);
      const second = await list({ limit: 2, cursor: first.body.data.next_cursor });
      expect(quantities(second)).toEqual([3, 2]);
      const third = await list({ limit: 2, cursor: second.body.data.next_cursor });
      expect(quantities(third)).toEqual([1]);
      expect(third.body.data.next_cursor).toBeNull();
      // A cursor carries its own filter's position only: another player's cursor reads nothing of theirs.
      const b = await trader();
      const theirs = await t
        .http()
        .get('/api/v1/trading/trades')
        .query({ cursor: first.body.data.next_cursor })
        .set(b.auth)
        .expect(200);
      expect(theirs.body.data.trades).toEqual([]);
      for (const cursor of ['nonsense', Buffer.from('1.not-a-uuid').toString('base64url'), '']) {
        const res = await t.http().get('/api/v1/trading/trades').query({ cursor }).set(a.auth);
        expect(res.status).toBe(400);
        expectErrorBody(res.body, 'VALIDATION_FAILED');
        expect(res.body.fields).toHaveProperty('cursor');
      }
    });

    it('400 on bad paging, 401 without a token, 403 for staff', async () => {
      const s = await trader();
      expectErrorBody(
        (await t.http().get('/api/v1/trading/trades?limit=1000').set(s.auth).expect(400)).body,
        'VALIDATION_FAILED',
      );
      expectErrorBody(
        (await t.http().get('/api/v1/trading/trades?page=0').set(s.auth).expect(400)).body,
        'VALIDATION_FAILED',
      );
      await t.http().get('/api/v1/trading/trades').expect(401);
      expectErrorBody(
        (await t.http().get('/api/v1/trading/trades').set(admin.auth).expect(403)).body,
        'TRADING.PLAYERS_ONLY',
      );
    });
  });

  describe('GET /market/realtime/{commodity}', () => {
    it('lists stations trading it, best price first, with volume, trend and prediction', async () => {
      const s = await trader();
      const cheap = await createStation(t, {
        sector: 20,
        markets: { exotic_technology: { capacity: 1000, stock: 1000 } },
      });
      const dear = await createStation(t, {
        sector: 30,
        markets: { exotic_technology: { capacity: 1000, stock: 0 } },
      });
      await t.db.query(
        `INSERT INTO price_history (station_id, commodity, buy_price, sell_price, stock, recorded_at)
         VALUES ($1, 'exotic_technology', 100, 120, 900, now() - interval '23 hours')`,
        [cheap.id],
      );
      await t.db.query(
        `INSERT INTO ai_market_predictions (station_id, commodity, predicted_price, confidence, created_at)
         VALUES ($1, 'exotic_technology', 210.5, 0.4, now() - interval '1 hour'),
                ($1, 'exotic_technology', 222.25, 0.8, now())`,
        [cheap.id],
      );
      // A prediction whose horizon has passed predicts nothing: `dear` shows none.
      await t.db.query(
        `INSERT INTO ai_market_predictions (station_id, commodity, predicted_price, confidence, horizon_minutes, created_at)
         VALUES ($1, 'exotic_technology', 199, 0.9, 60, now() - interval '61 minutes')`,
        [dear.id],
      );
      const res = await t
        .http()
        .get('/api/v1/market/realtime/exotic_technology?side=sells')
        .set(s.auth)
        .expect(200);
      const rows = res.body.data.stations as Array<Record<string, unknown>>;
      const prices = rows.map((r) => r.sell_price as number);
      expect(prices).toEqual([...prices].sort((a, b) => a - b));
      const c = rows.find((r) => r.station_id === cheap.id)!;
      expect(c).toMatchObject({
        sector_id: 20,
        sells: true,
        stock: 1000,
        capacity: 1000,
        trend: 'up',
        prediction: { predicted_price: 222.25, confidence: 0.8 },
      });
      expect(rows.find((r) => r.station_id === dear.id)).toMatchObject({
        trend: 'unknown',
        prediction: null,
      });

      const ranged = await t
        .http()
        .get('/api/v1/market/realtime/exotic_technology?min_sector=25&max_sector=35')
        .set(s.auth)
        .expect(200);
      expect(ranged.body.data.stations.map((r: { station_id: string }) => r.station_id)).toEqual([dear.id]);

      const buyers = await t
        .http()
        .get('/api/v1/market/realtime/exotic_technology?side=buys')
        .set(s.auth)
        .expect(200);
      const bp = buyers.body.data.stations.map((r: { buy_price: number }) => r.buy_price);
      expect(bp).toEqual([...bp].sort((a: number, b: number) => b - a));
    });

    it('counts 24 h volume from the ledger', async () => {
      const s = await trader();
      const st = await createStation(t, { sector: 1 });
      await trade(s, buy(7, { station_id: st.id })).expect(201);
      const res = await t
        .http()
        .get('/api/v1/market/realtime/luxury_goods?min_sector=1&max_sector=1')
        .set(s.auth)
        .expect(200);
      expect(
        res.body.data.stations.find((r: { station_id: string }) => r.station_id === st.id).volume_24h,
      ).toBe(7);
    });

    it('an unknown commodity is a 404 listing the valid ones; bad filters 400; no token 401', async () => {
      const s = await trader();
      const res = await t.http().get('/api/v1/market/realtime/spice').set(s.auth).expect(404);
      expectErrorBody(res.body, 'MARKET.UNKNOWN_COMMODITY');
      expect(res.body.valid_commodities).toContain('luxury_goods');
      expect(res.body.valid_commodities).toHaveLength(9);
      expectErrorBody(
        (await t.http().get('/api/v1/market/realtime/ore?min_sector=abc').set(s.auth).expect(400)).body,
        'VALIDATION_FAILED',
      );
      expectErrorBody(
        (await t.http().get('/api/v1/market/realtime/ore?min_sector=5&max_sector=2').set(s.auth).expect(400))
          .body,
        'VALIDATION_FAILED',
      );
      expectErrorBody(
        (await t.http().get('/api/v1/market/realtime/ore?side=both').set(s.auth).expect(400)).body,
        'VALIDATION_FAILED',
      );
      await t.http().get('/api/v1/market/realtime/ore').expect(401);
    });
  });

  describe('GET /market/stations/{id}', () => {
    it('returns the station with every market', async () => {
      const s = await trader();
      const res = await t.http().get(`/api/v1/market/stations/${station.id}`).set(s.auth).expect(200);
      expect(res.body.data).toMatchObject({
        id: station.id,
        sector_id: 1,
        station_class: 11,
        class_name: 'Premium Tech',
      });
      expect(res.body.data.markets.map((m: { commodity: string }) => m.commodity)).toEqual([
        'exotic_technology',
        'luxury_goods',
      ]);
      expectErrorBody(
        (await t.http().get(`/api/v1/market/stations/${randomUUID()}`).set(s.auth).expect(404)).body,
        'MARKET.STATION_NOT_FOUND',
      );
      expectErrorBody(
        (await t.http().get('/api/v1/market/stations/nope').set(s.auth).expect(400)).body,
        'VALIDATION_FAILED',
      );
      await t.http().get(`/api/v1/market/stations/${station.id}`).expect(401);
    });
  });

  it("REST market reads carry each market's version, which a trade raises by one", async () => {
    const s = await trader();
    const read = async () => {
      const st = await t.http().get(`/api/v1/market/stations/${station.id}`).set(s.auth).expect(200);
      const rt = await t.http().get('/api/v1/market/realtime/luxury_goods').set(s.auth).expect(200);
      const fromStation = st.body.data.markets.find(
        (m: { commodity: string }) => m.commodity === 'luxury_goods',
      );
      const fromRealtime = rt.body.data.stations.find(
        (r: { station_id: string }) => r.station_id === station.id,
      );
      expect(fromRealtime.version).toBe(fromStation.version);
      return fromStation.version as number;
    };
    const before = await read();
    expect(before).toEqual(expect.any(Number));
    await trade(s, buy(2)).expect(201);
    expect(await read()).toBe(before + 1);
  });

  describe('GET /market/history', () => {
    it('buckets snapshots by interval', async () => {
      const s = await trader();
      const st = await createStation(t);
      await t.db.query(
        `INSERT INTO price_history (station_id, commodity, buy_price, sell_price, stock, recorded_at) VALUES
           ($1, 'luxury_goods', 100, 120, 500, '2026-01-01T10:05:00Z'),
           ($1, 'luxury_goods', 102, 124, 480, '2026-01-01T10:35:00Z'),
           ($1, 'luxury_goods', 110, 130, 400, '2026-01-01T11:10:00Z'),
           ($1, 'exotic_technology', 1, 1, 1, '2026-01-01T10:10:00Z')`,
        [st.id],
      );
      const res = await t
        .http()
        .get(
          `/api/v1/market/history?station_id=${st.id}&commodity=luxury_goods&from=2026-01-01T10:00:00Z&to=2026-01-01T12:00:00Z&interval=1h`,
        )
        .set(s.auth)
        .expect(200);
      expect(res.body.data.points).toEqual([
        {
          bucket: '2026-01-01T10:00:00.000Z',
          buy_price_avg: 101,
          buy_price_min: 100,
          buy_price_max: 102,
          sell_price_avg: 122,
          sell_price_min: 120,
          sell_price_max: 124,
          stock: 480,
          samples: 2,
        },
        expect.objectContaining({ bucket: '2026-01-01T11:00:00.000Z', stock: 400, samples: 1 }),
      ]);
    });

    it('400 on bad input, 404 for an unknown station, 401 without a token', async () => {
      const s = await trader();
      const q = (qs: string) => t.http().get(`/api/v1/market/history?${qs}`).set(s.auth);
      expectErrorBody(
        (await q(`station_id=${station.id}&commodity=spice`).expect(400)).body,
        'VALIDATION_FAILED',
      );
      expectErrorBody((await q(`commodity=ore`).expect(400)).body, 'VALIDATION_FAILED');
      expectErrorBody(
        (await q(`station_id=${station.id}&commodity=ore&interval=2m`).expect(400)).body,
        'VALIDATION_FAILED',
      );
      expectErrorBody(
        (
          await q(
            `station_id=${station.id}&commodity=ore&from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z`,
          ).expect(400)
        ).body,
        'VALIDATION_FAILED',
      );
      expectErrorBody(
        (
          await q(
            `station_id=${station.id}&commodity=ore&from=2020-01-01T00:00:00Z&to=2026-01-01T00:00:00Z&interval=1m`,
          ).expect(400)
        ).body,
        'VALIDATION_FAILED',
      );
      expectErrorBody(
        (await q(`station_id=${randomUUID()}&commodity=ore`).expect(404)).body,
        'MARKET.STATION_NOT_FOUND',
      );
      await t.http().get(`/api/v1/market/history?station_id=${station.id}&commodity=ore`).expect(401);
    });
  });
});

function toPrices(p: { buyPrice: number; sellPrice: number }) {
  return { buy_price: p.buyPrice, sell_price: p.sellPrice };
}
const toDbPrices = toPrices;

async function expectEvent(events: unknown[], match: (e: unknown) => boolean): Promise<void> {
  await eventually(() => (events.some(match) ? true : undefined), 5000);
}

describe('trading: a used key past the per-player trade rate limit', () => {
  let t: TestApp;
  let station: StationFixture;

  beforeAll(async () => {
    t = await startTestApp(THREE_TRADES_A_MINUTE);
    station = await createStation(t);
  });
  afterAll(async () => {
    await t.close();
  });

  it('replays a committed trade while rate-limited, and replays do not use the limit up', async () => {
    const s = await registerPlayer(t);
    const body = {
      station_id: station.id,
      commodity: 'luxury_goods',
      action: 'buy',
      quantity: 1,
      max_unit_price: 1000,
    };
    const trade = (k: string, b: Record<string, unknown> = body) =>
      t.http().post('/api/v1/trading/trades').set(s.auth).set('Idempotency-Key', k).send(b);
    const expectReplay = async (k: string, first: { body: { data: unknown } }) => {
      const again = await trade(k).expect(201);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(again.body.data).toEqual(first.body.data);
    };

    const k = key();
    const first = await trade(k).expect(201);
    // Replays cost nothing: after three of them the player still has two of its three trades.
    for (let i = 0; i < 3; i++) await expectReplay(k, first);
    await trade(key()).expect(201);
    const lastKey = key();
    const last = await trade(lastKey).expect(201);
    expect((await trade(key()).expect(429)).body.error).toBe('RATE_LIMITED');

    // Over the limit a used key still answers as it did: the first result, or 422 for another body.
    const before = await economyFingerprint(t);
    await expectReplay(k, first);
    await expectReplay(lastKey, last);
    const reused = await trade(k, { ...body, quantity: 2 }).expect(422);
    expectErrorBody(reused.body, 'TRADING.IDEMPOTENCY_KEY_REUSED');
    expect((await trade(key()).expect(429)).body.error).toBe('RATE_LIMITED');
    expect(await economyFingerprint(t)).toBe(before);
    const [n] = await t.db.query('SELECT count(*)::int AS n FROM market_transactions WHERE player_id = $1', [
      s.playerId,
    ]);
    expect(n.n).toBe(3);
  });
});
