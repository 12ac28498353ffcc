import { Command } from '@nestjs/cqrs';
import type { Actor } from '../../auth/domain/actor.js';
import type { UpdatableField } from '../dto/update-player.request.dto.js';

export interface UpdatePlayerResult {
  id: string;
  version: number;
  changed: string[];
}

export class UpdatePlayerCommand extends Command<UpdatePlayerResult> {
  constructor(
    readonly actor: Actor,
    readonly playerId: string,
    readonly expectedVersion: number,
    readonly changes: Partial<Record<UpdatableField, unknown>>,
    readonly reason: string,
  ) {
    super();
  }
}
