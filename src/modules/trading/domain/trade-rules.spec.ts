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
  it('a buy: the posted sell price, credits down, cargo up, stock down, treasury up, prices from the new stock', () => {
    const plan = planTrade(req(), ctx());
    expect(plan).toMatchObject({
      unitPrice: 144,
      total: 1440n,
      creditsDelta: -1440n,
      creditsAfter: 8560n,
      cargoDelta: 10,
      heldAfter: 10,
      cargoUsedAfter: 10,
      stockAfter: 490,
      treasuryDelta: 1440n,
    });
    expect(plan.pricesAfter).toEqual(priceFor('luxury_goods', 11, 490, 1000));
  });

  it('a sell: the posted buy price, the mirror image', () => {
    const plan = planTrade(
      req({ action: 'sell', limitPrice: 0 }),
      ctx({ ship: { held: 10, cargoUsed: 10 } }),
    );
    expect(plan).toMatchObject({
      unitPrice: 106,
      creditsDelta: 1060n,
      creditsAfter: 11_060n,
      cargoDelta: -10,
      heldAfter: 0,
      cargoUsedAfter: 0,
      stockAfter: 510,
      treasuryDelta: -1060n,
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
    expect(codeOf(() => planTrade(req({ limitPrice: 143 }), ctx()))).toBe('TRADING.PRICE_LIMIT');
    expect(codeOf(() => planTrade(req({ limitPrice: 144 }), ctx()))).toBe('none');
    expect(
      codeOf(() => planTrade(req({ action: 'sell', limitPrice: 107 }), ctx({ ship: { held: 10 } }))),
    ).toBe('TRADING.PRICE_LIMIT');
    expect(codeOf(() => planTrade(req(), ctx({ market: { stock: 9 } })))).toBe('TRADING.INSUFFICIENT_STOCK');
    expect(codeOf(() => planTrade(req(), ctx({ player: { credits: 1439n } })))).toBe(
      'TRADING.INSUFFICIENT_CREDITS',
    );
    expect(codeOf(() => planTrade(req(), ctx({ player: { credits: 1440n } })))).toBe('none');
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
        planTrade(req({ action: 'sell' }), ctx({ ship: { held: 10 }, station: { treasury: 1059n } })),
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
    expect(planTrade(req({ limitPrice: undefined }), ctx()).unitPrice).toBe(144);
  });

  it('keeps credits exact beyond 2^53', () => {
    const big = 2n ** 60n;
    const plan = planTrade(req({ action: 'sell' }), ctx({ player: { credits: big }, ship: { held: 10 } }));
    expect(plan.creditsAfter).toBe(big + 1060n);
  });
});
