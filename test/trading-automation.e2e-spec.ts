import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { CommandBus } from '@nestjs/cqrs';
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
  type StationFixture,
} from './support/market-factories.js';
import { connectSocket, type TestSocket } from './support/socket-client.js';
import { ExecuteTradeCommand } from '../src/modules/trading/commands/execute-trade.command.js';
import { AutomationExecutor } from '../src/modules/trading/automation/automation-executor.service.js';
import { MetricsService } from '../src/infrastructure/metrics/metrics.service.js';

// jest.config's per-project testTimeout is not applied (jest 30); app start-up needs more than 5 s on a busy machine.
jest.setTimeout(60_000);

const RULES = '/api/v1/trading/automation-rules';
const MAX_ACTIVE = 3;

interface Rule {
  rule_id: string;
  status: string;
  trade_id: string | null;
  error: { code: string; detail: string } | null;
  attempts: number;
}

/**
 * Automation rules: a player's standing order, run once by itself when the market reaches its limit. The
 * markets here are small (capacity 1,000) so that one trade of 100 units moves the price by several credits.
 */
describe('automation rules (trading_signal automation_update)', () => {
  let t: TestApp;
  let admin: Session;
  const sockets: TestSocket[] = [];

  const smallMarket = () => createStation(t, { markets: { luxury_goods: { capacity: 1000, stock: 500 } } });
  const trader = async (station: StationFixture) => {
    const p = await registerPlayer(t);
    await placePlayer(t, p.playerId!, station.sector);
    await setCargo(t, p.playerId!, {}, 500);
    return p;
  };
  const create = (s: Session, body: Record<string, unknown>) => t.http().post(RULES).set(s.auth).send(body);
  const buyRule = (station: StationFixture, max: number, quantity = 10) => ({
    station_id: station.id,
    commodity: 'luxury_goods',
    action: 'buy',
    quantity,
    max_unit_price: max,
  });
  const sellRule = (station: StationFixture, min: number, quantity = 10) => ({
    station_id: station.id,
    commodity: 'luxury_goods',
    action: 'sell',
    quantity,
    min_unit_price: min,
  });
  const rule = async (s: Session, id: string): Promise<Rule> =>
    (await t.http().get(`${RULES}/${id}`).set(s.auth).expect(200)).body.data;
  const settled = (s: Session, id: string) =>
    eventually(async () => {
      const r = await rule(s, id);
      return r.status === 'active' ? undefined : r;
    });
  /** Another player moves the market: sells `quantity` luxury goods to it (stock up, prices down). */
  const pushPriceDown = async (station: StationFixture, quantity = 100) => {
    const mover = await trader(station);
    await setCargo(t, mover.playerId!, { luxury_goods: quantity }, Math.max(500, quantity));
    await t
      .http()
      .post('/api/v1/trading/trades')
      .set(mover.auth)
      .set('Idempotency-Key', randomUUID())
      .send({ ...sellRule(station, 0, quantity) })
      .expect(201);
  };
  /** Another player buys `quantity` from it (stock down, prices up). */
  const pushPriceUp = async (station: StationFixture, quantity = 100) => {
    const mover = await trader(station);
    await setCredits(t, mover.playerId!, 1_000_000);
    await t
      .http()
      .post('/api/v1/trading/trades')
      .set(mover.auth)
      .set('Idempotency-Key', randomUUID())
      .send({ ...buyRule(station, 1_000_000, quantity) })
      .expect(201);
  };
  const ledgerOf = (playerId: string) =>
    t.db.query(`SELECT id, idempotency_key, action, quantity FROM market_transactions WHERE player_id = $1`, [
      playerId,
    ]) as Promise<Array<{ id: string; idempotency_key: string; action: string; quantity: number }>>;
  const open = async (s: Session) => {
    const socket = await connectSocket(t.url, '/trading', s.token);
    sockets.push(socket);
    return socket;
  };
  beforeAll(async () => {
    t = await startTestApp({
      MARKET_REGEN_SECONDS: '0',
      PRICE_SNAPSHOT_SECONDS: '0',
      TRADE_RATE_LIMIT: '1000',
      AUTOMATION_MAX_ACTIVE_RULES: String(MAX_ACTIVE),
      // A market found without rules holds its next check this long: no test here passes by waiting a hold
      // out, so a rule created here, a lifted halt and an unfreeze must each end it.
      AUTOMATION_IDLE_HOLD_MS: '60000',
    });
    admin = await loginAs(t, 'admin');
  });
  afterEach(() => {
    while (sockets.length) sockets.pop()!.close();
  });
  afterAll(async () => {
    await t.close();
  });

  it('waits while the price is above the limit, then buys once when another trade brings it down', async () => {
    const station = await smallMarket();
    const p = await trader(station);
    const socket = await open(p);
    const before = await marketRow(t, station.id, 'luxury_goods');
    const res = await create(p, buyRule(station, before.sell_price - 1)).expect(201);
    const created: Rule = res.body.data;
    expect(created).toMatchObject({
      station_id: station.id,
      commodity: 'luxury_goods',
      action: 'buy',
      quantity: 10,
      max_unit_price: before.sell_price - 1,
      status: 'active',
      trade_id: null,
      error: null,
      finished_at: null,
    });
    expect(res.body.data).not.toHaveProperty('min_unit_price');
    const activeSignal = await socket.next(
      'trading_signal',
      (e) => (e.data as { type: string }).type === 'automation_update',
    );
    expect(activeSignal.data).toMatchObject({ rule: { rule_id: created.rule_id, status: 'active' } });

    // Checked at creation: the limit is not met, so nothing trades.
    await new Promise((r) => setTimeout(r, 300));
    expect(await ledgerOf(p.playerId!)).toHaveLength(0);
    expect((await rule(p, created.rule_id)).status).toBe('active');

    await pushPriceDown(station);
    const done = await settled(p, created.rule_id);
    expect(done).toMatchObject({ status: 'executed', error: null, attempts: 1 });
    expect(done.trade_id).toEqual(expect.any(String));

    const [trade, ...more] = await ledgerOf(p.playerId!);
    expect(more).toHaveLength(0);
    expect(trade).toMatchObject({
      id: done.trade_id,
      idempotency_key: `automation:${created.rule_id}`,
      action: 'buy',
      quantity: 10,
    });
    const [{ unit_price: unitPrice }] = await t.db.query(
      `SELECT unit_price FROM market_transactions WHERE id = $1`,
      [done.trade_id],
    );
    expect(unitPrice).toBeLessThanOrEqual(before.sell_price - 1);

    // The player hears of both: the trade itself, and the rule's end with that trade.
    const executed = await socket.next(
      'trading_signal',
      (e) =>
        (e.data as { type: string; rule?: Rule }).type === 'automation_update' &&
        (e.data as { rule: Rule }).rule.status === 'executed',
    );
    expect(executed.data).toMatchObject({
      type: 'automation_update',
      rule: { rule_id: created.rule_id, status: 'executed', trade_id: done.trade_id },
      trade: { trade_id: done.trade_id, quantity: 10, action: 'buy' },
    });
    await socket.next(
      'trading_signal',
      (e) => (e.data as { type: string; trade_id?: string }).trade_id === done.trade_id,
    );
    expect(socket.badSignatures).toBe(0);

    // It ran once: more changes of the market (even a lower price) trade nothing more.
    await pushPriceDown(station);
    await new Promise((r) => setTimeout(r, 300));
    expect(await ledgerOf(p.playerId!)).toHaveLength(1);
    expect((await rule(p, created.rule_id)).attempts).toBe(1);
  });

  it('waits, as active, while the posted price meets its limit but the whole quantity’s price does not; the player is not flagged', async () => {
    const station = await smallMarket();
    const p = await trader(station);
    await setCredits(t, p.playerId!, 1_000_000);
    const m0 = await marketRow(t, station.id, 'luxury_goods');
    // 200 of the 500 units lift the sell price above the posted one, which is the rule's limit.
    const created = await create(p, buyRule(station, m0.sell_price, 200)).expect(201);
    const quote = await t
      .http()
      .post('/api/v1/trading/quote')
      .set(p.auth)
      .send({ ...buyRule(station, m0.sell_price, 200), max_unit_price: undefined })
      .expect(200);
    expect(quote.body.data.unit_price).toBeGreaterThan(m0.sell_price);
    for (let i = 0; i < 3; i++) await pushPriceUp(station, 1); // market changes: each one checks the rule again
    await eventually(async () =>
      (await rule(p, created.body.data.rule_id)).attempts >= 1 ? true : undefined,
    );
    expect(await rule(p, created.body.data.rule_id)).toMatchObject({ status: 'active', trade_id: null });
    expect(await ledgerOf(p.playerId!)).toHaveLength(0);
    const [{ n }] = await t.db.query(
      `SELECT count(*)::int AS n FROM player_risk_events WHERE player_id = $1 AND kind = 'trade_rejected'`,
      [p.playerId],
    );
    expect(n).toBe(0);
    await t.http().delete(`${RULES}/${created.body.data.rule_id}`).set(p.auth).expect(200);
  });

  it('runs at once when the limit is already met, and a sell rule fires when the price rises to it', async () => {
    const station = await smallMarket();
    const p = await trader(station);
    const now = await marketRow(t, station.id, 'luxury_goods');
    const immediate: Rule = (await create(p, buyRule(station, now.sell_price + 50)).expect(201)).body.data;
    expect((await settled(p, immediate.rule_id)).status).toBe('executed');

    const after = await marketRow(t, station.id, 'luxury_goods');
    const sell: Rule = (await create(p, sellRule(station, after.buy_price + 3, 10)).expect(201)).body.data;
    await new Promise((r) => setTimeout(r, 300));
    expect((await rule(p, sell.rule_id)).status).toBe('active');
    await pushPriceUp(station);
    const done = await settled(p, sell.rule_id);
    expect(done.status).toBe('executed');
    const ledger = await ledgerOf(p.playerId!);
    expect(ledger.map((r) => r.action).sort()).toEqual(['buy', 'sell']);
    // The ship sold what the first rule bought.
    const [{ held }] = await t.db.query(
      `SELECT coalesce((cargo ->> 'luxury_goods')::int, 0) AS held FROM ships
       WHERE id = (SELECT active_ship_id FROM players WHERE id = $1)`,
      [p.playerId],
    );
    expect(held).toBe(0);
  });

  it('fires a rule created on a market whose checks are held (no rule was there) at once', async () => {
    const station = await smallMarket();
    await pushPriceUp(station, 10); // checked: no rule, so the next check waits (60 s here)
    const p = await trader(station);
    const now = await marketRow(t, station.id, 'luxury_goods');
    const due: Rule = (await create(p, buyRule(station, now.sell_price + 50)).expect(201)).body.data;
    expect(await settled(p, due.rule_id)).toMatchObject({ status: 'executed', attempts: 1 });
    expect(await ledgerOf(p.playerId!)).toHaveLength(1);
  });

  it('fails, with the trade’s code, when the player cannot do it; the player is told and nothing is written', async () => {
    const station = await smallMarket();
    const away = await trader(station);
    const poor = await trader(station);
    const socket = await open(away);
    const now = await marketRow(t, station.id, 'luxury_goods');
    const r1: Rule = (await create(away, buyRule(station, now.sell_price - 1)).expect(201)).body.data;
    const r2: Rule = (await create(poor, buyRule(station, now.sell_price - 1)).expect(201)).body.data;
    await placePlayer(t, away.playerId!, station.sector + 1);
    await setCredits(t, poor.playerId!, 5);

    await pushPriceDown(station);
    const failed1 = await settled(away, r1.rule_id);
    const failed2 = await settled(poor, r2.rule_id);
    expect(failed1).toMatchObject({
      status: 'failed',
      trade_id: null,
      error: { code: 'TRADING.NOT_IN_SECTOR' },
    });
    expect(failed2).toMatchObject({ status: 'failed', error: { code: 'TRADING.INSUFFICIENT_CREDITS' } });
    expect(failed1.error!.detail).toMatch(/sector/);
    expect(await ledgerOf(away.playerId!)).toHaveLength(0);
    expect(await ledgerOf(poor.playerId!)).toHaveLength(0);
    const [{ credits }] = await t.db.query(`SELECT credits::int FROM players WHERE id = $1`, [poor.playerId]);
    expect(credits).toBe(5);

    const update = await socket.next(
      'trading_signal',
      (e) => (e.data as { rule?: Rule }).rule?.status === 'failed',
    );
    expect(update.data).toMatchObject({
      type: 'automation_update',
      rule: { rule_id: r1.rule_id, error: { code: 'TRADING.NOT_IN_SECTOR' } },
    });
    expect(update.data).not.toHaveProperty('trade');
    // A failed rule is finished: nothing fires it again.
    await placePlayer(t, away.playerId!, station.sector);
    await pushPriceDown(station);
    await new Promise((r) => setTimeout(r, 300));
    expect(await ledgerOf(away.playerId!)).toHaveLength(0);
  });

  it('waits, without failing, through a halt and while the player is frozen', async () => {
    const station = await smallMarket();
    const p = await trader(station);
    const now = await marketRow(t, station.id, 'luxury_goods');
    const r: Rule = (await create(p, buyRule(station, now.sell_price - 1)).expect(201)).body.data;

    await setStatus(t, p.playerId!, 'frozen');
    await pushPriceDown(station);
    await new Promise((r2) => setTimeout(r2, 300));
    expect(await rule(p, r.rule_id)).toMatchObject({ status: 'active', attempts: 0 });

    await setStatus(t, p.playerId!, 'active');
    await t
      .http()
      .post('/api/v1/admin/market/halt')
      .set(admin.auth)
      .send({ commodity: 'luxury_goods', reason: 'automation test halt' })
      .expect(200);
    try {
      await pushPriceDown(station, 1).catch(() => undefined); // refused (423): the market is halted
      await new Promise((r2) => setTimeout(r2, 300));
      expect(await rule(p, r.rule_id)).toMatchObject({ status: 'active', attempts: 0 });
    } finally {
      await t
        .http()
        .post('/api/v1/admin/market/resume')
        .set(admin.auth)
        .send({ commodity: 'luxury_goods', reason: 'automation test over' })
        .expect(200);
    }
    // Lifting the halt checks the markets whose rules waited: this one fires without another trade.
    expect((await settled(p, r.rule_id)).status).toBe('executed');
  });

  it('fires a rule that waited on a frozen player as soon as an admin unfreezes it, without another trade', async () => {
    const station = await smallMarket();
    const p = await trader(station);
    const socket = await open(p);
    const now = await marketRow(t, station.id, 'luxury_goods');
    const r: Rule = (await create(p, buyRule(station, now.sell_price - 1)).expect(201)).body.data;
    const setStatusAsAdmin = async (status: string) => {
      const [{ version }] = await t.db.query('SELECT version FROM players WHERE id = $1', [p.playerId]);
      await t
        .http()
        .put(`/api/v1/admin/players/${p.playerId}/comprehensive`)
        .set(admin.auth)
        .send({ reason: `automation test: ${status}`, version, status })
        .expect(200);
    };

    await setStatusAsAdmin('frozen');
    await pushPriceDown(station); // the market reaches the limit while the player cannot trade
    await new Promise((r2) => setTimeout(r2, 300));
    expect(await rule(p, r.rule_id)).toMatchObject({ status: 'active', attempts: 0 });
    const ledgerBefore = await t.db.query('SELECT count(*)::int AS n FROM market_transactions');

    await setStatusAsAdmin('active');
    const done = await settled(p, r.rule_id);
    expect(done).toMatchObject({ status: 'executed', attempts: 1 });
    // The one new ledger row is the rule's own trade: nothing else moved the market.
    const ledgerAfter = await t.db.query('SELECT count(*)::int AS n FROM market_transactions');
    expect(ledgerAfter[0].n).toBe(ledgerBefore[0].n + 1);
    expect(await ledgerOf(p.playerId!)).toEqual([
      expect.objectContaining({ id: done.trade_id, idempotency_key: `automation:${r.rule_id}` }),
    ]);
    const signal = await socket.next(
      'trading_signal',
      (e) =>
        (e.data as { type: string }).type === 'automation_update' &&
        (e.data as { rule: Rule }).rule.status === 'executed',
    );
    expect(signal.data).toMatchObject({ rule: { rule_id: r.rule_id, trade_id: done.trade_id } });
  });

  it('cancels an active rule once; a cancelled rule never fires', async () => {
    const station = await smallMarket();
    const p = await trader(station);
    const socket = await open(p);
    const now = await marketRow(t, station.id, 'luxury_goods');
    const r: Rule = (await create(p, buyRule(station, now.sell_price - 1)).expect(201)).body.data;
    const cancelled = await t.http().delete(`${RULES}/${r.rule_id}`).set(p.auth).expect(200);
    expect(cancelled.body.data).toMatchObject({ status: 'cancelled', finished_at: expect.any(String) });
    await socket.next('trading_signal', (e) => (e.data as { rule?: Rule }).rule?.status === 'cancelled');
    expectErrorBody(
      (await t.http().delete(`${RULES}/${r.rule_id}`).set(p.auth).expect(409)).body,
      'AUTOMATION.RULE_NOT_ACTIVE',
    );
    await pushPriceDown(station);
    await new Promise((r2) => setTimeout(r2, 300));
    expect(await ledgerOf(p.playerId!)).toHaveLength(0);
    expect((await rule(p, r.rule_id)).status).toBe('cancelled');
  });

  it('keeps rules private: another player gets 404 for them and lists only its own', async () => {
    const station = await smallMarket();
    const owner = await trader(station);
    const other = await trader(station);
    const now = await marketRow(t, station.id, 'luxury_goods');
    const r: Rule = (await create(owner, buyRule(station, now.sell_price - 1)).expect(201)).body.data;
    expectErrorBody(
      (await t.http().get(`${RULES}/${r.rule_id}`).set(other.auth).expect(404)).body,
      'AUTOMATION.RULE_NOT_FOUND',
    );
    expectErrorBody(
      (await t.http().delete(`${RULES}/${r.rule_id}`).set(other.auth).expect(404)).body,
      'AUTOMATION.RULE_NOT_FOUND',
    );
    expect((await rule(owner, r.rule_id)).status).toBe('active');
    const theirs = await t.http().get(RULES).set(other.auth).expect(200);
    expect(theirs.body.data).toMatchObject({ rules: [], total_count: 0, page: 1 });
    const mine = await t.http().get(`${RULES}?status=active&limit=5`).set(owner.auth).expect(200);
    expect(mine.body.data.rules.map((x: Rule) => x.rule_id)).toEqual([r.rule_id]);
    expect(
      (await t.http().get(`${RULES}?status=executed`).set(owner.auth).expect(200)).body.data.total_count,
    ).toBe(0);
    // An admin has no rules of its own, and no route here reads a player's.
    expectErrorBody((await t.http().get(RULES).set(admin.auth).expect(403)).body, 'TRADING.PLAYERS_ONLY');
    for (const res of [
      await t.http().get(RULES),
      await t.http().get(`${RULES}/${r.rule_id}`),
      await create({ auth: {} } as unknown as Session, buyRule(station, 1)),
      await t.http().delete(`${RULES}/${r.rule_id}`),
    ]) {
      expect(res.status).toBe(401);
      expectErrorBody(res.body, 'AUTH.UNAUTHORIZED');
    }
    expect((await rule(owner, r.rule_id)).status).toBe('active');
  });

  it('pages by next_cursor: a rule leaving the filter meanwhile makes no other rule skip a page', async () => {
    const station = await smallMarket();
    const owner = await trader(station);
    const ids: string[] = [];
    for (let i = 0; i < MAX_ACTIVE; i++)
      ids.push((await create(owner, buyRule(station, 1)).expect(201)).body.data.rule_id);
    const list = async (query: Record<string, unknown>) =>
      (
        await t
          .http()
          .get(RULES)
          .query({ status: 'active', limit: 2, ...query })
          .set(owner.auth)
          .expect(200)
      ).body.data;
    const first = await list({});
    expect(first.rules.map((x: Rule) => x.rule_id)).toEqual([ids[2], ids[1]]);
    await t.http().delete(`${RULES}/${ids[2]}`).set(owner.auth).expect(200); // leaves status=active
    // By page, the second page has lost a rule the client has not seen.
    expect((await list({ page: 2 })).rules).toEqual([]);
    const second = await list({ cursor: first.next_cursor });
    expect(second.rules.map((x: Rule) => x.rule_id)).toEqual([ids[0]]);
    expect(second.next_cursor).toBeNull();
    const bad = await t.http().get(RULES).query({ cursor: 'x' }).set(owner.auth).expect(400);
    expectErrorBody(bad.body, 'VALIDATION_FAILED');
    expect(bad.body.fields).toHaveProperty('cursor');
  });

  it('refuses bad rules with a clear code and writes nothing', async () => {
    const station = await smallMarket();
    const p = await trader(station);
    const count = async () =>
      (await t.db.query(`SELECT count(*)::int AS n FROM automation_rules`))[0].n as number;
    const before = await count();
    const cases: Array<[Session, Record<string, unknown>, number, string]> = [
      [p, { ...buyRule(station, 100), max_unit_price: undefined }, 400, 'VALIDATION_FAILED'],
      [p, { ...buyRule(station, 100), min_unit_price: 5 }, 400, 'VALIDATION_FAILED'],
      [p, { ...buyRule(station, 100), quantity: 0 }, 400, 'VALIDATION_FAILED'],
      [p, { ...buyRule(station, 100), quantity: 10_001 }, 400, 'VALIDATION_FAILED'],
      [p, { ...buyRule(station, 100), commodity: 'spice' }, 400, 'VALIDATION_FAILED'],
      [p, { ...buyRule(station, 100), player_id: randomUUID() }, 400, 'VALIDATION_FAILED'],
      [p, { ...buyRule(station, 100), station_id: randomUUID() }, 404, 'TRADING.STATION_NOT_FOUND'],
      [p, { ...buyRule(station, 100), commodity: 'ore' }, 409, 'TRADING.NOT_TRADED'],
      [admin, buyRule(station, 100), 403, 'TRADING.PLAYERS_ONLY'],
    ];
    for (const [who, body, status, code] of cases) {
      const res = await create(who, body);
      expect({ body, status: res.status }).toEqual({ body, status });
      expectErrorBody(res.body, code);
    }
    await setStatus(t, p.playerId!, 'frozen');
    expectErrorBody((await create(p, buyRule(station, 100)).expect(403)).body, 'TRADING.PLAYER_NOT_ACTIVE');
    await setStatus(t, p.playerId!, 'active');
    expectErrorBody(
      (await t.http().get(`${RULES}/not-a-uuid`).set(p.auth).expect(400)).body,
      'VALIDATION_FAILED',
    );
    expect(await count()).toBe(before);

    // The cap on active rules: concurrent requests cannot pass it together.
    const results = await Promise.all(
      Array.from({ length: MAX_ACTIVE + 3 }, () => create(p, buyRule(station, 1))),
    );
    expect(results.filter((r) => r.status === 201)).toHaveLength(MAX_ACTIVE);
    for (const r of results.filter((x) => x.status !== 201)) {
      expect(r.status).toBe(409);
      expectErrorBody(r.body, 'AUTOMATION.RULE_LIMIT');
      expect(r.body.limit).toBe(MAX_ACTIVE);
    }
    // Cancelling one makes room for another.
    const first = results.find((r) => r.status === 201)!.body.data as Rule;
    await t.http().delete(`${RULES}/${first.rule_id}`).set(p.auth).expect(200);
    await create(p, buyRule(station, 1)).expect(201);
  });

  it('reserves the automation: key prefix: a player’s trade with such a key is a 400 that writes nothing', async () => {
    const station = await smallMarket();
    const p = await trader(station);
    const before = await economyFingerprint(t);
    const res = await t
      .http()
      .post('/api/v1/trading/trades')
      .set(p.auth)
      .set('Idempotency-Key', `automation:${randomUUID()}`)
      .send(buyRule(station, 1000, 1))
      .expect(400);
    expectErrorBody(res.body, 'TRADING.IDEMPOTENCY_KEY_RESERVED');
    const socket = await open(p);
    const ack = (await socket.request('trading_command', {
      ...buyRule(station, 1000, 1),
      idempotency_key: `Automation:${randomUUID()}`,
    })) as unknown as { success: boolean; error: { code: string } };
    expect(ack).toMatchObject({ success: false, error: { code: 'TRADING.IDEMPOTENCY_KEY_RESERVED' } });
    expect(await economyFingerprint(t)).toBe(before);
  });

  it('fires each of many due rules exactly once, even with checks racing, and conserves the economy', async () => {
    const station = await createStation(t, {
      treasury: 10_000_000,
      markets: { luxury_goods: { capacity: 100_000, stock: 50_000 } },
    });
    const players = await Promise.all(Array.from({ length: 8 }, () => trader(station)));
    const now = await marketRow(t, station.id, 'luxury_goods');
    const ids: Array<[Session, string]> = [];
    // Not yet due: the limit is one credit under today's price.
    for (const p of players) {
      for (const quantity of [3, 4]) {
        const r: Rule = (await create(p, buyRule(station, now.sell_price - 1, quantity)).expect(201)).body
          .data;
        ids.push([p, r.rule_id]);
      }
    }
    const totals = async () => {
      const [row] = await t.db.query(
        `SELECT (SELECT sum(credits) FROM players)::text AS credits, (SELECT sum(treasury) FROM stations)::text AS treasury,
                (SELECT sum(stock) FROM station_markets WHERE commodity = 'luxury_goods')::int AS stock,
                (SELECT sum(coalesce((cargo ->> 'luxury_goods')::int, 0)) FROM ships)::int AS cargo`,
      );
      return { wealth: BigInt(row.credits) + BigInt(row.treasury), units: row.stock + row.cargo };
    };
    const mover = await trader(station);
    await setCargo(t, mover.playerId!, { luxury_goods: 10_000 }, 10_000);
    const before = await totals();
    // The mover's big sale makes them all due at once (16 small buys cannot lift the price back over the
    // limit); four more checks of the market race the executor's own.
    await t
      .http()
      .post('/api/v1/trading/trades')
      .set(mover.auth)
      .set('Idempotency-Key', randomUUID())
      .send(sellRule(station, 0, 10_000))
      .expect(201);
    const executor = t.app.get(AutomationExecutor);
    const fireDue = (
      executor as unknown as { fireDue: (s: string, c: string) => Promise<boolean> }
    ).fireDue.bind(executor);
    await Promise.all([1, 2, 3, 4].map(() => fireDue(station.id, 'luxury_goods')));
    for (const [p, id] of ids) {
      const r = await eventually(async () => {
        const x = await rule(p, id);
        return x.status === 'active' ? undefined : x;
      });
      expect(r).toMatchObject({ status: 'executed', attempts: 1 });
    }
    const keys = await t.db.query(
      `SELECT idempotency_key, count(*)::int AS n FROM market_transactions
       WHERE idempotency_key LIKE 'automation:%' AND station_id = $1 GROUP BY 1`,
      [station.id],
    );
    expect(keys).toHaveLength(ids.length);
    expect(keys.every((k: { n: number }) => k.n === 1)).toBe(true);
    expect(await totals()).toEqual(before);
  });

  it('settles a claim whose executor died: executed if its trade committed, active again if not', async () => {
    const station = await smallMarket();
    const p = await trader(station);
    const now = await marketRow(t, station.id, 'luxury_goods');
    const traded: Rule = (await create(p, buyRule(station, now.sell_price - 1)).expect(201)).body.data;
    const untouched: Rule = (await create(p, buyRule(station, now.sell_price - 1)).expect(201)).body.data;
    // An executor claimed both, committed the first one's trade, and died before writing either outcome.
    await t.db.query(
      `UPDATE automation_rules SET claimed_at = now() - interval '3 minutes', claimed_until = now() - interval '1 minute',
              attempts = 1
       WHERE id = ANY($1::uuid[])`,
      [[traded.rule_id, untouched.rule_id]],
    );
    const result = await t.app.get(CommandBus).execute(
      new ExecuteTradeCommand(
        {
          userId: p.userId,
          username: p.username,
          role: 'player',
          playerId: p.playerId,
          requestId: 'r',
          ip: 'test',
        },
        {
          stationId: station.id,
          commodity: 'luxury_goods',
          action: 'buy',
          quantity: 10,
          limitPrice: 100_000,
        },
        `automation:${traded.rule_id}`,
        true,
      ),
    );
    // The claims have expired: a cancel settles the rule first, so one that traded reads executed, never cancelled.
    const cancel = await t.http().delete(`${RULES}/${traded.rule_id}`).set(p.auth).expect(409);
    expectErrorBody(cancel.body, 'AUTOMATION.RULE_NOT_ACTIVE');
    expect(await rule(p, traded.rule_id)).toMatchObject({
      status: 'executed',
      trade_id: result.trade.trade_id,
    });

    expect(await t.app.get(AutomationExecutor).settleAbandoned()).toBe(1);
    const [row] = await t.db.query(`SELECT status, claimed_at FROM automation_rules WHERE id = $1`, [
      untouched.rule_id,
    ]);
    expect(row).toEqual({ status: 'active', claimed_at: null });
    expect(await ledgerOf(p.playerId!)).toHaveLength(1);

    // A live claim (its executor still trading) makes a cancel wait: 409 AUTOMATION.RULE_BUSY.
    await t.db.query(
      `UPDATE automation_rules SET claimed_at = now(), claimed_until = now() + interval '1 minute' WHERE id = $1`,
      [untouched.rule_id],
    );
    const busy = await t.http().delete(`${RULES}/${untouched.rule_id}`).set(p.auth).expect(409);
    expectErrorBody(busy.body, 'AUTOMATION.RULE_BUSY');
    expect(busy.body.retry_after_seconds).toBe(1); // a trade running now ends within a second or two

    // A claim held for a minute already (its executor died mid-trade) stands until it expires: the answer says
    // how long, not "a second" again and again.
    await t.db.query(
      `UPDATE automation_rules SET claimed_at = now() - interval '1 minute', claimed_until = now() + interval '30 seconds'
       WHERE id = $1`,
      [untouched.rule_id],
    );
    const stuck = await t.http().delete(`${RULES}/${untouched.rule_id}`).set(p.auth).expect(409);
    expectErrorBody(stuck.body, 'AUTOMATION.RULE_BUSY');
    expect(stuck.body.retry_after_seconds).toBeGreaterThanOrEqual(25);
    expect(stuck.body.retry_after_seconds).toBeLessThanOrEqual(31);
  });
});

