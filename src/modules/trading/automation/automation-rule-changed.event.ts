import type { TradeResultDto } from '../dto/trade.response.dto.js';
import type { AutomationRuleDto } from './automation.dto.js';

/**
 * A rule was created, executed (with its trade), failed or cancelled; published after the change commits.
 * The /trading relay pushes it to the player as trading_signal {type: 'automation_update'}; a new rule also
 * has its market checked at once.
 */
export class AutomationRuleChangedEvent {
  constructor(
    readonly playerId: string,
    readonly rule: AutomationRuleDto,
    readonly trade?: TradeResultDto,
  ) {}
}
