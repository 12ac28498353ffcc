import { Command, Query } from '@nestjs/cqrs';
import type { Actor } from '../../auth/domain/actor.js';
import type { TradeRequest } from '../domain/trade-rules.js';
import type { AutomationRuleDto, AutomationRuleListDto, RuleStatus } from './automation.dto.js';

/** A player sets up a standing order; its market is checked at once after the commit. */
export class CreateAutomationRuleCommand extends Command<AutomationRuleDto> {
  constructor(
    readonly actor: Actor,
    readonly request: TradeRequest & { limitPrice: number },
  ) {
    super();
  }
}

/** A player cancels one of its own active rules. */
export class CancelAutomationRuleCommand extends Command<AutomationRuleDto> {
  constructor(
    readonly actor: Actor,
    readonly ruleId: string,
  ) {
    super();
  }
}

/** The caller's own rules, newest first. No player parameter: nobody reads another's rules. */
export class ListAutomationRulesQuery extends Query<AutomationRuleListDto> {
  constructor(
    readonly playerId: string | null,
    readonly page: number,
    readonly limit: number,
    readonly filters: { status?: RuleStatus; stationId?: string; commodity?: string },
    /** The previous page's next_cursor (keyset paging; overrides page). */
    readonly cursor?: string,
  ) {
    super();
  }
}

/** One of the caller's own rules; another player's rule is a 404 like a missing one. */
export class GetAutomationRuleQuery extends Query<AutomationRuleDto> {
  constructor(
    readonly playerId: string | null,
    readonly ruleId: string,
  ) {
    super();
  }
}
