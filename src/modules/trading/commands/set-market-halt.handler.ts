import { CommandHandler, EventBus, type ICommandHandler } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import { inTransaction } from '../../../infrastructure/database/transaction.js';
import { AuditService } from '../../audit/audit.service.js';
import { MarketErrors } from '../domain/trading.errors.js';
import type { MarketHaltDto } from '../dto/market.response.dto.js';
import { MarketHaltChangedEvent } from '../events/market-halt-changed.event.js';
import { SetMarketHaltCommand } from './set-market-halt.command.js';

/**
 * A halt is a row in market_halts (scope '*' or the commodity); resuming deletes it. The audit row commits
 * with the change. A halt stops trades that start after its commit; one already past its locking read ends.
 */
@CommandHandler(SetMarketHaltCommand)
export class SetMarketHaltHandler implements ICommandHandler<SetMarketHaltCommand> {
  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    private readonly eventBus: EventBus,
  ) {}

  async execute({ actor, halt, commodity, reason }: SetMarketHaltCommand): Promise<MarketHaltDto> {
    const scope = commodity ?? '*';
    const label = commodity ?? 'all commodities';
    const at = await inTransaction(this.dataSource, async (m) => {
      let before: unknown;
      if (halt) {
        const rows = await m.query(
          `INSERT INTO market_halts (scope, reason, halted_by) VALUES ($1, $2, $3)
           ON CONFLICT (scope) DO NOTHING RETURNING halted_at`,
          [scope, reason, actor.userId],
        );
        if (rows.length === 0) throw MarketErrors.alreadyHalted(label);
        before = { halted: false };
      } else {
        const [rows] = await m.query(
          `DELETE FROM market_halts WHERE scope = $1 RETURNING reason, halted_at`,
          [scope],
        );
        if (rows.length === 0) throw MarketErrors.notHalted(label);
        before = { halted: true, reason: rows[0].reason, halted_at: rows[0].halted_at };
      }
      await this.audit.record(m, actor, {
        action: halt ? 'market.halt' : 'market.resume',
        targetType: 'market',
        targetId: scope === '*' ? 'all' : scope,
        reason,
        before,
        after: { halted: halt },
      });
      return new Date();
    });
    this.eventBus.publish(new MarketHaltChangedEvent(commodity, halt, reason, actor.userId, at));
    return { commodity, halted: halt, reason, at: at.toISOString() };
  }
}
