import { InitialSchema1763780000000 } from './1763780000000-initial-schema.js';
import { TradingMarket1763790000000 } from './1763790000000-trading-market.js';

/** Listed explicitly (not globbed) so the same list works from TypeScript under jest and from compiled JS. */
export const MIGRATIONS = [InitialSchema1763780000000, TradingMarket1763790000000];
