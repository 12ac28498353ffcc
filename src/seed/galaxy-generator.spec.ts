import { describe, expect, it } from '@jest/globals';
import { STATION_CLASSES } from '../modules/trading/domain/commodities.js';
import { priceFor } from '../modules/trading/domain/pricing.js';
import { SHIP_CAPACITY } from '../modules/players/domain/starting-kit.js';
import {
  generateGalaxy,
  generatePlayer,
  generatePlayers,
  Rng,
  type PlayerContext,
} from './galaxy-generator.js';

const NOW = new Date('2026-11-01T12:00:00.000Z');
const DAY = 86_400_000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('Rng', () => {
  it('is deterministic per (seed, stream) and stays in [0, 1)', () => {
    const a = new Rng(42, 7);
    const b = new Rng(42, 7);
    for (let i = 0; i < 1000; i++) {
      const x = a.float();
      expect(x).toBe(b.float());
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThan(1);
    }
    expect(new Rng(42, 8).float()).not.toBe(new Rng(42, 7).float());
    expect(new Rng(43, 7).float()).not.toBe(new Rng(42, 7).float());
  });

  it('draws uuids that do not collide across many streams (a 32-bit state would, by the birthday bound)', () => {
    const ids = new Set<string>();
    for (let i = 0; i < 300_000; i++) ids.add(new Rng(2102, i).uuid());
    expect(ids.size).toBe(300_000);
  });
});

describe('generateGalaxy', () => {
  const galaxy = generateGalaxy({ seed: 7, sectors: 500, now: NOW });

  it('is deterministic for a seed and differs across seeds', () => {
    expect(generateGalaxy({ seed: 7, sectors: 500, now: NOW })).toEqual(galaxy);
    expect(generateGalaxy({ seed: 8, sectors: 500, now: NOW }).stations[1]).not.toEqual(galaxy.stations[1]);
  });

  it('builds sectors 1..S with symmetric warps that connect every sector', () => {
    expect(galaxy.sectors.map((s) => s.id)).toEqual(Array.from({ length: 500 }, (_, i) => i + 1));
    expect(galaxy.sectors[0]!.name).toBe('Sol');
    const byId = new Map(galaxy.sectors.map((s) => [s.id, s]));
    for (const s of galaxy.sectors) {
      expect(s.warps.length).toBeGreaterThan(0);
      expect(s.warps).not.toContain(s.id);
      for (const w of s.warps) expect(byId.get(w)!.warps).toContain(s.id);
    }
    const seen = new Set([1]);
    const queue = [1];
    while (queue.length)
      for (const w of byId.get(queue.shift()!)!.warps) if (!seen.has(w) && seen.add(w)) queue.push(w);
    expect(seen.size).toBe(500);
  });

  it('defaults to ~30% stations, one team per 25 sectors, a station in Sol', () => {
    expect(galaxy.stations).toHaveLength(150);
    expect(galaxy.teams).toHaveLength(20);
    expect(galaxy.stations[0]!.sectorId).toBe(1);
    expect(new Set(galaxy.teams.map((t) => t.name)).size).toBe(20);
    expect(new Set(galaxy.stations.map((s) => s.class)).size).toBeGreaterThan(8);
    for (const s of galaxy.stations) {
      expect(s.id).toMatch(UUID);
      expect(s.treasury).toBeGreaterThan(0);
    }
  });

  it('gives each station a market for exactly the commodities its class trades, priced by the rule', () => {
    for (const station of galaxy.stations) {
      const rule = STATION_CLASSES[station.class]!;
      const expected = new Set([...rule.buys, ...rule.sells]);
      const markets = galaxy.markets.filter((m) => m.stationId === station.id);
      expect(new Set(markets.map((m) => m.commodity))).toEqual(expected);
      expect(markets).toHaveLength(expected.size);
      for (const m of markets) {
        expect(m.buys).toBe(rule.buys.includes(m.commodity));
        expect(m.sells).toBe(rule.sells.includes(m.commodity));
        expect(m.capacity).toBeGreaterThan(0);
        expect(m.stock).toBeGreaterThanOrEqual(0);
        expect(m.stock).toBeLessThanOrEqual(m.capacity);
        const ratio = m.stock / m.capacity;
        if (m.sells && !m.buys) expect(ratio).toBeGreaterThanOrEqual(0.7);
        if (m.buys && !m.sells) expect(ratio).toBeLessThanOrEqual(0.3);
        expect({ buyPrice: m.buyPrice, sellPrice: m.sellPrice }).toEqual(
          priceFor(m.commodity, station.class, m.stock, m.capacity),
        );
        expect(m.buyPrice).toBeLessThanOrEqual(m.sellPrice);
        if (m.sells && !m.buys) expect(m.productionRate).toBeGreaterThan(0);
        if (m.buys && !m.sells) expect(m.productionRate).toBeLessThan(0);
      }
    }
  });
});

