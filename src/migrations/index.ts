import { InitialSchema1763780000000 } from './1763780000000-initial-schema.js';
import { SeedBookkeeping1763785000000 } from './1763785000000-seed-bookkeeping.js';
import { PlayersSectorTeamSortIndexes1763785100000 } from './1763785100000-players-sector-team-sort-indexes.js';
import { TradingMarket1763790000000 } from './1763790000000-trading-market.js';
import { AdminOperations1763800000000 } from './1763800000000-admin-operations.js';
import { ApplyTradeFunction1763810000000 } from './1763810000000-apply-trade-function.js';
import { PlayersSearchTrigramIndex1763820000000 } from './1763820000000-players-search-trigram-index.js';
import { AriaPredictions1763830000000 } from './1763830000000-aria-predictions.js';
import { AutomationRules1763840000000 } from './1763840000000-automation-rules.js';
import { AuditLogTimeOrderIndexes1763845000000 } from './1763845000000-audit-log-time-order-indexes.js';
import { AdminIdempotencyKeys1763850000000 } from './1763850000000-admin-idempotency-keys.js';
import { TradesBumpPlayerVersion1763860000000 } from './1763860000000-trades-bump-player-version.js';
import { PlayersStatusBeforeBan1763865000000 } from './1763865000000-players-status-before-ban.js';
import { AdminIdempotencyRuns1763870000000 } from './1763870000000-admin-idempotency-runs.js';
import { AuditLogOneIdPerRow1763875000000 } from './1763875000000-audit-log-one-id-per-row.js';
import { StationMarketsVersion1763880000000 } from './1763880000000-station-markets-version.js';
import { ApplyTradeMarketVersion1763890000000 } from './1763890000000-apply-trade-market-version.js';
import { AuditHashUnambiguous1763900000000 } from './1763900000000-audit-hash-unambiguous.js';
import { TradesPricedAfter1763910000000 } from './1763910000000-trades-priced-after.js';

/** Listed explicitly (not globbed) so the same list works from TypeScript under jest and from compiled JS. */
export const MIGRATIONS = [
  InitialSchema1763780000000,
  SeedBookkeeping1763785000000,
  PlayersSectorTeamSortIndexes1763785100000,
  TradingMarket1763790000000,
  AdminOperations1763800000000,
  ApplyTradeFunction1763810000000,
  PlayersSearchTrigramIndex1763820000000,
  AriaPredictions1763830000000,
  AutomationRules1763840000000,
  AuditLogTimeOrderIndexes1763845000000,
  AdminIdempotencyKeys1763850000000,
  TradesBumpPlayerVersion1763860000000,
  PlayersStatusBeforeBan1763865000000,
  AdminIdempotencyRuns1763870000000,
  AuditLogOneIdPerRow1763875000000,
  StationMarketsVersion1763880000000,
  ApplyTradeMarketVersion1763890000000,
  AuditHashUnambiguous1763900000000,
  TradesPricedAfter1763910000000,
];
