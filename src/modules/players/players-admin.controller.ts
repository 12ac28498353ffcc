import { Body, Controller, Get, Headers, Param, Put, Query } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiHeader, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AuditTarget, CurrentActor, RequirePermissions } from '../auth/decorators.js';
import type { Actor } from '../auth/domain/actor.js';
import { Permission } from '../auth/domain/roles.js';
import { ApiEnvelope } from '../../infrastructure/http/api-envelope.decorator.js';
import { requestedVersion } from '../../infrastructure/http/if-match.js';
import { uuidPipe } from '../../infrastructure/http/uuid.pipe.js';
import { ListPlayersRequestDto } from './dto/list-players.request.dto.js';
import {
  PlayerDetailedDto,
  PlayerListDto,
  RealtimeAnalyticsDto,
  UpdatePlayerResultDto,
} from './dto/player.response.dto.js';
import { UPDATABLE_FIELDS, UpdatePlayerRequestDto } from './dto/update-player.request.dto.js';
import { PlayersErrors } from './domain/players.errors.js';
import { ListPlayersQuery } from './queries/list-players.query.js';
import { GetPlayerDetailedQuery } from './queries/get-player-detailed.query.js';
import { GetRealtimeAnalyticsQuery } from './queries/get-realtime-analytics.query.js';
import { UpdatePlayerCommand } from './commands/update-player.command.js';
import { ApiErrors, FORBIDDEN, UNAUTHENTICATED } from '../../infrastructure/http/api-errors.decorator.js';

@ApiTags('admin: players')
@ApiBearerAuth()
@ApiErrors({ 401: UNAUTHENTICATED, 403: FORBIDDEN })
@Controller('admin/players')
export class PlayersAdminController {
  constructor(
    private readonly queryBus: QueryBus,
    private readonly commandBus: CommandBus,
  ) {}

  @Get('enhanced')
  @RequirePermissions(Permission.PlayersView)
  @ApiOperation({ summary: 'Find players among millions: filters, sort, page or keyset cursor' })
  @ApiEnvelope(PlayerListDto)
  list(@Query() query: ListPlayersRequestDto) {
    return this.queryBus.execute(new ListPlayersQuery(query));
  }

  @Get('analytics/real-time')
  @RequirePermissions(Permission.PlayersView)
  @ApiOperation({ summary: 'Headline player metrics (materialized view) and players online now' })
  @ApiEnvelope(RealtimeAnalyticsDto)
  analytics() {
    return this.queryBus.execute(new GetRealtimeAnalyticsQuery());
  }

  @Get(':id/detailed')
  @RequirePermissions(Permission.PlayersView)
  @AuditTarget('player')
  @ApiOperation({
    summary: 'A player with team, ships and cargo, planets, trades, emergencies, interventions, audit',
  })
  @ApiEnvelope(PlayerDetailedDto)
  detailed(@Param('id', uuidPipe('id')) id: string) {
    return this.queryBus.execute(new GetPlayerDetailedQuery(id));
  }

  @Put(':id/comprehensive')
  @RequirePermissions(Permission.PlayersUpdate)
  @AuditTarget('player')
  @ApiOperation({
    summary: 'Change a player (reason required, optimistic concurrency via version or If-Match)',
  })
  @ApiEnvelope(UpdatePlayerResultDto)
  @ApiHeader({
    name: 'if-match', // as @Headers names it, so the document lists the header once
    required: false,
    description: 'The player version, e.g. "3" (alternative to body.version)',
  })
  update(
    @CurrentActor() actor: Actor,
    @Param('id', uuidPipe('id')) id: string,
    @Body() body: UpdatePlayerRequestDto,
    @Headers('if-match') ifMatch?: string,
  ) {
    const version = requestedVersion(body.version, ifMatch);
    if (version === undefined) throw PlayersErrors.versionRequired();
    const changes = Object.fromEntries(
      UPDATABLE_FIELDS.filter((f) => body[f] !== undefined).map((f) => [f, body[f]]),
    );
    if (Object.keys(changes).length === 0) throw PlayersErrors.nothingToUpdate();
    if (changes.ban_until !== undefined && (changes.status ?? 'banned') !== 'banned')
      throw PlayersErrors.banUntilWithoutBan();
    return this.commandBus.execute(new UpdatePlayerCommand(actor, id, version, changes, body.reason));
  }
}
