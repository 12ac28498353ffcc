import { Command } from '@nestjs/cqrs';
import type { Actor } from '../../auth/domain/actor.js';
import type { TradeRequest } from '../domain/trade-rules.js';
import type { TradeResultDto } from '../dto/trade.response.dto.js';

export interface ExecuteTradeResult {
  trade: TradeResultDto;
  /** True when the key had already executed: `trade` is that first result, and nothing ran again. */
  replayed: boolean;
}

/** Executes one trade exactly once per (player, idempotency key). Sent by REST and the /trading gateway. */
export class ExecuteTradeCommand extends Command<ExecuteTradeResult> {
  constructor(
    readonly actor: Actor,
    readonly request: TradeRequest,
    readonly idempotencyKey: string,
    /** Sent by the automation executor, whose keys (`automation:<rule id>`) players may not use. */
    readonly automated = false,
  ) {
    super();
  }
}
