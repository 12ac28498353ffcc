/** Commodities with their base price and price band in credits (DESIGN.md, economy facts). */
export const COMMODITIES = {
  ore: { base: 15, min: 15, max: 45 },
  organics: { base: 18, min: 8, max: 25 },
  equipment: { base: 35, min: 50, max: 120 },
  fuel: { base: 12, min: 20, max: 60 },
  gourmet_food: { base: 80, min: 30, max: 70 },
  luxury_goods: { base: 100, min: 75, max: 200 },
  exotic_technology: { base: 250, min: 150, max: 300 },
  colonists: { base: 50, min: 30, max: 80 },
  precious_metals: { base: 130, min: 80, max: 180 },
} as const;

export type Commodity = keyof typeof COMMODITIES;
export const COMMODITY_NAMES = Object.keys(COMMODITIES) as Commodity[];

export function isCommodity(value: unknown): value is Commodity {
  return typeof value === 'string' && Object.hasOwn(COMMODITIES, value);
}

export interface StationClassRule {
  name: string;
  /** The station buys these from players. */
  buys: readonly Commodity[];
  /** The station sells these to players. */
  sells: readonly Commodity[];
  /** Multiplier on the price the station pays when it buys (Black Hole pays 20% more). */
  buyPremium: number;
  /** Multiplier on the price the station charges when it sells (Nova, Premium Tech charge 25% more). */
  sellPremium: number;
}

const BASIC = ['ore', 'organics', 'equipment', 'fuel'] as const;

/** Station classes 1-11 (DESIGN.md). */
export const STATION_CLASSES: Readonly<Record<number, StationClassRule>> = {
  1: { name: 'Mining', buys: ['ore'], sells: ['organics', 'equipment'], buyPremium: 1, sellPremium: 1 },
  2: { name: 'Agricultural', buys: ['organics'], sells: ['ore', 'equipment'], buyPremium: 1, sellPremium: 1 },
  3: { name: 'Industrial', buys: ['equipment'], sells: ['ore', 'organics'], buyPremium: 1, sellPremium: 1 },
  4: {
    name: 'Distribution',
    buys: ['exotic_technology'],
    sells: ['ore', 'organics', 'equipment', 'fuel'],
    buyPremium: 1,
    sellPremium: 1,
  },
  5: { name: 'Collection', buys: BASIC, sells: ['luxury_goods'], buyPremium: 1, sellPremium: 1 },
  6: {
    name: 'Mixed',
    buys: ['ore', 'organics'],
    sells: ['equipment', 'fuel'],
    buyPremium: 1,
    sellPremium: 1,
  },
  7: {
    name: 'Resource Exchange',
    buys: ['equipment', 'fuel'],
    sells: ['ore', 'organics'],
    buyPremium: 1,
    sellPremium: 1,
  },
  8: { name: 'Black Hole', buys: BASIC, sells: [], buyPremium: 1.2, sellPremium: 1 },
  9: { name: 'Nova', buys: [], sells: BASIC, buyPremium: 1, sellPremium: 1.25 },
  10: {
    name: 'Luxury',
    buys: ['gourmet_food'],
    sells: ['luxury_goods', 'exotic_technology'],
    buyPremium: 1,
    sellPremium: 1,
  },
  11: {
    name: 'Premium Tech',
    buys: ['exotic_technology', 'luxury_goods'],
    sells: ['exotic_technology', 'luxury_goods'],
    buyPremium: 1.25,
    sellPremium: 1.25,
  },
};

export const STATION_CLASS_IDS = Object.keys(STATION_CLASSES).map(Number);
