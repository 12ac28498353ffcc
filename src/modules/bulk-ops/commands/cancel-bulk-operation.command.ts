import { Command } from '@nestjs/cqrs';
import type { Actor } from '../../auth/domain/actor.js';

export interface CancelBulkOperationResult {
  operation_id: string;
  status: string;
  cancel_requested: boolean;
}

export class CancelBulkOperationCommand extends Command<CancelBulkOperationResult> {
  constructor(
    readonly actor: Actor,
    readonly operationId: string,
    readonly reason: string,
  ) {
    super();
  }
}
