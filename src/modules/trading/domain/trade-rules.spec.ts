import { describe, expect, it } from '@jest/globals';
import { AppError } from '../../../infrastructure/errors/app-error.js';
import { priceFor } from './pricing.js';
import { planTrade, type TradeContext, type TradeRequest } from './trade-rules.js';

const ctx = (over: Partial<{ [K in keyof TradeContext]: Partial<TradeContext[K]> }> = {}): TradeContext => ({
  player: { status: 'active', credits: 10_000n, sector: 1, ...over.player },
  ship: { capacity: 500, cargoUsed: 0, held: 0, ...over.ship },
  station: { sector: 1, class: 11, treasury: 1_000_000n, ...over.station },
  market: {
    stock: 500,
    capacity: 1000,
    buys: true,
    sells: true,
    buyPrice: 106,
    sellPrice: 144,
    ...over.market,
  },
  halt: over.halt === undefined ? null : (over.halt as TradeContext['halt']),
});
const req = (over: Partial<TradeRequest> = {}): TradeRequest => ({
  stationId: 's',
  commodity: 'luxury_goods',
  action: 'buy',
  quantity: 10,
  limitPrice: over.action === 'sell' ? 0 : 1000,
  ...over,
});
const codeOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    return (e as AppError).code;
  }
  return 'none';
};

