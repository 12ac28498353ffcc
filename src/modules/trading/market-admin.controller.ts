import { Body, Controller, Get, HttpCode, Post } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiEnvelope } from '../../infrastructure/http/api-envelope.decorator.js';
import { CurrentActor, RequirePermissions } from '../auth/decorators.js';
import type { Actor } from '../auth/domain/actor.js';
import { Permission } from '../auth/domain/roles.js';
import { SetMarketHaltCommand } from './commands/set-market-halt.command.js';
import { MarketHaltRequestDto } from './dto/market.request.dto.js';
import { ActiveMarketHaltDto, MarketHaltDto } from './dto/market.response.dto.js';
import { ListMarketHaltsQuery } from './queries/list-market-halts.query.js';
import { ApiErrors, FORBIDDEN, UNAUTHENTICATED } from '../../infrastructure/http/api-errors.decorator.js';

@ApiTags('admin: market')
@ApiBearerAuth()
@ApiErrors({ 401: UNAUTHENTICATED, 403: FORBIDDEN })
@Controller('admin/market')
export class MarketAdminController {
  constructor(
    private readonly commandBus: CommandBus,
    private readonly queryBus: QueryBus,
  ) {}

  @Post('halt')
  @HttpCode(200)
  @RequirePermissions(Permission.MarketHalt)
  @ApiOperation({ summary: 'Halt trading, globally or for one commodity (trades then answer 423); audited' })
  @ApiEnvelope(MarketHaltDto)
  halt(@CurrentActor() actor: Actor, @Body() body: MarketHaltRequestDto) {
    return this.commandBus.execute(
      new SetMarketHaltCommand(actor, true, body.commodity ?? null, body.reason),
    );
  }

  @Post('resume')
  @HttpCode(200)
  @RequirePermissions(Permission.MarketHalt)
  @ApiOperation({ summary: 'Lift a halt (the global one, or one commodity’s); audited' })
  @ApiEnvelope(MarketHaltDto)
  resume(@CurrentActor() actor: Actor, @Body() body: MarketHaltRequestDto) {
    return this.commandBus.execute(
      new SetMarketHaltCommand(actor, false, body.commodity ?? null, body.reason),
    );
  }

  @Get('halts')
  @RequirePermissions(Permission.MarketHalt)
  @ApiOperation({ summary: 'Halts in force' })
  @ApiEnvelope(ActiveMarketHaltDto, 200, true)
  halts() {
    return this.queryBus.execute(new ListMarketHaltsQuery());
  }
}