describe('automation checks of a market without rules (AUTOMATION_IDLE_HOLD_MS)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({
      MARKET_REGEN_SECONDS: '0',
      PRICE_SNAPSHOT_SECONDS: '0',
      TRADE_RATE_LIMIT: '1000',
      AUTOMATION_IDLE_HOLD_MS: '5000',
    });
  });
  afterAll(async () => {
    await t.close();
  });
  const buyer = async (station: StationFixture) => {
    const p = await registerPlayer(t);
    await placePlayer(t, p.playerId!, station.sector);
    await setCargo(t, p.playerId!, {}, 500);
    await setCredits(t, p.playerId!, 1_000_000);
    return () =>
      t
        .http()
        .post('/api/v1/trading/trades')
        .set(p.auth)
        .set('Idempotency-Key', randomUUID())
        .send({
          station_id: station.id,
          commodity: 'luxury_goods',
          action: 'buy',
          quantity: 5,
          max_unit_price: 1_000_000,
        })
        .expect(201);
  };
  const market = () => createStation(t, { markets: { luxury_goods: { capacity: 1000, stock: 500 } } });

  // First in this app: nothing else has checked a market yet.
  it('checks a market without rules once per hold, not once per trade', async () => {
    const metrics = t.app.get(MetricsService);
    const checks = async (result: string) =>
      (await metrics.automationChecks.get()).values.find((v) => v.labels.result === result)?.value ?? 0;
    const buy = await buyer(await market());
    for (let i = 0; i < 4; i++) await buy();
    // The first trade's check found no rule; the three after it fell into its hold, and get one check at its end.
    await eventually(async () => ((await checks('no_rules')) === 1 ? true : undefined));
    expect(await checks('claimed')).toBe(0);
    expect(await checks('none_due')).toBe(0);
    await eventually(async () => ((await checks('no_rules')) === 2 ? true : undefined));
    expect(await checks('no_rules')).toBe(2);
  });

  it('finds a rule another node wrote, at the end of the hold, after a change this node saw meanwhile', async () => {
    const station = await market();
    const buy = await buyer(station);
    const owner = await registerPlayer(t);
    await placePlayer(t, owner.playerId!, station.sector);
    await setCargo(t, owner.playerId!, {}, 500);
    await buy(); // checked: no rule here, so the market's next check waits for the hold's end
    // Another node creates a rule (already due): this node hears nothing of it.
    const [{ id }] = await t.db.query(
      `INSERT INTO automation_rules (player_id, station_id, commodity, action, quantity, limit_price, status)
       VALUES ($1, $2, 'luxury_goods', 'buy', 10, 1000000, 'active') RETURNING id`,
      [owner.playerId, station.id],
    );
    await buy(); // a change inside the hold: it is checked when the hold ends
    const done = await eventually(async () => {
      const [r] = await t.db.query(`SELECT status, attempts FROM automation_rules WHERE id = $1`, [id]);
      return r.status === 'active' ? undefined : r;
    });
    expect(done).toEqual({ status: 'executed', attempts: 1 });
  });
});