describe('planTrade', () => {
  it('a buy: the sell price after it (above the posted 144), credits down, cargo up, stock down, treasury up, prices from the new stock', () => {
    const plan = planTrade(req(), ctx());
    expect(plan).toMatchObject({
      unitPrice: 146,
      postedPrice: 144,
      total: 1460n,
      creditsDelta: -1460n,
      creditsAfter: 8540n,
      cargoDelta: 10,
      heldAfter: 10,
      cargoUsedAfter: 10,
      stockAfter: 490,
      treasuryDelta: 1460n,
    });
    expect(plan.pricesAfter).toEqual(priceFor('luxury_goods', 11, 490, 1000));
  });

  it('a sell: the buy price after it (below the posted 106), the mirror image', () => {
    const plan = planTrade(
      req({ action: 'sell', limitPrice: 0 }),
      ctx({ ship: { held: 10, cargoUsed: 10 } }),
    );
    expect(plan).toMatchObject({
      unitPrice: 105,
      postedPrice: 106,
      creditsDelta: 1050n,
      creditsAfter: 11_050n,
      cargoDelta: -10,
      heldAfter: 0,
      cargoUsedAfter: 0,
      stockAfter: 510,
      treasuryDelta: -1050n,
    });
  });

  it('checks the rules in order and names the first one broken', () => {
    expect(
      codeOf(() =>
        planTrade(req(), ctx({ halt: { scope: '*', reason: 'x' }, player: { status: 'banned' } })),
      ),
    ).toBe('TRADING.MARKET_HALTED');
    expect(codeOf(() => planTrade(req(), ctx({ player: { status: 'frozen', sector: 2 } })))).toBe(
      'TRADING.PLAYER_NOT_ACTIVE',
    );
    expect(codeOf(() => planTrade(req(), ctx({ player: { sector: 2 } })))).toBe('TRADING.NOT_IN_SECTOR');
    expect(codeOf(() => planTrade(req(), ctx({ market: { sells: false } })))).toBe('TRADING.NOT_TRADED');
    expect(codeOf(() => planTrade(req({ action: 'sell' }), ctx({ market: { buys: false } })))).toBe(
      'TRADING.NOT_TRADED',
    );
    // The limit is checked against the price charged: the posted 144 is not enough for 10 units.
    expect(codeOf(() => planTrade(req({ limitPrice: 145 }), ctx()))).toBe('TRADING.PRICE_LIMIT');
    expect(codeOf(() => planTrade(req({ limitPrice: 146 }), ctx()))).toBe('none');
    expect(
      codeOf(() => planTrade(req({ action: 'sell', limitPrice: 106 }), ctx({ ship: { held: 10 } }))),
    ).toBe('TRADING.PRICE_LIMIT');
    expect(
      codeOf(() => planTrade(req({ action: 'sell', limitPrice: 105 }), ctx({ ship: { held: 10 } }))),
    ).toBe('none');
    expect(codeOf(() => planTrade(req(), ctx({ market: { stock: 9 } })))).toBe('TRADING.INSUFFICIENT_STOCK');
    expect(codeOf(() => planTrade(req(), ctx({ player: { credits: 1459n } })))).toBe(
      'TRADING.INSUFFICIENT_CREDITS',
    );
    expect(codeOf(() => planTrade(req(), ctx({ player: { credits: 1460n } })))).toBe('none');
    expect(codeOf(() => planTrade(req(), ctx({ ship: { cargoUsed: 491 } })))).toBe(
      'TRADING.INSUFFICIENT_CARGO_SPACE',
    );
    expect(codeOf(() => planTrade(req({ action: 'sell' }), ctx({ ship: { held: 9 } })))).toBe(
      'TRADING.INSUFFICIENT_CARGO',
    );
    expect(
      codeOf(() => planTrade(req({ action: 'sell' }), ctx({ ship: { held: 10 }, market: { stock: 991 } }))),
    ).toBe('TRADING.STATION_FULL');
    expect(
      codeOf(() =>
        planTrade(req({ action: 'sell' }), ctx({ ship: { held: 10 }, station: { treasury: 1049n } })),
      ),
    ).toBe('TRADING.INSUFFICIENT_TREASURY');
  });

  it('maps statuses to their HTTP codes: 423 halt, 403 inactive player, 409 the rest', () => {
    const statusOf = (fn: () => unknown) => {
      try {
        fn();
      } catch (e) {
        return (e as AppError).status;
      }
      return 0;
    };
    expect(statusOf(() => planTrade(req(), ctx({ halt: { scope: 'ore', reason: 'x' } })))).toBe(423);
    expect(statusOf(() => planTrade(req(), ctx({ player: { status: 'banned' } })))).toBe(403);
    expect(statusOf(() => planTrade(req(), ctx({ player: { credits: 0n } })))).toBe(409);
  });

  it('without a limit (a quote) any price goes', () => {
    expect(planTrade(req({ limitPrice: undefined }), ctx()).unitPrice).toBe(146);
  });

  it('keeps credits exact beyond 2^53', () => {
    const big = 2n ** 60n;
    const plan = planTrade(req({ action: 'sell' }), ctx({ player: { credits: big }, ship: { held: 10 } }));
    expect(plan.creditsAfter).toBe(big + 1050n);
  });

  it('a single unit at a station: the posted price when the move of one unit does not change it', () => {
    const market = { stock: 1000, capacity: 2000, ...priceFor('luxury_goods', 11, 1000, 2000) };
    expect(planTrade(req({ quantity: 1 }), ctx({ market })).unitPrice).toBe(market.sellPrice);
    expect(
      planTrade(req({ action: 'sell', quantity: 1 }), ctx({ market, ship: { held: 1 } })).unitPrice,
    ).toBe(market.buyPrice);
  });

  it('never lets a round trip at one market gain: buying a quantity and selling it straight back', () => {
    // The case that drained a Premium Tech treasury when a trade was priced at the posted price: 1,000 luxury
    // goods bought at 80 lifted the station's buy price to 111, and selling them back paid 31,000 more.
    const trip = (
      commodity: 'luxury_goods' | 'exotic_technology',
      capacity: number,
      stock: number,
      q: number,
    ) => {
      const posted = priceFor(commodity, 11, stock, capacity);
      const start = ctx({
        player: { credits: 10n ** 12n },
        ship: { capacity: q, cargoUsed: 0, held: 0 },
        station: { treasury: 10n ** 12n },
        market: { stock, capacity, ...posted },
      });
      const bought = planTrade(req({ commodity, quantity: q, limitPrice: undefined }), start);
      const sold = planTrade(
        req({ commodity, action: 'sell', quantity: q, limitPrice: undefined }),
        ctx({
          player: { credits: bought.creditsAfter },
          ship: { capacity: q, cargoUsed: q, held: q },
          station: { treasury: 10n ** 12n + bought.treasuryDelta },
          market: { stock: bought.stockAfter, capacity, ...bought.pricesAfter },
        }),
      );
      return { gain: sold.creditsAfter - 10n ** 12n, stockBack: sold.stockAfter };
    };
    expect(trip('luxury_goods', 2000, 1900, 1000)).toEqual({ gain: expect.any(BigInt), stockBack: 1900 });
    for (const commodity of ['luxury_goods', 'exotic_technology'] as const)
      for (const capacity of [10, 100, 2000, 20_000])
        for (const stock of [capacity, Math.floor(capacity * 0.95), Math.floor(capacity / 2), 1])
          for (const q of [1, 2, 7, Math.floor(stock / 2), stock])
            if (q >= 1 && q <= stock)
              expect(trip(commodity, capacity, stock, q).gain).toBeLessThanOrEqual(0n);
  });
});
