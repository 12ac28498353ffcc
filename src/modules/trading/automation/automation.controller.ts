import { Body, Controller, Delete, Get, Param, Post, Query } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CommonErrors } from '../../../infrastructure/errors/common.errors.js';
import { ApiErrors, UNAUTHENTICATED } from '../../../infrastructure/http/api-errors.decorator.js';
import { ApiEnvelope } from '../../../infrastructure/http/api-envelope.decorator.js';
import { uuidPipe } from '../../../infrastructure/http/uuid.pipe.js';
import { CurrentActor } from '../../auth/decorators.js';
import type { Actor } from '../../auth/domain/actor.js';
import { crossFieldProblems, toTradeRequest } from '../dto/trade.request.dto.js';
import { TRADE_BAD_INPUT, TRADING_ERROR_DOCS as E } from '../dto/trading-error.docs.js';
import {
  CancelAutomationRuleCommand,
  CreateAutomationRuleCommand,
  GetAutomationRuleQuery,
  ListAutomationRulesQuery,
} from './automation-rule.commands.js';
import {
  AutomationRuleDto,
  AutomationRuleListDto,
  CreateAutomationRuleRequestDto,
  ListAutomationRulesRequestDto,
} from './automation.dto.js';

const RULE_NOT_FOUND = "`AUTOMATION.RULE_NOT_FOUND`: no such rule, or another player's";

/** A player's automation rules (standing orders). The caller is always the owner; nothing takes a player id. */
@ApiTags('trading')
@ApiBearerAuth()
@Controller('trading/automation-rules')
export class AutomationController {
  constructor(
    private readonly commandBus: CommandBus,
    private readonly queryBus: QueryBus,
  ) {}

  @Post()
  @ApiOperation({
    summary: 'Set up a trade that runs once, by itself, when the price reaches the limit',
    description:
      'The body is a trade’s. A buy fires when the station sells at max_unit_price or less, a sell when it pays min_unit_price or more, with the stock, room and treasury for the whole quantity; it runs as your trade (you must then be in the station’s sector, with the credits or cargo), exactly once. Checked at once and on every change of that market.',
  })
  @ApiEnvelope(AutomationRuleDto, 201)
  @ApiErrors({
    400: TRADE_BAD_INPUT,
    401: UNAUTHENTICATED,
    403: `${E.playersOnly}, ${E.notActive}`,
    404: E.notFound,
    409: '`TRADING.NOT_TRADED`; `AUTOMATION.RULE_LIMIT` (`limit`): too many active rules',
  })
  create(@CurrentActor() actor: Actor, @Body() body: CreateAutomationRuleRequestDto) {
    const fields = crossFieldProblems(body);
    if (Object.keys(fields).length > 0)
      throw CommonErrors.validation(`Invalid value for ${Object.keys(fields).join(', ')}`, fields);
    const request = toTradeRequest(body);
    return this.commandBus.execute(
      new CreateAutomationRuleCommand(actor, { ...request, limitPrice: request.limitPrice! }),
    );
  }

  @Get()
  @ApiOperation({ summary: 'My automation rules, newest first' })
  @ApiEnvelope(AutomationRuleListDto)
  @ApiErrors({ 401: UNAUTHENTICATED, 403: E.playersOnly })
  list(@CurrentActor() actor: Actor, @Query() q: ListAutomationRulesRequestDto) {
    return this.queryBus.execute(
      new ListAutomationRulesQuery(
        actor.playerId,
        q.page ?? 1,
        q.limit ?? 25,
        {
          status: q.status,
          stationId: q.station_id,
          commodity: q.commodity,
        },
        q.cursor,
      ),
    );
  }

  @Get(':id')
  @ApiOperation({ summary: 'One of my automation rules' })
  @ApiEnvelope(AutomationRuleDto)
  @ApiErrors({ 401: UNAUTHENTICATED, 403: E.playersOnly, 404: RULE_NOT_FOUND })
  get(@CurrentActor() actor: Actor, @Param('id', uuidPipe('id')) id: string) {
    return this.queryBus.execute(new GetAutomationRuleQuery(actor.playerId, id));
  }

  @Delete(':id')
  @ApiOperation({
    summary: 'Cancel an active rule (409 if it already finished, or is executing this moment)',
  })
  @ApiEnvelope(AutomationRuleDto)
  @ApiErrors({
    401: UNAUTHENTICATED,
    403: E.playersOnly,
    404: RULE_NOT_FOUND,
    409:
      '`AUTOMATION.RULE_NOT_ACTIVE` (`status`: it executed, failed or was cancelled), `AUTOMATION.RULE_BUSY` ' +
      '(its trade runs this moment; `retry_after_seconds`)',
  })
  cancel(@CurrentActor() actor: Actor, @Param('id', uuidPipe('id')) id: string) {
    return this.commandBus.execute(new CancelAutomationRuleCommand(actor, id));
  }
}
