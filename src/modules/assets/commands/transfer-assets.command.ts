import { Command } from '@nestjs/cqrs';
import type { Idempotent } from '../../../infrastructure/database/idempotent-transaction.js';
import type { IdempotencyRequest } from '../../../infrastructure/http/idempotency-key.js';
import type { Actor } from '../../auth/domain/actor.js';

export interface TransferSpec {
  toPlayerId: string;
  credits?: number;
  shipIds: string[];
  planetIds: string[];
  cargo?: { shipId: string; toShipId?: string; commodity: string; quantity: number };
}

export interface TransferResult {
  from_player_id: string;
  to_player_id: string;
  credits: { amount: number; from_after: string; to_after: string } | null;
  ship_ids: string[];
  planet_ids: string[];
  cargo: { from_ship_id: string; to_ship_id: string; commodity: string; quantity: number } | null;
}

export class TransferAssetsCommand extends Command<Idempotent<TransferResult>> {
  constructor(
    readonly actor: Actor,
    readonly fromPlayerId: string,
    readonly spec: TransferSpec,
    readonly reason: string,
    readonly idempotency?: IdempotencyRequest,
  ) {
    super();
  }
}
