import { Command } from '@nestjs/cqrs';
import type { Idempotent } from '../../../infrastructure/database/idempotent-transaction.js';
import type { IdempotencyRequest } from '../../../infrastructure/http/idempotency-key.js';
import type { Actor } from '../../auth/domain/actor.js';
import type { BulkUpdateAssetsRequestDto } from '../dto/assets.request.dto.js';

export interface BulkUpdateAssetsResult {
  player_id: string;
  version: number;
  credits: string;
  ships_added: string[];
  ships_updated: string[];
  ships_removed: string[];
  cargo: { ship_id: string; cargo: Record<string, number>; cargo_used: number }[];
  planets_assigned: string[];
  planets_released: string[];
}

export class BulkUpdateAssetsCommand extends Command<Idempotent<BulkUpdateAssetsResult>> {
  constructor(
    readonly actor: Actor,
    readonly playerId: string,
    readonly changes: Omit<BulkUpdateAssetsRequestDto, 'reason' | 'version'>,
    readonly expectedVersion: number | undefined,
    readonly reason: string,
    readonly idempotency?: IdempotencyRequest,
  ) {
    super();
  }
}
