import { Command } from '@nestjs/cqrs';
import type { Actor } from '../../auth/domain/actor.js';
import type { CreateTemplateRequestDto, UpdateTemplateRequestDto } from '../dto/interventions.request.dto.js';

/** Creates a template (templateId null) or edits one (optimistic version). */
export class SaveTemplateCommand extends Command<Record<string, unknown>> {
  constructor(
    readonly actor: Actor,
    readonly templateId: string | null,
    readonly request: CreateTemplateRequestDto | UpdateTemplateRequestDto,
  ) {
    super();
  }
}
