import { Command } from '@nestjs/cqrs';
import type { Idempotent } from '../../../infrastructure/database/idempotent-transaction.js';
import type { IdempotencyRequest } from '../../../infrastructure/http/idempotency-key.js';
import type { Actor } from '../../auth/domain/actor.js';
import type { EmergencyAction, EmergencyParams } from '../domain/emergency-actions.js';
import type { EmergencyResult } from '../emergency-action.executor.js';

export class TakeEmergencyActionCommand extends Command<Idempotent<EmergencyResult>> {
  constructor(
    readonly actor: Actor,
    readonly playerId: string,
    readonly action: EmergencyAction,
    readonly params: EmergencyParams,
    readonly reason: string,
    readonly idempotency?: IdempotencyRequest,
  ) {
    super();
  }
}
