import { Body, Controller, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import type { IdempotencyRequest } from '../../infrastructure/http/idempotency-key.js';
import { IdempotencyKey, IdempotentRoute } from '../../infrastructure/http/idempotent-route.decorator.js';
import { uuidPipe } from '../../infrastructure/http/uuid.pipe.js';
import { AuditTarget, CurrentActor, RequirePermissions } from '../auth/decorators.js';
import type { Actor } from '../auth/domain/actor.js';
import { Permission } from '../auth/domain/roles.js';
import { CancelBulkOperationCommand } from './commands/cancel-bulk-operation.command.js';
import { CreateBulkOperationCommand } from './commands/create-bulk-operation.command.js';
import {
  BulkStatusRequestDto,
  CancelBulkOperationRequestDto,
  CreateBulkOperationRequestDto,
  ListBulkOperationsRequestDto,
} from './dto/bulk-operations.request.dto.js';
import {
  BulkCancelResultDto,
  BulkDryRunDto,
  BulkOperationCreatedDto,
  BulkOperationListDto,
  BulkOperationStatusDto,
} from './dto/bulk-operations.response.dto.js';
import { ApiEnvelope } from '../../infrastructure/http/api-envelope.decorator.js';
import { GetBulkOperationStatusQuery } from './queries/get-bulk-operation-status.query.js';
import { ListBulkOperationsQuery } from './queries/list-bulk-operations.query.js';
import { ApiErrors, FORBIDDEN, UNAUTHENTICATED } from '../../infrastructure/http/api-errors.decorator.js';

/** A static path of its own: `bulk-operations` is never taken for a player id by admin/players/:id routes. */
@ApiTags('admin: bulk operations')
@ApiBearerAuth()
@ApiErrors({ 401: UNAUTHENTICATED, 403: FORBIDDEN })
@Controller('admin/players/bulk-operations')
export class BulkOpsController {
  constructor(
    private readonly commandBus: CommandBus,
    private readonly queryBus: QueryBus,
  ) {}

  @Post()
  @HttpCode(202)
  @IdempotentRoute()
  @RequirePermissions(Permission.BulkOperations)
  @ApiOperation({
    summary:
      'Start a bulk operation over players (202 with its id), or dry_run: the count and a sample (200)',
  })
  @ApiEnvelope(BulkOperationCreatedDto, 202)
  @ApiEnvelope(BulkDryRunDto, 200)
  async create(
    @CurrentActor() actor: Actor,
    @Body() body: CreateBulkOperationRequestDto,
    @Res({ passthrough: true }) reply: FastifyReply,
    @IdempotencyKey() idempotency?: IdempotencyRequest,
  ) {
    const outcome = await this.commandBus.execute(new CreateBulkOperationCommand(actor, body, idempotency));
    if (outcome.result.dry_run) void reply.status(200);
    return outcome;
  }

  @Get()
  @RequirePermissions(Permission.BulkOperations)
  @ApiOperation({ summary: 'Bulk operations, newest first' })
  @ApiEnvelope(BulkOperationListDto)
  list(@Query() q: ListBulkOperationsRequestDto) {
    return this.queryBus.execute(
      new ListBulkOperationsQuery(q.status, q.admin_id, q.page ?? 1, q.limit ?? 25),
    );
  }

  @Get(':opId/status')
  @RequirePermissions(Permission.BulkOperations)
  @AuditTarget('bulk_operation', 'opId')
  @ApiOperation({ summary: 'Status, progress, counts and per-player errors (paginated)' })
  @ApiEnvelope(BulkOperationStatusDto)
  status(@Param('opId', uuidPipe('id')) id: string, @Query() q: BulkStatusRequestDto) {
    return this.queryBus.execute(
      new GetBulkOperationStatusQuery(id, q.errors_page ?? 1, q.errors_limit ?? 50),
    );
  }

  @Post(':opId/cancel')
  @HttpCode(200)
  @RequirePermissions(Permission.BulkOperations)
  @AuditTarget('bulk_operation', 'opId')
  @ApiOperation({ summary: 'Cancel: stops after the batch in flight; finished batches stay done' })
  @ApiEnvelope(BulkCancelResultDto)
  cancel(
    @CurrentActor() actor: Actor,
    @Param('opId', uuidPipe('id')) id: string,
    @Body() body: CancelBulkOperationRequestDto,
  ) {
    return this.commandBus.execute(new CancelBulkOperationCommand(actor, id, body.reason));
  }
}
