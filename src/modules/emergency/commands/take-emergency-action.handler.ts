import { Inject } from '@nestjs/common';
import { CommandHandler, EventBus, type ICommandHandler, type IEvent } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../../../config/app-config.js';
import {
  inIdempotentTransaction,
  type Idempotent,
} from '../../../infrastructure/database/idempotent-transaction.js';
import { EmergencyActionExecutor, type EmergencyResult } from '../emergency-action.executor.js';
import { TakeEmergencyActionCommand } from './take-emergency-action.command.js';

@CommandHandler(TakeEmergencyActionCommand)
export class TakeEmergencyActionHandler implements ICommandHandler<TakeEmergencyActionCommand> {
  constructor(
    private readonly dataSource: DataSource,
    private readonly executor: EmergencyActionExecutor,
    private readonly eventBus: EventBus,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async execute(cmd: TakeEmergencyActionCommand): Promise<Idempotent<EmergencyResult>> {
    let events: IEvent[] = [];
    const scope = {
      userId: cmd.actor.userId,
      request: cmd.idempotency,
      ttlHours: this.config.idempotencyTtlHours,
    };
    const outcome = await inIdempotentTransaction(this.dataSource, scope, async (m) => {
      const out = await this.executor.apply(m, cmd.actor, cmd.playerId, cmd.action, cmd.params, cmd.reason);
      events = out.events;
      return out.result;
    });
    if (!outcome.replayed) this.eventBus.publishAll(events);
    return outcome;
  }
}
