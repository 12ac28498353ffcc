import { Command } from '@nestjs/cqrs';
import type { Idempotent } from '../../../infrastructure/database/idempotent-transaction.js';
import type { IdempotencyRequest } from '../../../infrastructure/http/idempotency-key.js';
import type { Actor } from '../../auth/domain/actor.js';
import type { EmergencyAction, EmergencyParams } from '../domain/emergency-actions.js';
import type { EmergencyResult } from '../emergency-action.executor.js';

export interface BulkEmergencyItem {
  player_id: string;
  ok: boolean;
  result?: EmergencyResult;
  error?: { code: string; detail: string };
}

export interface BulkEmergencyResult {
  action: EmergencyAction;
  succeeded: number;
  failed: number;
  results: BulkEmergencyItem[];
}

export class BulkEmergencyCommand extends Command<Idempotent<BulkEmergencyResult>> {
  constructor(
    readonly actor: Actor,
    readonly playerIds: string[],
    readonly action: EmergencyAction,
    readonly params: EmergencyParams,
    readonly reason: string,
    readonly idempotency?: IdempotencyRequest,
  ) {
    super();
  }
}
