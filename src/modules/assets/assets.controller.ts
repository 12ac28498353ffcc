import { Body, Controller, Get, Headers, HttpCode, Param, Post, Put } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiHeader, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { IdempotencyRequest } from '../../infrastructure/http/idempotency-key.js';
import { IdempotencyKey, IdempotentRoute } from '../../infrastructure/http/idempotent-route.decorator.js';
import { requestedVersion } from '../../infrastructure/http/if-match.js';
import { uuidPipe } from '../../infrastructure/http/uuid.pipe.js';
import { AuditTarget, CurrentActor, RequirePermissions } from '../auth/decorators.js';
import type { Actor } from '../auth/domain/actor.js';
import { Permission } from '../auth/domain/roles.js';
import { BulkUpdateAssetsCommand } from './commands/bulk-update-assets.command.js';
import { TransferAssetsCommand } from './commands/transfer-assets.command.js';
import { BulkUpdateAssetsRequestDto, TransferAssetsRequestDto } from './dto/assets.request.dto.js';
import {
  AssetsDetailedDto,
  BulkUpdateAssetsResultDto,
  TransferResultDto,
} from './dto/assets.response.dto.js';
import { ApiEnvelope } from '../../infrastructure/http/api-envelope.decorator.js';
import { GetAssetsDetailedQuery } from './queries/get-assets-detailed.query.js';
import { ApiErrors, FORBIDDEN, UNAUTHENTICATED } from '../../infrastructure/http/api-errors.decorator.js';

@ApiTags('admin: assets')
@ApiBearerAuth()
@ApiErrors({ 401: UNAUTHENTICATED, 403: FORBIDDEN })
@Controller('admin/players/:id/assets')
@AuditTarget('player')
export class AssetsController {
  constructor(
    private readonly commandBus: CommandBus,
    private readonly queryBus: QueryBus,
  ) {}

  @Get('detailed')
  @RequirePermissions(Permission.PlayersView)
  @ApiOperation({ summary: 'Credits, ships with cargo, planets and the recent trade ledger of a player' })
  @ApiEnvelope(AssetsDetailedDto)
  detailed(@Param('id', uuidPipe('id')) id: string) {
    return this.queryBus.execute(new GetAssetsDetailedQuery(id));
  }

  @Post('transfer')
  @HttpCode(200)
  @IdempotentRoute()
  @RequirePermissions(Permission.AssetsTransfer)
  @ApiOperation({ summary: 'Move credits, ships, planets and cargo to another player, atomically' })
  @ApiEnvelope(TransferResultDto)
  transfer(
    @CurrentActor() actor: Actor,
    @Param('id', uuidPipe('id')) id: string,
    @Body() b: TransferAssetsRequestDto,
    @IdempotencyKey() idempotency?: IdempotencyRequest,
  ) {
    return this.commandBus.execute(
      new TransferAssetsCommand(
        actor,
        id,
        {
          toPlayerId: b.to_player_id,
          credits: b.credits,
          shipIds: b.ship_ids ?? [],
          planetIds: b.planet_ids ?? [],
          cargo: b.cargo && {
            shipId: b.cargo.ship_id,
            toShipId: b.cargo.to_ship_id,
            commodity: b.cargo.commodity,
            quantity: b.cargo.quantity,
          },
        },
        b.reason,
        idempotency,
      ),
    );
  }

  @Put('bulk-update')
  @IdempotentRoute()
  @RequirePermissions(Permission.AssetsTransfer)
  @ApiOperation({
    summary: "Set or adjust a player's credits, ships, cargo and planets in one atomic request",
  })
  @ApiEnvelope(BulkUpdateAssetsResultDto)
  @ApiHeader({
    name: 'if-match',
    required: false,
    description: 'The player version, e.g. "3" (alternative to body.version; stale → 409)',
  })
  bulkUpdate(
    @CurrentActor() actor: Actor,
    @Param('id', uuidPipe('id')) id: string,
    @Body() b: BulkUpdateAssetsRequestDto,
    @IdempotencyKey() idempotency?: IdempotencyRequest,
    @Headers('if-match') ifMatch?: string,
  ) {
    const { reason, version, ...changes } = b;
    const expected = requestedVersion(version, ifMatch);
    return this.commandBus.execute(
      new BulkUpdateAssetsCommand(actor, id, changes, expected, reason, idempotency),
    );
  }
}
