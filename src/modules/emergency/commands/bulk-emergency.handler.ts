import { Inject, Logger } from '@nestjs/common';
import { CommandHandler, EventBus, type ICommandHandler, type IEvent } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../../../config/app-config.js';
import { AppError } from '../../../infrastructure/errors/app-error.js';
import { IdempotentRun } from '../../../infrastructure/database/idempotent-run.js';
import type { Idempotent } from '../../../infrastructure/database/idempotent-transaction.js';
import { EmergencyActionExecutor } from '../emergency-action.executor.js';
import {
  BulkEmergencyCommand,
  type BulkEmergencyItem,
  type BulkEmergencyResult,
} from './bulk-emergency.command.js';

/**
 * The same action over a capped list of players, one transaction per player: an emergency must land on
 * every player it can, so one refusal (say, a player already banned) is reported, not allowed to undo the rest.
 * With an Idempotency-Key each player's outcome commits with its change (IdempotentRun): a copy of the request
 * answers the first run's result, and one sent after a run died midway acts only on the players it did not reach.
 */
@CommandHandler(BulkEmergencyCommand)
export class BulkEmergencyHandler implements ICommandHandler<BulkEmergencyCommand> {
  private readonly logger = new Logger(BulkEmergencyHandler.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly executor: EmergencyActionExecutor,
    private readonly eventBus: EventBus,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async execute(cmd: BulkEmergencyCommand): Promise<Idempotent<BulkEmergencyResult>> {
    const scope = {
      userId: cmd.actor.userId,
      request: cmd.idempotency,
      ttlHours: this.config.idempotencyTtlHours,
    };
    const run = await IdempotentRun.start<BulkEmergencyResult>(
      this.dataSource,
      scope,
      this.config.bulkLeaseMs,
    );
    if (!(run instanceof IdempotentRun)) return run;
    try {
      // Case-insensitively: an id in capitals names the same player, who must be acted on once.
      const ids = [...new Set(cmd.playerIds.map((id) => id.toLowerCase()))];
      const results: BulkEmergencyItem[] = [];
      for (const playerId of ids) results.push(await this.actOn(run, cmd, playerId));
      const succeeded = results.filter((r) => r.ok).length;
      const result = { action: cmd.action, succeeded, failed: results.length - succeeded, results };
      await run.finish(result, ids);
      return { result, replayed: false };
    } finally {
      await run.close();
    }
  }

  private async actOn(
    run: IdempotentRun,
    cmd: BulkEmergencyCommand,
    playerId: string,
  ): Promise<BulkEmergencyItem> {
    const earlier = run.outcomeOf<BulkEmergencyItem>(playerId);
    if (earlier) return earlier;
    let events: IEvent[] = [];
    try {
      const { outcome, ran } = await run.step(playerId, async (m): Promise<BulkEmergencyItem> => {
        const out = await this.executor.apply(m, cmd.actor, playerId, cmd.action, cmd.params, cmd.reason);
        events = out.events;
        return { player_id: playerId, ok: true, result: out.result };
      });
      if (ran) this.eventBus.publishAll(events);
      return outcome;
    } catch (err) {
      if (err instanceof AppError) {
        const refused = { player_id: playerId, ok: false, error: { code: err.code, detail: err.message } };
        // A refusal (4xx) is the player's answer and is kept with the key; a 5xx one (the database busy, ...)
        // is not, so the same key sent again tries the player again.
        return err.status < 500 ? run.record(playerId, refused) : refused;
      }
      // Not recorded: the player was not changed, and the same key sent again tries it again.
      this.logger.error({ err, playerId }, 'Bulk emergency action failed unexpectedly');
      return {
        player_id: playerId,
        ok: false,
        error: { code: 'INTERNAL_ERROR', detail: 'unexpected error' },
      };
    }
  }
}
