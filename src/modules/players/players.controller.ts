import { Controller, Get, Param } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentActor } from '../auth/decorators.js';
import type { Actor } from '../auth/domain/actor.js';
import { hasPermissions, Permission } from '../auth/domain/roles.js';
import { ApiErrors, UNAUTHENTICATED } from '../../infrastructure/http/api-errors.decorator.js';
import { ApiEnvelope } from '../../infrastructure/http/api-envelope.decorator.js';
import { uuidPipe } from '../../infrastructure/http/uuid.pipe.js';
import { OwnPlayerDto } from './dto/player.response.dto.js';
import { PlayersErrors } from './domain/players.errors.js';
import { GetOwnPlayerQuery } from './queries/get-own-player.query.js';

/** The player's own view. Object-level rule: a player reaches only its own record. */
@ApiTags('players')
@ApiBearerAuth()
@Controller('players')
export class PlayersController {
  constructor(private readonly queryBus: QueryBus) {}

  @Get('me')
  @ApiOperation({ summary: 'My player' })
  @ApiEnvelope(OwnPlayerDto)
  @ApiErrors({ 401: UNAUTHENTICATED, 404: '`PLAYERS.NOT_FOUND`: this account has no player (staff)' })
  me(@CurrentActor() actor: Actor) {
    if (!actor.playerId) throw PlayersErrors.notFound();
    return this.queryBus.execute(new GetOwnPlayerQuery(actor.playerId));
  }

  @Get(':id')
  @ApiOperation({ summary: 'A player by id: your own, or any with players:view' })
  @ApiEnvelope(OwnPlayerDto)
  @ApiErrors({
    401: UNAUTHENTICATED,
    404: "`PLAYERS.NOT_FOUND`: no such player, or another player's (a player reaches only its own)",
  })
  byId(@CurrentActor() actor: Actor, @Param('id', uuidPipe('id')) id: string) {
    // Another player's id answers exactly like a missing one, so ids cannot be probed.
    if (id !== actor.playerId && !hasPermissions(actor.role, [Permission.PlayersView]))
      throw PlayersErrors.notFound();
    return this.queryBus.execute(new GetOwnPlayerQuery(id));
  }
}
