import { CommandHandler, EventBus, type ICommandHandler } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import { inTransaction } from '../../../infrastructure/database/transaction.js';
import { EmergencyActionExecutor, type EmergencyResult } from '../emergency-action.executor.js';
import { TakeEmergencyActionCommand } from './take-emergency-action.command.js';

@CommandHandler(TakeEmergencyActionCommand)
export class TakeEmergencyActionHandler implements ICommandHandler<TakeEmergencyActionCommand> {
  constructor(
    private readonly dataSource: DataSource,
    private readonly executor: EmergencyActionExecutor,
    private readonly eventBus: EventBus,
  ) {}

  async execute(cmd: TakeEmergencyActionCommand): Promise<EmergencyResult> {
    const { result, events } = await inTransaction(this.dataSource, (m) =>
      this.executor.apply(m, cmd.actor, cmd.playerId, cmd.action, cmd.params, cmd.reason),
    );
    this.eventBus.publishAll(events);
    return result;
  }
}
