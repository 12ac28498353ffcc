import { Body, Controller, Get, Param, Post, Put, Query } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { uuidPipe } from '../../infrastructure/http/uuid.pipe.js';
import { AuditTarget, CurrentActor, RequirePermissions } from '../auth/decorators.js';
import type { Actor } from '../auth/domain/actor.js';
import { Permission } from '../auth/domain/roles.js';
import { CreateInterventionCommand } from './commands/create-intervention.command.js';
import { SaveTemplateCommand } from './commands/save-template.command.js';
import { UpdateInterventionCommand } from './commands/update-intervention.command.js';
import {
  CreateInterventionRequestDto,
  CreateTemplateRequestDto,
  InterventionQueueRequestDto,
  UpdateInterventionRequestDto,
  UpdateTemplateRequestDto,
} from './dto/interventions.request.dto.js';
import {
  InterventionDto,
  InterventionQueueDto,
  InterventionTemplateDto,
} from './dto/interventions.response.dto.js';
import { ApiEnvelope } from '../../infrastructure/http/api-envelope.decorator.js';
import { GetInterventionQueueQuery } from './queries/get-intervention-queue.query.js';
import { ListTemplatesQuery } from './queries/list-templates.query.js';
import { ApiErrors, FORBIDDEN, UNAUTHENTICATED } from '../../infrastructure/http/api-errors.decorator.js';

@ApiTags('admin: interventions')
@ApiBearerAuth()
@ApiErrors({ 401: UNAUTHENTICATED, 403: FORBIDDEN })
@Controller('admin/interventions')
export class InterventionsController {
  constructor(
    private readonly commandBus: CommandBus,
    private readonly queryBus: QueryBus,
  ) {}

  @Get('queue')
  @RequirePermissions(Permission.Interventions)
  @ApiOperation({ summary: 'The queue: filters, most urgent (priority, then oldest) first, paginated' })
  @ApiEnvelope(InterventionQueueDto)
  queue(@Query() q: InterventionQueueRequestDto) {
    return this.queryBus.execute(new GetInterventionQueueQuery(q));
  }

  @Post()
  @RequirePermissions(Permission.Interventions)
  @ApiOperation({ summary: 'Open an intervention (optionally from a template, optionally assigned)' })
  @ApiEnvelope(InterventionDto, 201)
  create(@CurrentActor() actor: Actor, @Body() body: CreateInterventionRequestDto) {
    return this.commandBus.execute(new CreateInterventionCommand(actor, body));
  }

  @Get('templates')
  @RequirePermissions(Permission.Interventions)
  @ApiOperation({ summary: 'Intervention templates' })
  @ApiEnvelope(InterventionTemplateDto, 200, true)
  templates() {
    return this.queryBus.execute(new ListTemplatesQuery());
  }

  @Post('templates')
  @RequirePermissions(Permission.Interventions)
  @ApiOperation({ summary: 'Create a template' })
  @ApiEnvelope(InterventionTemplateDto, 201)
  createTemplate(@CurrentActor() actor: Actor, @Body() body: CreateTemplateRequestDto) {
    return this.commandBus.execute(new SaveTemplateCommand(actor, null, body));
  }

  @Put('templates/:id')
  @RequirePermissions(Permission.Interventions)
  @AuditTarget('intervention_template')
  @ApiOperation({ summary: 'Edit a template (optimistic version)' })
  @ApiEnvelope(InterventionTemplateDto)
  updateTemplate(
    @CurrentActor() actor: Actor,
    @Param('id', uuidPipe('id')) id: string,
    @Body() body: UpdateTemplateRequestDto,
  ) {
    return this.commandBus.execute(new SaveTemplateCommand(actor, id, body));
  }

  @Put(':id')
  @RequirePermissions(Permission.Interventions)
  @AuditTarget('intervention')
  @ApiOperation({ summary: 'Assign, change status or priority, add resolution notes (optimistic version)' })
  @ApiEnvelope(InterventionDto)
  update(
    @CurrentActor() actor: Actor,
    @Param('id', uuidPipe('id')) id: string,
    @Body() body: UpdateInterventionRequestDto,
  ) {
    return this.commandBus.execute(new UpdateInterventionCommand(actor, id, body));
  }
}
