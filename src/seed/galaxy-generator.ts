import { COMMODITY_NAMES, STATION_CLASSES, type Commodity } from '../modules/trading/domain/commodities.js';
import { priceFor } from '../modules/trading/domain/pricing.js';
import type { PlayerStatus } from '../modules/players/domain/player-status.js';
import { SHIP_CAPACITY, STARTING_TURNS, type ShipType } from '../modules/players/domain/starting-kit.js';

/**
 * Pure, deterministic generation of a galaxy and its players: the same seed (and the same `now`) gives the
 * same rows, byte for byte. No database here; the seeder loads what this produces.
 */

// ---------------------------------------------------------------------------------------------------------
// Random numbers
// ---------------------------------------------------------------------------------------------------------

/**
 * sfc32 (Chris Doty-Humphrey's small fast counting PRNG): 128 bits of state, so the streams of a million
 * players never coincide (a 32-bit generator such as mulberry32 gives colliding streams, hence colliding
 * ids, after ~100,000 seeds by the birthday bound).
 */
export function sfc32(a: number, b: number, c: number, d: number): () => number {
  return () => {
    a >>>= 0;
    b >>>= 0;
    c >>>= 0;
    d >>>= 0;
    let t = (a + b) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    d = (d + 1) | 0;
    t = (t + d) | 0;
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
}

/** Stream numbers of the galaxy itself; players use their index (0, 1, 2, ...) as their stream. */
const GALAXY_STREAM = -1;

export class Rng {
  private readonly next: () => number;
  /** One independent stream per (seed, stream): distinct pairs start from distinct 128-bit states. */
  constructor(seed: number, stream = 0) {
    const lo = stream >>> 0;
    const hi = Math.floor(stream / 4294967296) >>> 0;
    this.next = sfc32(seed >>> 0, lo, hi ^ 0x9e3779b9, 0x2102);
    for (let i = 0; i < 15; i++) this.next(); // let the state mix before the first draw
  }
  float(): number {
    return this.next();
  }
  /** Integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  /** Standard normal (Box-Muller). */
  normal(): number {
    const u = 1 - this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next());
  }
  /** A version-4-shaped UUID drawn from this stream (deterministic, unlike crypto.randomUUID). */
  uuid(): string {
    const h = (n: number) => (n >>> 0).toString(16).padStart(8, '0');
    const a = h(this.next() * 4294967296);
    const b = h(this.next() * 4294967296);
    const c = h(this.next() * 4294967296);
    const d = h(this.next() * 4294967296);
    const variant = ((parseInt(c[0]!, 16) & 0x3) | 0x8).toString(16);
    return `${a}-${b.slice(0, 4)}-4${b.slice(5, 8)}-${variant}${c.slice(1, 4)}-${c.slice(4)}${d}`;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Galaxy
// ---------------------------------------------------------------------------------------------------------

export interface SectorRow {
  id: number;
  name: string;
  region: string;
  warps: number[];
}
export interface TeamRow {
  id: string;
  name: string;
  tag: string;
  createdAt: string;
}
export interface StationRow {
  id: string;
  sectorId: number;
  name: string;
  class: number;
  treasury: number;
}
export interface MarketRow {
  stationId: string;
  commodity: Commodity;
  stock: number;
  capacity: number;
  buys: boolean;
  sells: boolean;
  /** Units per hour: positive where the station produces what it sells, negative where it consumes what it buys. */
  productionRate: number;
  buyPrice: number;
  sellPrice: number;
}
export interface PlanetRow {
  id: string;
  sectorId: number;
  ownerId: string | null;
  name: string;
  type: string;
  population: number;
  createdAt: string;
}

export interface Galaxy {
  /** Every sector, 1 (Sol) included: Sol exists already, the seeder only sets its warps. */
  sectors: SectorRow[];
  teams: TeamRow[];
  stations: StationRow[];
  markets: MarketRow[];
  planets: PlanetRow[];
}

export interface GalaxyOptions {
  seed: number;
  sectors: number;
  /** Defaults to ~30% of sectors. */
  stations?: number;
  /** Defaults to one per 25 sectors (at least 4). */
  teams?: number;
  /** Unowned planets; defaults to one per 4 sectors. */
  planets?: number;
  now?: Date;
}

const GREEK = ['Alpha', 'Beta', 'Gamma', 'Delta', 'Epsilon', 'Zeta', 'Eta', 'Theta', 'Iota', 'Kappa'];
// prettier-ignore
const STARS = [
  'Vega', 'Altair', 'Rigel', 'Deneb', 'Sirius', 'Procyon', 'Arcturus', 'Capella', 'Antares', 'Pollux',
  'Castor', 'Mira', 'Polaris', 'Spica', 'Regulus', 'Bellatrix', 'Mintaka', 'Alnitak', 'Saiph', 'Hadar',
  'Acrux', 'Shaula', 'Achernar', 'Canopus', 'Fomalhaut', 'Aldebaran', 'Betelgeuse', 'Tau Ceti', 'Wolf', 'Ross',
];
const STATION_WORDS = ['Port', 'Station', 'Depot', 'Exchange', 'Hub', 'Outpost', 'Terminal', 'Yard', 'Dock'];
// prettier-ignore
const TEAM_A = [
  'Crimson', 'Void', 'Iron', 'Solar', 'Silent', 'Star', 'Nova', 'Obsidian', 'Quantum', 'Golden', 'Shadow',
  'Frontier', 'Azure', 'Ember', 'Nebula', 'Orbital',
];
// prettier-ignore
const TEAM_B = [
  'Syndicate', 'Traders', 'Corsairs', 'Union', 'Collective', 'Consortium', 'Guild', 'Fleet', 'Cartel',
  'Alliance', 'Legion', 'Company', 'Wardens', 'Nomads',
];
const PLANET_TYPES = ['terran', 'oceanic', 'desert', 'volcanic', 'glacial', 'gas_giant', 'barren'];

/** Relative odds of each station class: the basic trade ports are common, the special ones rare. */
// prettier-ignore
const CLASS_WEIGHTS: readonly (readonly [number, number])[] = [
  [1, 14], [2, 14], [3, 14], [4, 8], [5, 8], [6, 12], [7, 12], [8, 3], [9, 3], [10, 6], [11, 4],
];

function weighted<T>(rng: Rng, entries: readonly (readonly [T, number])[]): T {
  const total = entries.reduce((sum, [, w]) => sum + w, 0);
  let x = rng.float() * total;
  for (const [value, w] of entries) {
    x -= w;
    if (x < 0) return value;
  }
  return entries[entries.length - 1]![0];
}

function isoAt(ms: number): string {
  return new Date(ms).toISOString();
}

/**
 * A station's market for one commodity. Stations are well stocked in what they sell (70-95% of capacity)
 * and short of what they buy (5-30%), so both prices start where a trader expects them; both ways (class
 * 11) sits in the middle. Prices come from the pricing rule, never invented here.
 */
export function generateMarket(
  rng: Rng,
  stationId: string,
  stationClass: number,
  commodity: Commodity,
): MarketRow {
  const rule = STATION_CLASSES[stationClass]!;
  const buys = rule.buys.includes(commodity);
  const sells = rule.sells.includes(commodity);
  const capacity = rng.int(20, 200) * 100;
  const ratio =
    buys && sells ? 0.35 + rng.float() * 0.3 : sells ? 0.7 + rng.float() * 0.25 : 0.05 + rng.float() * 0.25;
  const stock = Math.min(capacity, Math.round(capacity * ratio));
  const hourly = capacity * (0.01 + rng.float() * 0.04);
  const productionRate = Math.round((buys && !sells ? -hourly : hourly) * 10) / 10;
  const { buyPrice, sellPrice } = priceFor(commodity, stationClass, stock, capacity);
  return { stationId, commodity, stock, capacity, buys, sells, productionRate, buyPrice, sellPrice };
}

export function generateGalaxy(options: GalaxyOptions): Galaxy {
  const { seed } = options;
  const sectorCount = Math.max(1, Math.floor(options.sectors));
  const now = (options.now ?? new Date()).getTime();
  const rng = new Rng(seed, GALAXY_STREAM);

  // Sectors: a spanning tree of warps to nearby sectors (so every sector is reachable), plus extra links.
  const warps: Set<number>[] = Array.from({ length: sectorCount + 1 }, () => new Set<number>());
  const link = (a: number, b: number) => {
    if (a === b) return;
    warps[a]!.add(b);
    warps[b]!.add(a);
  };
  for (let id = 2; id <= sectorCount; id++) link(id, rng.int(Math.max(1, id - 12), id - 1));
  for (let id = 1; id <= sectorCount; id++) {
    const extra = rng.int(0, 2);
    for (let k = 0; k < extra && warps[id]!.size < 6; k++) {
      const other = Math.min(sectorCount, Math.max(1, id + rng.int(-40, 40)));
      if (warps[other]!.size < 6) link(id, other);
    }
  }
  const sectors: SectorRow[] = [];
  for (let id = 1; id <= sectorCount; id++) {
    const region =
      id === 1
        ? 'core'
        : id <= Math.max(10, sectorCount * 0.05)
          ? 'core'
          : id <= sectorCount * 0.6
            ? 'frontier'
            : 'deep_space';
    const name = id === 1 ? 'Sol' : `${rng.pick(STARS)} ${rng.pick(GREEK)}-${id}`;
    sectors.push({ id, name, region, warps: [...warps[id]!].sort((a, b) => a - b) });
  }

  // Teams: unique names from two word lists (a counter once the combinations run out).
  const teamCount = Math.max(0, Math.floor(options.teams ?? Math.max(4, Math.round(sectorCount / 25))));
  const teams: TeamRow[] = [];
  const teamNames = new Set<string>();
  for (let i = 0; i < teamCount; i++) {
    let name = `${rng.pick(TEAM_A)} ${rng.pick(TEAM_B)}`;
    if (teamNames.has(name)) name = `${name} ${i + 1}`;
    teamNames.add(name);
    const tag = name
      .split(' ')
      .map((w) => w[0])
      .join('')
      .toUpperCase()
      .concat(String(i + 1));
    teams.push({ id: rng.uuid(), name, tag, createdAt: isoAt(now - rng.int(180, 400) * 86_400_000) });
  }

  // Stations: Sol always has one; the rest fall in random sectors (a sector may hold two).
  const stationCount = Math.max(1, Math.floor(options.stations ?? Math.round(sectorCount * 0.3)));
  const stations: StationRow[] = [];
  const markets: MarketRow[] = [];
  for (let i = 0; i < stationCount; i++) {
    const sectorId = i === 0 ? 1 : rng.int(1, sectorCount);
    const cls = i === 0 ? 6 : weighted(rng, CLASS_WEIGHTS);
    const rule = STATION_CLASSES[cls]!;
    const id = rng.uuid();
    const name =
      i === 0
        ? 'Sol Terminal'
        : `${sectors[sectorId - 1]!.name.split(' ')[0]} ${rng.pick(STATION_WORDS)} ${i}`;
    const treasury = Math.round(Math.exp(Math.log(250_000) + 0.6 * rng.normal())) + (cls >= 10 ? 500_000 : 0);
    stations.push({ id, sectorId, name, class: cls, treasury });
    for (const commodity of COMMODITY_NAMES) {
      if (rule.buys.includes(commodity) || rule.sells.includes(commodity)) {
        markets.push(generateMarket(rng, id, cls, commodity));
      }
    }
  }

  const planetCount = Math.max(0, Math.floor(options.planets ?? Math.round(sectorCount / 4)));
  const planets: PlanetRow[] = [];
  for (let i = 0; i < planetCount; i++) {
    const type = rng.pick(PLANET_TYPES);
    planets.push({
      id: rng.uuid(),
      sectorId: rng.int(1, sectorCount),
      ownerId: null,
      name: `${rng.pick(STARS)} ${['I', 'II', 'III', 'IV', 'V', 'VI'][rng.int(0, 5)]}`,
      type,
      population: type === 'terran' || type === 'oceanic' ? rng.int(1_000, 5_000_000) : rng.int(0, 50_000),
      createdAt: isoAt(now - rng.int(200, 700) * 86_400_000),
    });
  }

  return { sectors, teams, stations, markets, planets };
}

// ---------------------------------------------------------------------------------------------------------
// Players
// ---------------------------------------------------------------------------------------------------------

export interface PlayerRow {
  id: string;
  username: string;
  email: string;
  credits: number;
  turns: number;
  status: PlayerStatus;
  banUntil: string | null;
  banReason: string | null;
  teamId: string | null;
  currentSector: number;
  homeSector: number;
  activeShipId: string;
  activityScore: number;
  riskScore: number;
  ariaTrustLevel: number;
  lastLogin: string | null;
  createdAt: string;
}
export interface ShipRow {
  id: string;
  playerId: string;
  name: string;
  type: ShipType;
  sectorId: number;
  capacity: number;
  cargo: Partial<Record<Commodity, number>>;
  cargoUsed: number;
  hull: number;
  createdAt: string;
}
export interface GeneratedPlayer {
  player: PlayerRow;
  ship: ShipRow;
  /** About one player in a hundred has settled a colony. */
  planet: PlanetRow | null;
}

export interface PlayerContext {
  seed: number;
  sectorCount: number;
  teamIds: readonly string[];
  now: Date;
}

// prettier-ignore
const NAME_A = [
  'nova', 'void', 'star', 'dark', 'iron', 'solar', 'comet', 'astro', 'cosmic', 'lunar', 'rogue', 'swift',
  'silent', 'crimson', 'quantum', 'orbit', 'ghost', 'steel', 'neon', 'hyper', 'zero', 'blaze', 'frost',
  'vortex', 'plasma', 'stellar', 'atomic', 'galactic', 'photon', 'ion',
];
// prettier-ignore
const NAME_B = [
  'rider', 'hawk', 'trader', 'runner', 'pilot', 'wolf', 'ranger', 'hunter', 'drifter', 'falcon', 'viper',
  'raven', 'nomad', 'miner', 'corsair', 'seeker', 'smith', 'voyager', 'jumper', 'baron', 'fox', 'dragon',
  'phantom', 'captain', 'merchant', 'scout', 'knight', 'reaper', 'spark', 'walker',
];
const SEPARATORS = ['', '_', '.', '-'];
const EMAIL_DOMAINS = [
  'example.com',
  'mail.test',
  'spacemail.test',
  'galaxy.test',
  'orbit.test',
  'sw2102.test',
];
const BAN_REASONS = ['exploiting a trade loop', 'abusive chat', 'multi-accounting', 'botting', 'chargeback'];
const SHIP_WEIGHTS: readonly (readonly [ShipType, number])[] = [
  ['light_freighter', 50],
  ['scout', 15],
  ['courier', 13],
  ['cargo_hauler', 10],
  ['escape_pod', 12],
];
const DAY = 86_400_000;

/**
 * Player number `index` of a seed: independent of every other index, so a large load is generated in
 * chunks (and appended later) without holding anything in memory. The index ends the username, which
 * makes usernames and emails unique by construction (the word part has no digits).
 */
export function generatePlayer(ctx: PlayerContext, index: number): GeneratedPlayer {
  const rng = new Rng(ctx.seed, index);
  const now = ctx.now.getTime();
  const a = rng.pick(NAME_A);
  const b = rng.pick(NAME_B);
  const styled = rng.chance(0.3)
    ? a[0]!.toUpperCase() + a.slice(1) + b[0]!.toUpperCase() + b.slice(1)
    : a + rng.pick(SEPARATORS) + b;
  const username = `${styled}${index}`;
  const email = `${username.toLowerCase()}@${rng.pick(EMAIL_DOMAINS)}`;

  // ~94% active, 3% frozen, 2% banned (until a date), 1% suspended.
  const s = rng.float();
  const status: PlayerStatus = s < 0.94 ? 'active' : s < 0.97 ? 'frozen' : s < 0.99 ? 'banned' : 'suspended';
  const banUntil = status === 'banned' ? isoAt(now + rng.int(1, 90) * DAY + rng.int(0, DAY - 1)) : null;
  const banReason = status === 'banned' ? rng.pick(BAN_REASONS) : null;

  // Log-normal around 10,000 credits with a long tail (a few reach millions); a few are broke.
  const credits = rng.chance(0.02)
    ? rng.int(0, 500)
    : Math.min(2_000_000_000, Math.round(Math.exp(Math.log(10_000) + 1.1 * rng.normal())));
  const turns = rng.chance(0.35) ? STARTING_TURNS : rng.int(0, STARTING_TURNS);

  // Last login: none for ~10%, otherwise within 90 days and skewed recent; created within the year before it.
  const neverLoggedIn = rng.chance(0.1);
  const lastLoginMs = neverLoggedIn
    ? null
    : now - Math.floor(90 * DAY * rng.float() ** 2.5) - rng.int(0, 59_000);
  const yearAgo = now - 365 * DAY;
  const createdUpper = lastLoginMs ?? now;
  const createdMs = yearAgo + Math.floor((createdUpper - yearAgo) * rng.float() ** 0.7) - 1000;

  const recency = lastLoginMs === null ? 0 : 1 - (now - lastLoginMs) / (90 * DAY);
  const activityScore = Math.min(
    100,
    Math.max(0, Math.round(100 * rng.float() ** 2.2 * (0.4 + 0.6 * recency))),
  );
  const riskBase = status === 'active' ? rng.float() ** 3.5 : 0.3 + 0.7 * rng.float();
  const riskScore = Math.min(100, Math.round(100 * riskBase));
  const ariaTrustLevel = Math.round(Math.min(1, Math.max(0, 0.5 + 0.18 * rng.normal())) * 1000) / 1000;

  const teamId =
    ctx.teamIds.length > 0 && rng.chance(0.4)
      ? ctx.teamIds[Math.floor(ctx.teamIds.length * rng.float() ** 1.5)]!
      : null;
  const homeSector = rng.chance(0.3) ? 1 : rng.int(1, ctx.sectorCount);
  const currentSector = rng.chance(0.5) ? homeSector : rng.int(1, ctx.sectorCount);

  const shipType = weighted(rng, SHIP_WEIGHTS);
  const capacity = SHIP_CAPACITY[shipType];
  const cargo: Partial<Record<Commodity, number>> = {};
  let cargoUsed = 0;
  const kinds = rng.chance(0.4) ? 0 : rng.int(1, 3);
  for (let k = 0; k < kinds; k++) {
    const commodity = rng.pick(COMMODITY_NAMES);
    const qty = rng.int(1, Math.floor((capacity - cargoUsed) / 2));
    if (qty <= 0) break;
    cargo[commodity] = (cargo[commodity] ?? 0) + qty;
    cargoUsed += qty;
  }
  const playerId = rng.uuid();
  const shipId = rng.uuid();
  const ship: ShipRow = {
    id: shipId,
    playerId,
    name: `${b[0]!.toUpperCase()}${b.slice(1)} ${rng.pick(GREEK)}`,
    type: shipType,
    sectorId: currentSector,
    capacity,
    cargo,
    cargoUsed,
    hull: rng.chance(0.7) ? 100 : rng.int(10, 99),
    createdAt: isoAt(createdMs),
  };
  let planet: PlanetRow | null = null;
  if (rng.chance(0.01)) {
    planet = {
      id: rng.uuid(),
      sectorId: homeSector,
      ownerId: playerId,
      name: `${username}'s ${rng.pick(['Hope', 'Haven', 'Reach', 'Rest', 'Folly'])}`,
      type: rng.pick(PLANET_TYPES),
      population: rng.int(100, 2_000_000),
      createdAt: isoAt(Math.min(now, createdMs + rng.int(1, 30) * DAY)),
    };
  }
  return {
    player: {
      id: playerId,
      username,
      email,
      credits,
      turns,
      status,
      banUntil,
      banReason,
      teamId,
      currentSector,
      homeSector,
      activeShipId: shipId,
      activityScore,
      riskScore,
      ariaTrustLevel,
      lastLogin: lastLoginMs === null ? null : isoAt(lastLoginMs),
      createdAt: isoAt(createdMs),
    },
    ship,
    planet,
  };
}

/** Players firstIndex .. firstIndex+count-1, lazily. */
export function* generatePlayers(
  ctx: PlayerContext,
  firstIndex: number,
  count: number,
): Generator<GeneratedPlayer> {
  for (let i = 0; i < count; i++) yield generatePlayer(ctx, firstIndex + i);
}
