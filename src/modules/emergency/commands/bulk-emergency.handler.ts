import { Logger } from '@nestjs/common';
import { CommandHandler, EventBus, type ICommandHandler } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import { AppError } from '../../../infrastructure/errors/app-error.js';
import { inTransaction } from '../../../infrastructure/database/transaction.js';
import { EmergencyActionExecutor } from '../emergency-action.executor.js';
import {
  BulkEmergencyCommand,
  type BulkEmergencyItem,
  type BulkEmergencyResult,
} from './bulk-emergency.command.js';

/**
 * The same action over a capped list of players, one transaction per player: an emergency must land on
 * every player it can, so one refusal (say, a player already banned) is reported, not allowed to undo the rest.
 */
@CommandHandler(BulkEmergencyCommand)
export class BulkEmergencyHandler implements ICommandHandler<BulkEmergencyCommand> {
  private readonly logger = new Logger(BulkEmergencyHandler.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly executor: EmergencyActionExecutor,
    private readonly eventBus: EventBus,
  ) {}

  async execute(cmd: BulkEmergencyCommand): Promise<BulkEmergencyResult> {
    const results: BulkEmergencyItem[] = [];
    // Case-insensitively: an id in capitals names the same player, who must be acted on once.
    for (const playerId of [...new Set(cmd.playerIds.map((id) => id.toLowerCase()))]) {
      try {
        const { result, events } = await inTransaction(this.dataSource, (m) =>
          this.executor.apply(m, cmd.actor, playerId, cmd.action, cmd.params, cmd.reason),
        );
        this.eventBus.publishAll(events);
        results.push({ player_id: playerId, ok: true, result });
      } catch (err) {
        if (!(err instanceof AppError)) {
          this.logger.error({ err, playerId }, 'Bulk emergency action failed unexpectedly');
          results.push({
            player_id: playerId,
            ok: false,
            error: { code: 'INTERNAL_ERROR', detail: 'unexpected error' },
          });
        } else
          results.push({ player_id: playerId, ok: false, error: { code: err.code, detail: err.message } });
      }
    }
    const succeeded = results.filter((r) => r.ok).length;
    return { action: cmd.action, succeeded, failed: results.length - succeeded, results };
  }
}
