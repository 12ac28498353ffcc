import { Module } from '@nestjs/common';
import { AutomationController } from './automation/automation.controller.js';
import { AutomationExecutor } from './automation/automation-executor.service.js';
import {
  CancelAutomationRuleHandler,
  CreateAutomationRuleHandler,
  GetAutomationRuleHandler,
  ListAutomationRulesHandler,
} from './automation/automation-rule.handlers.js';
import { ExecuteTradeHandler } from './commands/execute-trade.handler.js';
import { SetMarketHaltHandler } from './commands/set-market-halt.handler.js';
import { MarketAdminController } from './market-admin.controller.js';
import { MarketMaintenanceService } from './market-maintenance.service.js';
import { MarketController } from './market.controller.js';
import { GetPriceHistoryHandler } from './queries/get-price-history.handler.js';
import { GetRealtimeMarketHandler } from './queries/get-realtime-market.handler.js';
import { GetStationMarketHandler } from './queries/get-station-market.handler.js';
import { GetTradeQuoteHandler } from './queries/get-trade-quote.handler.js';
import { ListMarketHaltsHandler } from './queries/list-market-halts.handler.js';
import { ListOwnTradesHandler } from './queries/list-own-trades.handler.js';
import { TradingController } from './trading.controller.js';
import { MarketGateway } from './gateways/market.gateway.js';
import { MarketHaltsRelay } from './gateways/market-halts.relay.js';
import { MarketUpdatesRelay } from './gateways/market-updates.relay.js';
import { TradingGateway } from './gateways/trading.gateway.js';
import { TradingSignalsRelay } from './gateways/trading-signals.relay.js';

/** Trading and the live market: REST, automation rules, and the /market and /trading gateways, over the same buses. */
@Module({
  controllers: [MarketController, TradingController, AutomationController, MarketAdminController],
  providers: [
    ExecuteTradeHandler,
    SetMarketHaltHandler,
    GetTradeQuoteHandler,
    GetRealtimeMarketHandler,
    GetStationMarketHandler,
    GetPriceHistoryHandler,
    ListOwnTradesHandler,
    ListMarketHaltsHandler,
    MarketMaintenanceService,
    MarketGateway,
    TradingGateway,
    MarketUpdatesRelay,
    MarketHaltsRelay,
    TradingSignalsRelay,
    CreateAutomationRuleHandler,
    CancelAutomationRuleHandler,
    GetAutomationRuleHandler,
    ListAutomationRulesHandler,
    AutomationExecutor,
  ],
  exports: [MarketMaintenanceService],
})
export class TradingModule {}
