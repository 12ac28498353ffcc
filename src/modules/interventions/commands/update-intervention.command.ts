import { Command } from '@nestjs/cqrs';
import type { InterventionRow } from '../queries/intervention-row.js';
import type { Actor } from '../../auth/domain/actor.js';
import type { UpdateInterventionRequestDto } from '../dto/interventions.request.dto.js';

export class UpdateInterventionCommand extends Command<InterventionRow> {
  constructor(
    readonly actor: Actor,
    readonly interventionId: string,
    readonly request: UpdateInterventionRequestDto,
  ) {
    super();
  }
}
