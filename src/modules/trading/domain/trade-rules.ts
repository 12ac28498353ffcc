import type { Commodity } from './commodities.js';
import { priceFor, type MarketPrices } from './pricing.js';
import { TradingErrors } from './trading.errors.js';

export type TradeAction = 'buy' | 'sell';

export interface TradeRequest {
  stationId: string;
  commodity: Commodity;
  action: TradeAction;
  quantity: number;
  /** buy: the most the player pays per unit; sell: the least it accepts. Undefined only for quotes. */
  limitPrice?: number;
}

/** Everything the rules look at, as read (and for trades locked) in the transaction. */
export interface TradeContext {
  player: { status: string; credits: bigint; sector: number };
  ship: { capacity: number; cargoUsed: number; held: number };
  station: { sector: number; class: number; treasury: bigint };
  market: {
    stock: number;
    capacity: number;
    buys: boolean;
    sells: boolean;
    buyPrice: number;
    sellPrice: number;
  };
  /** The halt that applies ('*' or the commodity), if any. */
  halt: { scope: string; reason: string } | null;
}

/** What a trade changes: signed deltas (as seen by the player) and the state after. */
export interface TradePlan {
  /** What each unit costs (buy) or pays (sell): the posted price, or the one after the trade when worse. */
  unitPrice: number;
  /** The station's price before the trade (sell_price for a buy, buy_price for a sell). */
  postedPrice: number;
  total: bigint;
  /** Player credits change: −total for a buy, +total for a sell. */
  creditsDelta: bigint;
  creditsAfter: bigint;
  cargoDelta: number;
  heldAfter: number;
  cargoUsedAfter: number;
  stockAfter: number;
  treasuryDelta: bigint;
  pricesAfter: MarketPrices;
}

/**
 * The trading rules as one pure function: checks in a fixed order (halt, player state, place, what the
 * station trades, price limit, then the four quantities) so every rejection names the first rule broken.
 * Prices are recomputed from the stock after the trade, and the whole quantity is priced at the worse for the
 * player of the posted price and the one the trade leaves: a buy at the sell price after it, a sell at the buy
 * price after it. Priced at the posted price alone, a large buy at a market that both buys and sells the good
 * lifts its buy price above what the player paid, and selling the units straight back takes the difference
 * from the treasury. Priced at the end of its move, a trade never gets a better price than any of its units
 * would alone, so a round trip at one market never gains (the station buys below what it sells at the same
 * stock).
 */
export function planTrade(req: TradeRequest, ctx: TradeContext, stationClass = ctx.station.class): TradePlan {
  const { action, quantity, commodity } = req;
  if (ctx.halt) throw TradingErrors.marketHalted(ctx.halt.scope, ctx.halt.reason);
  if (ctx.player.status !== 'active') throw TradingErrors.playerNotActive(ctx.player.status);
  if (ctx.player.sector !== ctx.station.sector)
    throw TradingErrors.notInSector(ctx.station.sector, ctx.player.sector);
  const m = ctx.market;
  if (action === 'buy' ? !m.sells : !m.buys) throw TradingErrors.notTraded(action, commodity);

  const postedPrice = action === 'buy' ? m.sellPrice : m.buyPrice;
  const sign = action === 'buy' ? 1 : -1;
  const stockAfter = m.stock - sign * quantity;
  const pricesAfter = priceFor(commodity, stationClass, stockAfter, m.capacity);
  const unitPrice =
    action === 'buy'
      ? Math.max(postedPrice, pricesAfter.sellPrice)
      : Math.min(postedPrice, pricesAfter.buyPrice);
  if (req.limitPrice !== undefined) {
    if (action === 'buy' ? unitPrice > req.limitPrice : unitPrice < req.limitPrice)
      throw TradingErrors.priceLimit(action, unitPrice, req.limitPrice);
  }
  const total = BigInt(unitPrice) * BigInt(quantity);

  if (action === 'buy') {
    if (m.stock < quantity) throw TradingErrors.insufficientStock(quantity, m.stock);
    if (ctx.player.credits < total)
      throw TradingErrors.insufficientCredits(total.toString(), ctx.player.credits.toString());
    const free = ctx.ship.capacity - ctx.ship.cargoUsed;
    if (free < quantity) throw TradingErrors.insufficientCargoSpace(quantity, free);
  } else {
    if (ctx.ship.held < quantity) throw TradingErrors.insufficientCargo(commodity, quantity, ctx.ship.held);
    const room = m.capacity - m.stock;
    if (room < quantity) throw TradingErrors.stationFull(quantity, room);
    if (ctx.station.treasury < total) throw TradingErrors.insufficientTreasury(total.toString());
  }

  return {
    unitPrice,
    postedPrice,
    total,
    creditsDelta: -BigInt(sign) * total,
    creditsAfter: ctx.player.credits - BigInt(sign) * total,
    cargoDelta: sign * quantity,
    heldAfter: ctx.ship.held + sign * quantity,
    cargoUsedAfter: ctx.ship.cargoUsed + sign * quantity,
    stockAfter,
    treasuryDelta: BigInt(sign) * total,
    pricesAfter,
  };
}
