import { IsString, Matches } from 'class-validator';
import { ExecuteTradeRequestDto } from './trade.request.dto.js';

/** /trading trading_command: the REST trade body plus the idempotency key the header carries over REST. */
export class TradingCommandRequestDto extends ExecuteTradeRequestDto {
  @IsString()
  @Matches(/^[A-Za-z0-9_.:-]{8,128}$/, {
    message: 'idempotency_key must be 8-128 characters of A-Z a-z 0-9 _ . : -',
  })
  idempotency_key: string;
}
