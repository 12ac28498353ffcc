import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { startTestApp, type TestApp } from './support/test-app.js';
import { registerPlayer, type Session } from './support/factories.js';
import { createStation, setCargo, type StationFixture } from './support/market-factories.js';

// testTimeout in jest.config.js sits in a project, where Jest ignores it.
jest.setTimeout(120_000);

const PLAYERS = 40;
const TRADES = 400;
const DUPLICATED = 20;
const COMMODITIES = ['luxury_goods', 'exotic_technology'] as const;

/** A small deterministic PRNG (mulberry32) so a failure replays the same workload. */
function rng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Totals {
  credits: bigint;
  units: Record<string, number>;
}

async function totals(t: TestApp): Promise<Totals> {
  const [c] = await t.db.query(
    `SELECT ((SELECT coalesce(sum(credits), 0) FROM players) + (SELECT coalesce(sum(treasury), 0) FROM stations))::text AS credits`,
  );
  const units: Record<string, number> = {};
  for (const commodity of COMMODITIES) {
    const [u] = await t.db.query(
      `SELECT ((SELECT coalesce(sum((cargo ->> $1)::int), 0) FROM ships)
             + (SELECT coalesce(sum(stock), 0) FROM station_markets WHERE commodity = $1))::int AS n`,
      [commodity],
    );
    units[commodity] = u.n;
  }
  return { credits: BigInt(c.credits), units };
}

