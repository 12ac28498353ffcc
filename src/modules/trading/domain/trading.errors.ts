import { AppError } from '../../../infrastructure/errors/app-error.js';
import { COMMODITY_NAMES } from './commodities.js';

/** Stable codes of the trading and market domain. Every rejection leaves nothing written. */
export const TradingErrors = {
  playersOnly: () => new AppError('TRADING.PLAYERS_ONLY', 403, 'Only a player account can trade'),
  playerNotFound: () => new AppError('TRADING.PLAYER_NOT_FOUND', 404, 'Player not found'),
  playerNotActive: (status: string) =>
    new AppError('TRADING.PLAYER_NOT_ACTIVE', 403, `A ${status} player cannot trade`, { status }),
  noActiveShip: () => new AppError('TRADING.NO_ACTIVE_SHIP', 409, 'You have no active ship to carry cargo'),
  stationNotFound: () => new AppError('TRADING.STATION_NOT_FOUND', 404, 'Station not found'),
  notInSector: (stationSector: number, playerSector: number) =>
    new AppError(
      'TRADING.NOT_IN_SECTOR',
      409,
      `The station is in sector ${stationSector}; you are in sector ${playerSector}`,
      { station_sector: stationSector, player_sector: playerSector },
    ),
  marketHalted: (scope: string, reason: string) =>
    new AppError(
      'TRADING.MARKET_HALTED',
      423,
      `Trading is halted${scope === '*' ? '' : ` for ${scope}`}: ${reason}`,
      { scope: scope === '*' ? 'all' : scope, reason },
    ),
  notTraded: (action: 'buy' | 'sell', commodity: string) =>
    new AppError(
      'TRADING.NOT_TRADED',
      409,
      action === 'buy' ? `This station does not sell ${commodity}` : `This station does not buy ${commodity}`,
      { action, commodity },
    ),
  priceLimit: (action: 'buy' | 'sell', unitPrice: number, limit: number) =>
    new AppError(
      'TRADING.PRICE_LIMIT',
      409,
      action === 'buy'
        ? `The price is ${unitPrice}, above your max_unit_price ${limit}`
        : `The price is ${unitPrice}, below your min_unit_price ${limit}`,
      { unit_price: unitPrice, limit },
    ),
  insufficientCredits: (needed: string, available: string) =>
    new AppError('TRADING.INSUFFICIENT_CREDITS', 409, `The trade costs ${needed}; you have ${available}`, {
      needed,
      available,
    }),
  insufficientCargoSpace: (needed: number, free: number) =>
    new AppError(
      'TRADING.INSUFFICIENT_CARGO_SPACE',
      409,
      `You need ${needed} free holds; your ship has ${free}`,
      { needed, free },
    ),
  insufficientCargo: (commodity: string, needed: number, held: number) =>
    new AppError('TRADING.INSUFFICIENT_CARGO', 409, `You hold ${held} ${commodity}, not ${needed}`, {
      needed,
      held,
    }),
  insufficientStock: (needed: number, stock: number) =>
    new AppError('TRADING.INSUFFICIENT_STOCK', 409, `The station has ${stock} units, not ${needed}`, {
      needed,
      stock,
    }),
  stationFull: (needed: number, room: number) =>
    new AppError('TRADING.STATION_FULL', 409, `The station has room for ${room} units, not ${needed}`, {
      needed,
      room,
    }),
  insufficientTreasury: (needed: string) =>
    new AppError('TRADING.INSUFFICIENT_TREASURY', 409, `The station cannot pay ${needed} credits right now`, {
      needed,
    }),
  idempotencyKeyRequired: () =>
    new AppError(
      'TRADING.IDEMPOTENCY_KEY_REQUIRED',
      400,
      'Send an Idempotency-Key header: 1-128 characters of letters, digits and - _ . :',
    ),
  idempotencyKeyReserved: () =>
    new AppError(
      'TRADING.IDEMPOTENCY_KEY_RESERVED',
      400,
      'Idempotency-Keys starting with "automation:" belong to automation rules; choose another key',
    ),
  idempotencyKeyReused: () =>
    new AppError(
      'TRADING.IDEMPOTENCY_KEY_REUSED',
      422,
      'This Idempotency-Key was already used for a different request',
    ),
  /** The market kept moving under every attempt (nothing was written): safe to send again with the same key. */
  contended: () =>
    new AppError(
      'TRADING.CONTENDED',
      503,
      'The market is too busy to settle this trade now; retry with the same key',
    ),
};

export const MarketErrors = {
  unknownCommodity: (given: string) =>
    new AppError('MARKET.UNKNOWN_COMMODITY', 404, `Unknown commodity "${given}"`, {
      valid_commodities: COMMODITY_NAMES,
    }),
  stationNotFound: () => new AppError('MARKET.STATION_NOT_FOUND', 404, 'Station not found'),
  alreadyHalted: (scope: string) =>
    new AppError('MARKET.ALREADY_HALTED', 409, `Trading is already halted for ${scope}`),
  notHalted: (scope: string) => new AppError('MARKET.NOT_HALTED', 409, `Trading is not halted for ${scope}`),
  badRange: (detail: string, field: string) =>
    new AppError('VALIDATION_FAILED', 400, detail, { fields: { [field]: [detail] } }),
};

/** quantity within 1..max (max is TRADE_MAX_QUANTITY): a 400 naming the field, like any validation error. */
export function assertQuantity(quantity: number, max: number): void {
  if (!Number.isInteger(quantity) || quantity < 1 || quantity > max) {
    throw new AppError('VALIDATION_FAILED', 400, `quantity must be between 1 and ${max}`, {
      fields: { quantity: [`must be between 1 and ${max}`] },
    });
  }
}
