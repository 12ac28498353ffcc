import { Command } from '@nestjs/cqrs';
import type { InterventionRow } from '../queries/intervention-row.js';
import type { Actor } from '../../auth/domain/actor.js';
import type { CreateInterventionRequestDto } from '../dto/interventions.request.dto.js';

export class CreateInterventionCommand extends Command<InterventionRow> {
  constructor(
    readonly actor: Actor,
    readonly request: CreateInterventionRequestDto,
  ) {
    super();
  }
}