describe('trading under concurrency', () => {
  let t: TestApp;
  let players: Session[];
  let stations: StationFixture[];

  beforeAll(async () => {
    // No regeneration or snapshots while counting units; no rate limit in the way of the load.
    t = await startTestApp({
      MARKET_REGEN_SECONDS: '0',
      PRICE_SNAPSHOT_SECONDS: '0',
      TRADE_RATE_LIMIT: '100000',
      // Hundreds of requests at once queue for the embedded database's one executor: let them wait.
      DB_CONNECT_TIMEOUT_MS: '120000',
    });
    stations = [];
    for (let i = 0; i < 3; i++) {
      stations.push(
        await createStation(t, {
          // Small treasuries and capacities so the guards (treasury, stock, room) are hit under load too.
          treasury: 20_000 + i * 20_000,
          markets: {
            luxury_goods: { capacity: 600, stock: 300 },
            exotic_technology: { capacity: 300, stock: 150 },
          },
        }),
      );
    }
    players = [];
    for (let i = 0; i < PLAYERS; i++)
      players.push(await registerPlayer(t, `conc_${i}_${randomUUID().slice(0, 6)}`));
    for (const p of players) await setCargo(t, p.playerId!, { luxury_goods: 30, exotic_technology: 10 });
  });
  afterAll(async () => {
    await t.close();
  });

  it('conserves credits and units, never goes negative, and the ledger explains every change', async () => {
    const before = await totals(t);
    const initial = {
      players: await t.db.query(`SELECT id, credits::text AS credits FROM players`),
      ships: await t.db.query(`SELECT id, player_id, cargo FROM ships`),
      markets: await t.db.query(`SELECT station_id, commodity, stock FROM station_markets`),
      stations: await t.db.query(`SELECT id, treasury::text AS treasury FROM stations`),
    };

    const random = rng(2102);
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)];
    type Req = { player: Session; key: string; body: Record<string, unknown> };
    const requests: Req[] = [];
    for (let i = 0; i < TRADES; i++) {
      const action = random() < 0.5 ? 'buy' : 'sell';
      requests.push({
        player: pick(players),
        key: randomUUID(),
        body: {
          station_id: pick(stations).id,
          commodity: pick(COMMODITIES),
          action,
          quantity: 1 + Math.floor(random() * 15),
          ...(action === 'buy' ? { max_unit_price: 100_000 } : { min_unit_price: 0 }),
        },
      });
    }
    // Some requests go out twice at once with the same key: a client retrying over a flaky network.
    const duplicates = requests.slice(0, DUPLICATED).map((r) => ({ ...r }));
    const all = [...requests, ...duplicates].sort(() => random() - 0.5);

    const responses = await Promise.all(
      all.map(async (r) => ({
        r,
        res: await t
          .http()
          .post('/api/v1/trading/trades')
          .set(r.player.auth)
          .set('Idempotency-Key', r.key)
          .send(r.body),
      })),
    );

    const statuses = new Map<number, number>();
    for (const { res } of responses) statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
    // Only successes and business rejections: no 5xx, no lost requests.
    const unexpected = responses.filter(({ res }) => res.status !== 201 && res.status !== 409);
    expect(unexpected.map(({ res }) => `${res.status} ${JSON.stringify(res.body)}`)).toEqual([]);
    const executed = new Set(
      responses.filter(({ res }) => res.status === 201).map(({ res }) => res.body.data.trade_id),
    );
    expect(executed.size).toBeGreaterThan(TRADES / 4);

    // The replayed keys executed once: both copies answered with one trade.
    for (const dup of duplicates) {
      const pair = responses.filter(({ r }) => r.key === dup.key && r.player === dup.player);
      expect(pair).toHaveLength(2);
      // Rejections are not remembered (they write nothing), so one copy may be refused before the other
      // executes; but a key never executes twice, and every success carries the same trade.
      const ok = pair.filter(({ res }) => res.status === 201);
      expect(new Set(ok.map(({ res }) => res.body.data.trade_id)).size).toBeLessThanOrEqual(1);
      const [n] = await t.db.query(
        `SELECT count(*)::int AS n FROM market_transactions WHERE player_id = $1 AND idempotency_key = $2`,
        [dup.player.playerId, dup.key],
      );
      expect(n.n).toBe(ok.length > 0 ? 1 : 0);
    }

    // Conservation: credits (players + treasuries) and units (cargo + stock) are unchanged.
    const after = await totals(t);
    expect(after.credits).toBe(before.credits);
    expect(after.units).toEqual(before.units);

    // Nothing negative, and cargo_used agrees with the holds.
    const [neg] = await t.db.query(
      `SELECT (SELECT count(*) FROM players WHERE credits < 0)::int AS players,
              (SELECT count(*) FROM stations WHERE treasury < 0)::int AS stations,
              (SELECT count(*) FROM station_markets WHERE stock < 0 OR stock > capacity)::int AS markets,
              (SELECT count(*) FROM ships s WHERE cargo_used < 0 OR cargo_used > capacity
                 OR cargo_used <> (SELECT coalesce(sum(value::int), 0) FROM jsonb_each_text(s.cargo))
                 OR EXISTS (SELECT 1 FROM jsonb_each_text(s.cargo) WHERE value::int < 0))::int AS ships`,
    );
    expect(neg).toEqual({ players: 0, stations: 0, markets: 0, ships: 0 });

    // The ledger: one row per executed trade, total = unit price × quantity, and replaying it over the initial
    // state gives the final state of every player, ship, market and station.
    const ledger: Array<{
      id: string;
      player_id: string;
      station_id: string;
      ship_id: string;
      commodity: string;
      action: 'buy' | 'sell';
      quantity: number;
      unit_price: number;
      total: string;
      credits_after: string;
    }> = await t.db.query(
      `SELECT id, player_id, station_id, ship_id, commodity, action, quantity, unit_price, total::text,
              credits_after::text FROM market_transactions`,
    );
    expect(new Set(ledger.map((l) => l.id))).toEqual(executed);
    for (const l of ledger) expect(BigInt(l.total)).toBe(BigInt(l.unit_price) * BigInt(l.quantity));
    // The operators' view of contention counts each committed trade once, whichever attempt committed it.
    const metrics = (await t.http().get('/metrics').expect(200)).text;
    const committed = [...metrics.matchAll(/^trade_attempts_total\{[^}]*outcome="ok"[^}]*\} (\d+)$/gm)];
    expect(committed.reduce((n, m) => n + Number(m[1]), 0)).toBe(ledger.length);

    const credits = new Map<string, bigint>(
      initial.players.map((p: { id: string; credits: string }) => [p.id, BigInt(p.credits)]),
    );
    const treasury = new Map<string, bigint>(
      initial.stations.map((s: { id: string; treasury: string }) => [s.id, BigInt(s.treasury)]),
    );
    const stock = new Map<string, number>(
      initial.markets.map((m: { station_id: string; commodity: string; stock: number }) => [
        `${m.station_id}/${m.commodity}`,
        m.stock,
      ]),
    );
    const cargo = new Map<string, number>();
    for (const s of initial.ships as Array<{ id: string; cargo: Record<string, number> }>)
      for (const c of COMMODITIES) cargo.set(`${s.id}/${c}`, s.cargo[c] ?? 0);
    for (const l of ledger) {
      const sign = l.action === 'buy' ? 1 : -1;
      const total = BigInt(l.total);
      credits.set(l.player_id, credits.get(l.player_id)! - BigInt(sign) * total);
      treasury.set(l.station_id, treasury.get(l.station_id)! + BigInt(sign) * total);
      stock.set(
        `${l.station_id}/${l.commodity}`,
        stock.get(`${l.station_id}/${l.commodity}`)! - sign * l.quantity,
      );
      cargo.set(`${l.ship_id}/${l.commodity}`, cargo.get(`${l.ship_id}/${l.commodity}`)! + sign * l.quantity);
    }
    for (const p of await t.db.query(`SELECT id, credits::text AS credits FROM players`))
      expect([p.id, BigInt(p.credits)]).toEqual([p.id, credits.get(p.id)]);
    for (const s of await t.db.query(`SELECT id, treasury::text AS treasury FROM stations`))
      expect([s.id, BigInt(s.treasury)]).toEqual([s.id, treasury.get(s.id)]);
    for (const m of await t.db.query(`SELECT station_id, commodity, stock FROM station_markets`))
      expect(m.stock).toBe(stock.get(`${m.station_id}/${m.commodity}`));
    for (const s of await t.db.query(`SELECT id, cargo FROM ships`))
      for (const c of COMMODITIES) expect(s.cargo[c] ?? 0).toBe(cargo.get(`${s.id}/${c}`));

    // Each player's credits_after values chain from its starting balance to its final one in some order
    // (the commit order), so every row recorded the balance its own change produced.
    const finalCredits = new Map<string, bigint>(
      (await t.db.query(`SELECT id, credits::text AS credits FROM players`)).map(
        (p: { id: string; credits: string }) => [p.id, BigInt(p.credits)],
      ),
    );
    // Search for that order (depth first; a player has a handful of rows, and equal steps are tried once).
    const chains = (current: bigint, rows: typeof ledger, final: bigint): boolean => {
      if (rows.length === 0) return current === final;
      const tried = new Set<string>();
      for (let i = 0; i < rows.length; i++) {
        const l = rows[i];
        const delta = l.action === 'buy' ? -BigInt(l.total) : BigInt(l.total);
        if (BigInt(l.credits_after) !== current + delta || tried.has(l.credits_after)) continue;
        tried.add(l.credits_after);
        if (chains(current + delta, [...rows.slice(0, i), ...rows.slice(i + 1)], final)) return true;
      }
      return false;
    };
    for (const p of initial.players as Array<{ id: string; credits: string }>) {
      const rows = ledger.filter((l) => l.player_id === p.id);
      expect([p.id, chains(BigInt(p.credits), rows, finalCredits.get(p.id)!)]).toEqual([p.id, true]);
    }

    // Replaying executed keys afterwards returns their first result and changes nothing.
    const done = responses.filter(({ res }) => res.status === 201).slice(0, 10);
    const ledgerBefore = ledger.length;
    for (const { r, res } of done) {
      const again = await t
        .http()
        .post('/api/v1/trading/trades')
        .set(r.player.auth)
        .set('Idempotency-Key', r.key)
        .send(r.body)
        .expect(201);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(again.body.data).toEqual(res.body.data);
    }
    const [count] = await t.db.query('SELECT count(*)::int AS n FROM market_transactions');
    expect(count.n).toBe(ledgerBefore);
  });
});
