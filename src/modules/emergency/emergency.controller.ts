import { Body, Controller, Get, HttpCode, Inject, Param, Post, Query } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiExtraModels, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { ApiEnvelope } from '../../infrastructure/http/api-envelope.decorator.js';
import { APP_CONFIG, type AppConfig } from '../../config/app-config.js';
import type { IdempotencyRequest } from '../../infrastructure/http/idempotency-key.js';
import {
  IdempotencyKey,
  IdempotentRoute,
  ONE_TRANSACTION_PER_ITEM,
} from '../../infrastructure/http/idempotent-route.decorator.js';
import { uuidPipe } from '../../infrastructure/http/uuid.pipe.js';
import { AuditTarget, CurrentActor, RequirePermissions } from '../auth/decorators.js';
import type { Actor } from '../auth/domain/actor.js';
import { Permission } from '../auth/domain/roles.js';
import { BulkEmergencyCommand } from './commands/bulk-emergency.command.js';
import { TakeEmergencyActionCommand } from './commands/take-emergency-action.command.js';
import { EmergencyErrors } from './domain/emergency.errors.js';
import {
  normaliseEmergencyParams,
  type EmergencyAction,
  type RawEmergencyParams,
} from './domain/emergency-actions.js';
import {
  BanRequestDto,
  BulkEmergencyRequestDto,
  EmergencyCreditsRequestDto,
  EmergencyHistoryRequestDto,
  EmergencyReasonDto,
  ResetTurnsRequestDto,
  ShipActionRequestDto,
} from './dto/emergency.request.dto.js';
import {
  BanResultDto,
  BulkEmergencyResultDto,
  ClearCargoResultDto,
  EMERGENCY_DETAILS,
  EmergencyCreditsResultDto,
  EmergencyHistoryDto,
  KickResultDto,
  RepairShipResultDto,
  ResetTurnsResultDto,
  StatusChangeResultDto,
  TeleportHomeResultDto,
} from './dto/emergency.response.dto.js';
import { GetEmergencyHistoryQuery } from './queries/get-emergency-history.query.js';
import {
  ApiErrors,
  ERROR_BODY_SCHEMA,
  FORBIDDEN,
  UNAUTHENTICATED,
} from '../../infrastructure/http/api-errors.decorator.js';

/**
 * Static path of its own so `emergency/bulk` can never be read as a player id (see the e2e route test).
 * Registered before the per-player controller.
 */
@ApiTags('admin: emergency')
@ApiBearerAuth()
@ApiErrors({ 401: UNAUTHENTICATED, 403: FORBIDDEN })
@ApiExtraModels(...EMERGENCY_DETAILS)
@Controller('admin/players/emergency')
export class EmergencyBulkController {
  constructor(
    private readonly commandBus: CommandBus,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Post('bulk')
  @HttpCode(200)
  @IdempotentRoute(ONE_TRANSACTION_PER_ITEM)
  @RequirePermissions(Permission.EmergencyAdvanced)
  @ApiOperation({ summary: 'One emergency action over many players (capped; admin or above)' })
  @ApiEnvelope(BulkEmergencyResultDto)
  @ApiResponse({
    status: 409,
    description:
      'IDEMPOTENCY_KEY_IN_PROGRESS: a request with this key is still running; retry after Retry-After',
    headers: { 'Retry-After': { description: 'seconds', schema: { type: 'integer' } } },
    schema: ERROR_BODY_SCHEMA,
  })
  bulk(
    @CurrentActor() actor: Actor,
    @Body() body: BulkEmergencyRequestDto,
    @IdempotencyKey() idempotency?: IdempotencyRequest,
  ) {
    const { action, player_ids: ids, reason, ...raw } = body;
    if (ids.length > this.config.emergencyBulkMax)
      throw EmergencyErrors.tooManyPlayers(this.config.emergencyBulkMax);
    const params = normaliseEmergencyParams(action, raw);
    return this.commandBus.execute(new BulkEmergencyCommand(actor, ids, action, params, reason, idempotency));
  }
}

/** One route per action, so each carries its own permission (DESIGN.md split) and its own body schema. */
@ApiTags('admin: emergency')
@ApiBearerAuth()
@ApiErrors({ 401: UNAUTHENTICATED, 403: FORBIDDEN })
@ApiExtraModels(...EMERGENCY_DETAILS)
@Controller('admin/players/:id/emergency')
@AuditTarget('player')
export class EmergencyController {
  constructor(
    private readonly commandBus: CommandBus,
    private readonly queryBus: QueryBus,
  ) {}

  private run(
    actor: Actor,
    id: string,
    action: EmergencyAction,
    body: EmergencyReasonDto & RawEmergencyParams,
    idempotency: IdempotencyRequest | undefined,
  ) {
    const { reason, ...raw } = body;
    const params = normaliseEmergencyParams(action, raw);
    return this.commandBus.execute(
      new TakeEmergencyActionCommand(actor, id, action, params, reason, idempotency),
    );
  }

  @Get('history')
  @RequirePermissions(Permission.PlayersView)
  @ApiOperation({ summary: "A player's emergency actions, newest first" })
  @ApiEnvelope(EmergencyHistoryDto)
  history(@Param('id', uuidPipe('id')) id: string, @Query() q: EmergencyHistoryRequestDto) {
    return this.queryBus.execute(new GetEmergencyHistoryQuery(id, q.page ?? 1, q.limit ?? 25));
  }

