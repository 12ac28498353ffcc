import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn } from 'class-validator';
import { KeysetPageQueryDto, NEXT_CURSOR } from '../../../infrastructure/http/page-query.dto.js';
import { IsId, Optional } from '../../../infrastructure/http/validators.js';
import { COMMODITY_NAMES } from '../domain/commodities.js';
import { ExecuteTradeRequestDto } from '../dto/trade.request.dto.js';

export const RULE_STATUSES = ['active', 'executed', 'failed', 'cancelled'] as const;
export type RuleStatus = (typeof RULE_STATUSES)[number];
const CREDITS = { type: 'integer', minimum: 0 } as const;

/**
 * POST /trading/automation-rules: the trade to make, with its price limit as the trigger. A buy fires when the
 * station sells at max_unit_price or less; a sell when it pays min_unit_price or more.
 */
export class CreateAutomationRuleRequestDto extends ExecuteTradeRequestDto {}

export class ListAutomationRulesRequestDto extends KeysetPageQueryDto {
  @ApiPropertyOptional({ enum: RULE_STATUSES })
  @Optional()
  @IsIn(RULE_STATUSES)
  status?: RuleStatus;

  @ApiPropertyOptional({ format: 'uuid' })
  @Optional()
  @IsId()
  station_id?: string;

  @ApiPropertyOptional({ enum: COMMODITY_NAMES })
  @Optional()
  @IsIn(COMMODITY_NAMES)
  commodity?: string;
}

export class AutomationRuleErrorDto {
  @ApiProperty({ description: 'The trade’s stable error code' }) code: string;
  @ApiProperty() detail: string;
}

export class AutomationRuleDto {
  @ApiProperty({ format: 'uuid' }) rule_id: string;
  @ApiProperty({ format: 'uuid' }) station_id: string;
  @ApiProperty({ enum: COMMODITY_NAMES }) commodity: string;
  @ApiProperty({ enum: ['buy', 'sell'] }) action: 'buy' | 'sell';
  @ApiProperty({ type: 'integer', minimum: 1 }) quantity: number;
  @ApiPropertyOptional({ ...CREDITS, description: 'buy: the trigger and limit, the most paid per unit' })
  max_unit_price?: number;
  @ApiPropertyOptional({
    ...CREDITS,
    description: 'sell: the trigger and limit, the least accepted per unit',
  })
  min_unit_price?: number;
  @ApiProperty({ enum: RULE_STATUSES }) status: RuleStatus;
  @ApiProperty({ format: 'uuid', nullable: true, type: String, description: 'The trade, once executed' })
  trade_id: string | null;
  @ApiProperty({
    type: AutomationRuleErrorDto,
    nullable: true,
    description: 'Why it failed; on an active rule, why its last try did not trade',
  })
  error: AutomationRuleErrorDto | null;
  @ApiProperty({ type: 'integer', minimum: 0, description: 'Times the rule fired' }) attempts: number;
  @ApiProperty({ format: 'date-time' }) created_at: string;
  @ApiProperty({ format: 'date-time' }) updated_at: string;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) finished_at: string | null;
}

export class AutomationRuleListDto {
  @ApiProperty({ type: [AutomationRuleDto] }) rules: AutomationRuleDto[];
  @ApiProperty({ type: 'integer', minimum: 1, maximum: 10_000 }) page: number;
  @ApiProperty({ type: 'integer', minimum: 1, maximum: 100 }) limit: number;
  @ApiProperty({ type: 'integer', minimum: 0 }) total_count: number;
  @ApiProperty({ ...NEXT_CURSOR }) next_cursor: string | null;
}

/** The columns every read of a rule selects, for ruleDto. */
export const RULE_COLUMNS = `r.id, r.station_id, r.commodity, r.action, r.quantity, r.limit_price, r.status, r.trade_id,
  r.error_code, r.error_detail, r.attempts, r.created_at, r.updated_at, r.finished_at`;

export interface RuleRow {
  id: string;
  station_id: string;
  commodity: string;
  action: 'buy' | 'sell';
  quantity: number;
  limit_price: number;
  status: RuleStatus;
  trade_id: string | null;
  error_code: string | null;
  error_detail: string | null;
  attempts: number;
  created_at: Date | string;
  updated_at: Date | string;
  finished_at: Date | string | null;
}

export function ruleDto(r: RuleRow): AutomationRuleDto {
  return {
    rule_id: r.id,
    station_id: r.station_id,
    commodity: r.commodity,
    action: r.action,
    quantity: r.quantity,
    ...(r.action === 'buy' ? { max_unit_price: r.limit_price } : { min_unit_price: r.limit_price }),
    status: r.status,
    trade_id: r.trade_id,
    error: r.error_code ? { code: r.error_code, detail: r.error_detail ?? '' } : null,
    attempts: r.attempts,
    created_at: new Date(r.created_at).toISOString(),
    updated_at: new Date(r.updated_at).toISOString(),
    finished_at: r.finished_at ? new Date(r.finished_at).toISOString() : null,
  };
}
