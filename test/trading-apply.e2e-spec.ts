import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { readTradeContext } from '../src/modules/trading/commands/trade-context.js';
import { planTrade, type TradeRequest } from '../src/modules/trading/domain/trade-rules.js';
import { startTestApp, type TestApp } from './support/test-app.js';
import { registerPlayer, type Session } from './support/factories.js';
import {
  createStation,
  economyFingerprint,
  setCargo,
  type StationFixture,
} from './support/market-factories.js';

/**
 * apply_trade() is the write half of every trade: it must write everything or nothing, and say 'stale'
 * whenever the state it is handed no longer holds, so a trade planned on an old read can never commit.
 * Driven here directly with plans made the way the server makes them.
 */
describe('apply_trade(): the guarded write of a trade', () => {
  let t: TestApp;
  let player: Session;
  let station: StationFixture;

  beforeAll(async () => {
    t = await startTestApp({ MARKET_REGEN_SECONDS: '0', PRICE_SNAPSHOT_SECONDS: '0' });
    station = await createStation(t, { treasury: 1_000_000 });
    player = await registerPlayer(t);
  });
  afterAll(async () => {
    await t.close();
  });
  beforeEach(async () => {
    await setCargo(t, player.playerId!, { luxury_goods: 20 });
    await t.db.query('DELETE FROM market_halts');
  });

  const run = <R>(_name: string, text: string, values: unknown[]) => t.db.query(text, values) as Promise<R[]>;

  /** Reads and plans like the server, returning apply_trade's arguments by name, in its parameter order. */
  async function planned(request: TradeRequest, key = `k-${randomUUID()}`) {
    // Without the key: a used one would answer with its stored result; apply_trade's own guard is tested here.
    const ctx = await readTradeContext(run, player.playerId!, request, { idempotencyKey: null, lock: false });
    const plan = planTrade(request, ctx);
    return {
      player: player.playerId!,
      ship: ctx.shipId,
      station: request.stationId,
      sector: ctx.station.sector,
      commodity: request.commodity,
      action: request.action,
      quantity: request.quantity,
      unitPrice: plan.unitPrice,
      total: plan.total.toString(),
      creditsBefore: ctx.player.credits.toString(),
      creditsDelta: plan.creditsDelta.toString(),
      cargoUsedBefore: ctx.ship.cargoUsed,
      heldBefore: ctx.ship.held,
      cargoDelta: plan.cargoDelta,
      stockBefore: ctx.market.stock,
      buyAfter: plan.pricesAfter.buyPrice,
      sellAfter: plan.pricesAfter.sellPrice,
      treasuryDelta: plan.treasuryDelta.toString(),
      tradeId: randomUUID(),
      key,
      hash: 'h',
      response: JSON.stringify({ ok: true }),
      ttlHours: 24,
      at: new Date(),
      marketVersion: ctx.marketVersion,
      postedPrice: plan.postedPrice,
    };
  }

  async function apply(a: Awaited<ReturnType<typeof planned>>): Promise<string> {
    const [row] = await t.db.query(
      `SELECT apply_trade($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19,
                          $20, $21, $22, $23, $24, $25, $26) AS outcome`,
      Object.values(a),
    );
    return row.outcome;
  }

  const buy: () => TradeRequest = () => ({
    stationId: station.id,
    commodity: 'luxury_goods',
    action: 'buy',
    quantity: 5,
  });
  const sell: () => TradeRequest = () => ({ ...buy(), action: 'sell' });

  it('writes the whole trade once: credits, cargo, stock, prices, treasury, ledger and key', async () => {
    const a = await planned(buy());
    expect(await apply(a)).toBe('ok');
    const [row] = await t.db.query(
      `SELECT (SELECT credits::text FROM players WHERE id = $1) AS credits,
              (SELECT cargo_used FROM ships WHERE id = $2) AS cargo_used,
              (SELECT stock FROM station_markets WHERE station_id = $3 AND commodity = 'luxury_goods') AS stock,
              (SELECT version::int FROM station_markets WHERE station_id = $3 AND commodity = 'luxury_goods')
                AS market_version,
              (SELECT treasury::text FROM stations WHERE id = $3) AS treasury,
              (SELECT credits_after::text FROM market_transactions WHERE id = $4) AS ledger_credits_after,
              (SELECT trade_id FROM trade_idempotency_keys WHERE player_id = $1 AND key = $5) AS key_trade`,
      [a.player, a.ship, a.station, a.tradeId, a.key],
    );
    const creditsAfter = (BigInt(a.creditsBefore) + BigInt(a.creditsDelta)).toString();
    expect(row).toEqual({
      credits: creditsAfter,
      cargo_used: a.cargoUsedBefore + 5,
      stock: a.stockBefore - 5,
      market_version: a.marketVersion + 1,
      treasury: (1_000_000n + BigInt(a.treasuryDelta)).toString(),
      ledger_credits_after: creditsAfter,
      key_trade: a.tradeId,
    });
  });

  it('answers duplicate, writing nothing, when the key is already taken', async () => {
    const first = await planned(buy());
    expect(await apply(first)).toBe('ok');
    const again = await planned(buy(), first.key);
    const before = await economyFingerprint(t);
    expect(await apply({ ...again, tradeId: randomUUID() })).toBe('duplicate');
    expect(await economyFingerprint(t)).toBe(before);
  });

  const staleCases: [string, (a: Awaited<ReturnType<typeof planned>>) => Promise<unknown> | void][] = [
    ['credits changed', (a) => void (a.creditsBefore = (BigInt(a.creditsBefore) + 1n).toString())],
    ['cargo changed', (a) => void (a.cargoUsedBefore += 1)],
    ['held units changed', (a) => void (a.heldBefore += 1)],
    ['stock changed', (a) => void (a.stockBefore -= 1)],
    ['price changed', (a) => void (a.postedPrice += 1)],
    [
      // Regeneration and a trade in between can leave stock and price as they were; the version tells.
      'the market moved and came back',
      (a) =>
        t.db.query(
          `UPDATE station_markets SET version = version + 2 WHERE station_id = $1 AND commodity = $2`,
          [a.station, a.commodity],
        ),
    ],
    ['another ship', (a) => void (a.ship = randomUUID())],
    ['another sector', (a) => void (a.sector += 1000)],
    ['treasury cannot pay', (a) => void (a.treasuryDelta = '-1000000000')],
    [
      'player frozen meanwhile',
      () => t.db.query(`UPDATE players SET status = 'frozen' WHERE id = $1`, [player.playerId]),
    ],
    [
      'market halted meanwhile',
      () => t.db.query(`INSERT INTO market_halts (scope, reason) VALUES ('*', 'test')`),
    ],
  ];

  it.each(staleCases)('answers stale, writing nothing, when %s', async (_label, spoil) => {
    for (const request of [buy(), sell()]) {
      const a = await planned(request);
      await spoil(a);
      const before = await economyFingerprint(t);
      expect(await apply(a)).toBe('stale');
      expect(await economyFingerprint(t)).toBe(before);
      await t.db.query(`UPDATE players SET status = 'active' WHERE id = $1`, [player.playerId]);
      await t.db.query('DELETE FROM market_halts');
    }
  });

  it('takes over an expired key', async () => {
    const first = await planned(buy());
    expect(await apply(first)).toBe('ok');
    await t.db.query(
      `UPDATE trade_idempotency_keys SET expires_at = now() - interval '1 second' WHERE player_id = $1 AND key = $2`,
      [player.playerId, first.key],
    );
    const again = await planned(buy(), first.key);
    expect(await apply(again)).toBe('ok');
    const [row] = await t.db.query(
      `SELECT trade_id FROM trade_idempotency_keys WHERE player_id = $1 AND key = $2`,
      [player.playerId, first.key],
    );
    expect(row.trade_id).toBe(again.tradeId);
  });
});