  @Post('freeze')
  @HttpCode(200)
  @ApiEnvelope(StatusChangeResultDto)
  @IdempotentRoute()
  @RequirePermissions(Permission.EmergencyBasic)
  @ApiOperation({ summary: 'Freeze: no trades, no transfers (moderator+)' })
  freeze(
    @CurrentActor() a: Actor,
    @Param('id', uuidPipe('id')) id: string,
    @Body() b: EmergencyReasonDto,
    @IdempotencyKey() k?: IdempotencyRequest,
  ) {
    return this.run(a, id, 'freeze', b, k);
  }

  @Post('unfreeze')
  @HttpCode(200)
  @ApiEnvelope(StatusChangeResultDto)
  @IdempotentRoute()
  @RequirePermissions(Permission.EmergencyBasic)
  @ApiOperation({ summary: 'Unfreeze (moderator+)' })
  unfreeze(
    @CurrentActor() a: Actor,
    @Param('id', uuidPipe('id')) id: string,
    @Body() b: EmergencyReasonDto,
    @IdempotencyKey() k?: IdempotencyRequest,
  ) {
    return this.run(a, id, 'unfreeze', b, k);
  }

  @Post('kick')
  @HttpCode(200)
  @ApiEnvelope(KickResultDto)
  @IdempotentRoute()
  @RequirePermissions(Permission.EmergencyBasic)
  @ApiOperation({ summary: 'Disconnect every socket and revoke refresh tokens (moderator+)' })
  kick(
    @CurrentActor() a: Actor,
    @Param('id', uuidPipe('id')) id: string,
    @Body() b: EmergencyReasonDto,
    @IdempotencyKey() k?: IdempotencyRequest,
  ) {
    return this.run(a, id, 'kick', b, k);
  }

  @Post('teleport_home')
  @HttpCode(200)
  @ApiEnvelope(TeleportHomeResultDto)
  @IdempotentRoute()
  @RequirePermissions(Permission.EmergencyBasic)
  @ApiOperation({ summary: 'Move the player (and active ship) to its home sector (moderator+)' })
  teleportHome(
    @CurrentActor() a: Actor,
    @Param('id', uuidPipe('id')) id: string,
    @Body() b: EmergencyReasonDto,
    @IdempotencyKey() k?: IdempotencyRequest,
  ) {
    return this.run(a, id, 'teleport_home', b, k);
  }

  @Post('ban')
  @HttpCode(200)
  @ApiEnvelope(BanResultDto)
  @IdempotentRoute()
  @RequirePermissions(Permission.EmergencyAdvanced)
  @ApiOperation({ summary: 'Ban for duration_hours or permanently; kicks and revokes tokens (admin+)' })
  ban(
    @CurrentActor() a: Actor,
    @Param('id', uuidPipe('id')) id: string,
    @Body() b: BanRequestDto,
    @IdempotencyKey() k?: IdempotencyRequest,
  ) {
    return this.run(a, id, 'ban', b, k);
  }

  @Post('unban')
  @HttpCode(200)
  @ApiEnvelope(StatusChangeResultDto)
  @IdempotentRoute()
  @RequirePermissions(Permission.EmergencyAdvanced)
  @ApiOperation({ summary: 'Lift a ban (admin+)' })
  unban(
    @CurrentActor() a: Actor,
    @Param('id', uuidPipe('id')) id: string,
    @Body() b: EmergencyReasonDto,
    @IdempotencyKey() k?: IdempotencyRequest,
  ) {
    return this.run(a, id, 'unban', b, k);
  }

  @Post('reset_turns')
  @HttpCode(200)
  @ApiEnvelope(ResetTurnsResultDto)
  @IdempotentRoute()
  @RequirePermissions(Permission.EmergencyAdvanced)
  @ApiOperation({ summary: 'Set turns (default 1,000) (admin+)' })
  resetTurns(
    @CurrentActor() a: Actor,
    @Param('id', uuidPipe('id')) id: string,
    @Body() b: ResetTurnsRequestDto,
    @IdempotencyKey() k?: IdempotencyRequest,
  ) {
    return this.run(a, id, 'reset_turns', b, k);
  }

  @Post('emergency_credits')
  @HttpCode(200)
  @ApiEnvelope(EmergencyCreditsResultDto)
  @IdempotentRoute()
  @RequirePermissions(Permission.EmergencyAdvanced)
  @ApiOperation({ summary: 'Grant credits (admin+)' })
  credits(
    @CurrentActor() a: Actor,
    @Param('id', uuidPipe('id')) id: string,
    @Body() b: EmergencyCreditsRequestDto,
    @IdempotencyKey() k?: IdempotencyRequest,
  ) {
    return this.run(a, id, 'emergency_credits', b, k);
  }

  @Post('clear_cargo')
  @HttpCode(200)
  @ApiEnvelope(ClearCargoResultDto)
  @IdempotentRoute()
  @RequirePermissions(Permission.EmergencyAdvanced)
  @ApiOperation({ summary: "Empty the cargo of one ship or all the player's ships (admin+)" })
  clearCargo(
    @CurrentActor() a: Actor,
    @Param('id', uuidPipe('id')) id: string,
    @Body() b: ShipActionRequestDto,
    @IdempotencyKey() k?: IdempotencyRequest,
  ) {
    return this.run(a, id, 'clear_cargo', b, k);
  }

  @Post('repair_ship')
  @HttpCode(200)
  @ApiEnvelope(RepairShipResultDto)
  @IdempotentRoute()
  @RequirePermissions(Permission.EmergencyAdvanced)
  @ApiOperation({ summary: 'Restore hull to 100 on one ship (default: the active ship) (admin+)' })
  repairShip(
    @CurrentActor() a: Actor,
    @Param('id', uuidPipe('id')) id: string,
    @Body() b: ShipActionRequestDto,
    @IdempotencyKey() k?: IdempotencyRequest,
  ) {
    return this.run(a, id, 'repair_ship', b, k);
  }
}