describe('generatePlayer', () => {
  const galaxy = generateGalaxy({ seed: 1, sectors: 200, now: NOW });
  const ctx: PlayerContext = { seed: 1, sectorCount: 200, teamIds: galaxy.teams.map((t) => t.id), now: NOW };
  const N = 20_000;
  const all = [...generatePlayers(ctx, 0, N)];
  const players = all.map((g) => g.player);
  const share = (pred: (p: (typeof players)[number]) => boolean) => players.filter(pred).length / N;

  it('is deterministic per (seed, index) and independent of chunking', () => {
    expect(generatePlayer(ctx, 123)).toEqual(all[123]);
    expect([...generatePlayers(ctx, 100, 5)]).toEqual(all.slice(100, 105));
    expect(generatePlayer({ ...ctx, seed: 2 }, 123).player.id).not.toBe(all[123]!.player.id);
  });

  it('makes usernames, emails and ids unique (case-insensitively), also across seeds', () => {
    expect(new Set(players.map((p) => p.username.toLowerCase())).size).toBe(N);
    expect(new Set(players.map((p) => p.email.toLowerCase())).size).toBe(N);
    expect(new Set(all.flatMap((g) => [g.player.id, g.ship.id])).size).toBe(2 * N);
    const other = generatePlayer({ ...ctx, seed: 99 }, N);
    expect(players.map((p) => p.username.toLowerCase())).not.toContain(other.player.username.toLowerCase());
    for (const p of players.slice(0, 200)) {
      expect(p.id).toMatch(UUID);
      expect(p.username).toMatch(/^[A-Za-z0-9_.-]{3,32}$/);
    }
  });

  it('spreads statuses ~94/3/2/1 with a ban_until only for the banned', () => {
    expect(share((p) => p.status === 'active')).toBeCloseTo(0.94, 1);
    expect(share((p) => p.status === 'frozen')).toBeGreaterThan(0.02);
    expect(share((p) => p.status === 'frozen')).toBeLessThan(0.04);
    expect(share((p) => p.status === 'banned')).toBeGreaterThan(0.013);
    expect(share((p) => p.status === 'banned')).toBeLessThan(0.027);
    expect(share((p) => p.status === 'suspended')).toBeGreaterThan(0.005);
    expect(share((p) => p.status === 'suspended')).toBeLessThan(0.015);
    for (const p of players) {
      if (p.status === 'banned') expect(Date.parse(p.banUntil!)).toBeGreaterThan(NOW.getTime());
      else expect(p.banUntil).toBeNull();
    }
  });

  it('spreads credits log-normally around 10,000 with a long tail', () => {
    const credits = players.map((p) => p.credits).sort((a, b) => a - b);
    const median = credits[Math.floor(N / 2)]!;
    expect(median).toBeGreaterThan(7_000);
    expect(median).toBeLessThan(13_000);
    expect(credits[Math.floor(N * 0.99)]!).toBeGreaterThan(80_000);
    expect(credits[0]).toBeGreaterThanOrEqual(0);
    expect(credits.every(Number.isInteger)).toBe(true);
  });

  it('puts ~40% in a team, ~10% never logged in, and logins skewed recent within 90 days', () => {
    expect(share((p) => p.teamId !== null)).toBeCloseTo(0.4, 1);
    expect(share((p) => p.lastLogin === null)).toBeCloseTo(0.1, 1);
    const logins = players.filter((p) => p.lastLogin !== null).map((p) => Date.parse(p.lastLogin!));
    expect(logins.every((t) => t <= NOW.getTime() && t >= NOW.getTime() - 90 * DAY)).toBe(true);
    const lastWeek = logins.filter((t) => t > NOW.getTime() - 7 * DAY).length / logins.length;
    expect(lastWeek).toBeGreaterThan(0.3); // uniform over 90 days would be 0.08
  });

  it('creates players within a year and before their last login', () => {
    for (const p of players) {
      const created = Date.parse(p.createdAt);
      expect(created).toBeGreaterThanOrEqual(NOW.getTime() - 366 * DAY);
      expect(created).toBeLessThan(p.lastLogin ? Date.parse(p.lastLogin) : NOW.getTime());
    }
  });

  it('keeps scores in range and skewed low, trust in [0, 1], sectors in the galaxy', () => {
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean(players.map((p) => p.riskScore))).toBeLessThan(25);
    expect(mean(players.map((p) => p.activityScore))).toBeLessThan(35);
    for (const p of players) {
      expect(p.riskScore).toBeGreaterThanOrEqual(0);
      expect(p.riskScore).toBeLessThanOrEqual(100);
      expect(p.activityScore).toBeGreaterThanOrEqual(0);
      expect(p.activityScore).toBeLessThanOrEqual(100);
      expect(p.ariaTrustLevel).toBeGreaterThanOrEqual(0);
      expect(p.ariaTrustLevel).toBeLessThanOrEqual(1);
      expect(p.currentSector).toBeGreaterThanOrEqual(1);
      expect(p.currentSector).toBeLessThanOrEqual(200);
      expect(p.homeSector).toBeLessThanOrEqual(200);
      expect(p.turns).toBeGreaterThanOrEqual(0);
      expect(p.turns).toBeLessThanOrEqual(1000);
    }
    const highRisk = share((p) => p.riskScore >= 70);
    expect(highRisk).toBeGreaterThan(0.01);
    expect(highRisk).toBeLessThan(0.15);
  });

  it('gives every player one active ship of a known type, cargo within capacity, in its sector', () => {
    for (const { player, ship } of all) {
      expect(player.activeShipId).toBe(ship.id);
      expect(ship.playerId).toBe(player.id);
      expect(ship.sectorId).toBe(player.currentSector);
      expect(ship.capacity).toBe(SHIP_CAPACITY[ship.type]);
      const used = Object.values(ship.cargo).reduce((a, b) => a + b!, 0);
      expect(ship.cargoUsed).toBe(used);
      expect(used).toBeLessThanOrEqual(ship.capacity);
    }
    const owners = all.filter((g) => g.planet).length / N;
    expect(owners).toBeGreaterThan(0.005);
    expect(owners).toBeLessThan(0.02);
  });
});
