import { IsString, Matches } from 'class-validator';
import { KEY_PATTERN } from '../domain/idempotency.js';
import { ExecuteTradeRequestDto } from './trade.request.dto.js';

/**
 * /trading trading_command: the REST trade body plus the idempotency key the header carries over REST, under
 * the same rule (one key space for both transports).
 */
export class TradingCommandRequestDto extends ExecuteTradeRequestDto {
  @IsString()
  @Matches(KEY_PATTERN, { message: 'idempotency_key must be 1-128 characters of A-Z a-z 0-9 _ - . :' })
  idempotency_key: string;
}
