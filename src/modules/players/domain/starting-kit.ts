/** Ship types and their cargo holds (DESIGN.md, economy facts). */
export const SHIP_CAPACITY = {
  escape_pod: 50,
  scout: 100,
  courier: 200,
  light_freighter: 500,
  cargo_hauler: 1000,
} as const;
export type ShipType = keyof typeof SHIP_CAPACITY;
export const SHIP_TYPES = Object.keys(SHIP_CAPACITY) as ShipType[];

export const STARTING_CREDITS = 10_000;
export const STARTING_TURNS = 1_000;
export const STARTER_SHIP = {
  type: 'light_freighter',
  label: 'Light Freighter',
  capacity: SHIP_CAPACITY.light_freighter,
} as const;
