import { Body, Controller, Get, Headers, HttpCode, Post, Query, Res } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiHeader, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { CommonErrors } from '../../infrastructure/errors/common.errors.js';
import { ApiErrors, UNAUTHENTICATED } from '../../infrastructure/http/api-errors.decorator.js';
import { ApiEnvelope } from '../../infrastructure/http/api-envelope.decorator.js';
import { CurrentActor } from '../auth/decorators.js';
import type { Actor } from '../auth/domain/actor.js';
import { ExecuteTradeCommand } from './commands/execute-trade.command.js';
import { ListTradesRequestDto } from './dto/market.request.dto.js';
import {
  crossFieldProblems,
  ExecuteTradeRequestDto,
  QuoteRequestDto,
  toTradeRequest,
} from './dto/trade.request.dto.js';
import { TradeHistoryDto, TradeQuoteDto, TradeResultDto } from './dto/trade.response.dto.js';
import { TRADE_BAD_INPUT, TRADE_UNAVAILABLE, TRADING_ERROR_DOCS as E } from './dto/trading-error.docs.js';
import { GetTradeQuoteQuery } from './queries/get-trade-quote.query.js';
import { ListOwnTradesQuery } from './queries/list-own-trades.query.js';

function assertConsistent(body: QuoteRequestDto | ExecuteTradeRequestDto): void {
  const fields = crossFieldProblems(body);
  const names = Object.keys(fields);
  if (names.length > 0) throw CommonErrors.validation(`Invalid value for ${names.join(', ')}`, fields);
}

/** A player's trades. The caller is always the trader; nothing here takes another player's id. */
@ApiTags('trading')
@ApiBearerAuth()
@Controller('trading')
export class TradingController {
  constructor(
    private readonly commandBus: CommandBus,
    private readonly queryBus: QueryBus,
  ) {}

  @Post('trades')
  @ApiOperation({
    summary: 'Buy from or sell to a station, exactly once per Idempotency-Key',
    description:
      'Same key and body: the first result again (header Idempotent-Replayed: true). Same key, other body: 422. Keys are kept at least 24 h.',
  })
  @ApiHeader({ name: 'Idempotency-Key', required: true, description: '1-128 of [A-Za-z0-9_-.:]' })
  @ApiEnvelope(TradeResultDto, 201)
  @ApiErrors({
    400: `${TRADE_BAD_INPUT}; \`TRADING.IDEMPOTENCY_KEY_REQUIRED\` (missing or malformed header), \`TRADING.IDEMPOTENCY_KEY_RESERVED\``,
    401: UNAUTHENTICATED,
    403: `${E.playersOnly}, ${E.notActive}`,
    404: E.notFound,
    409: E.rules,
    422: '`TRADING.IDEMPOTENCY_KEY_REUSED`: this key was used for another request',
    423: E.halted,
    503: TRADE_UNAVAILABLE,
  })
  async trade(
    @CurrentActor() actor: Actor,
    @Body() body: ExecuteTradeRequestDto,
    @Headers('idempotency-key') key: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    assertConsistent(body);
    const { trade, replayed } = await this.commandBus.execute(
      new ExecuteTradeCommand(actor, toTradeRequest(body), key ?? ''),
    );
    if (replayed) void reply.header('idempotent-replayed', 'true');
    return trade;
  }

  @Post('quote')
  @HttpCode(200)
  @ApiOperation({ summary: 'What the trade would cost or pay now; changes nothing' })
  @ApiEnvelope(TradeQuoteDto)
  @ApiErrors({
    400: TRADE_BAD_INPUT,
    401: UNAUTHENTICATED,
    403: `${E.playersOnly}, ${E.notActive}`,
    404: E.notFound,
    409: E.rules,
    423: E.halted,
  })
  quote(@CurrentActor() actor: Actor, @Body() body: QuoteRequestDto) {
    assertConsistent(body);
    return this.queryBus.execute(new GetTradeQuoteQuery(actor.playerId, toTradeRequest(body)));
  }

  @Get('trades')
  @ApiOperation({ summary: 'My trades, newest first' })
  @ApiEnvelope(TradeHistoryDto)
  @ApiErrors({ 401: UNAUTHENTICATED, 403: E.playersOnly })
  history(@CurrentActor() actor: Actor, @Query() q: ListTradesRequestDto) {
    return this.queryBus.execute(
      new ListOwnTradesQuery(actor.playerId, q.page ?? 1, q.limit ?? 25, q.commodity, q.station_id, q.cursor),
    );
  }
}
