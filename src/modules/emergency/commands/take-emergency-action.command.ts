import { Command } from '@nestjs/cqrs';
import type { Actor } from '../../auth/domain/actor.js';
import type { EmergencyAction, EmergencyParams } from '../domain/emergency-actions.js';
import type { EmergencyResult } from '../emergency-action.executor.js';

export class TakeEmergencyActionCommand extends Command<EmergencyResult> {
  constructor(
    readonly actor: Actor,
    readonly playerId: string,
    readonly action: EmergencyAction,
    readonly params: EmergencyParams,
    readonly reason: string,
  ) {
    super();
  }
}
