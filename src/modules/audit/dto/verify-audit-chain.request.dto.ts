import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsDefined, IsInt, IsString, Matches, Max, Min, ValidateIf } from 'class-validator';
import { Transform } from 'class-transformer';
import { IntFromQuery, IsSerialId, Optional, SERIAL_ID } from '../../../infrastructure/http/validators.js';

/**
 * Rows one call checks at most. At ~10 µs a row on real Postgres (2 vCPUs) a full range is ~10 s of walking in
 * chunks of short statements: one answer covers a chain of a few months' writes, well inside the timeouts of
 * an HTTP client or proxy, and a longer chain is walked on with next_from_id.
 */
export const VERIFY_MAX_ROWS = 1_000_000;

const HASH = /^[0-9a-f]{64}$/;

/** anchor_id and anchor_hash come together or not at all: either one brings the other's rules to bear. */
const anchorGiven = (o: VerifyAuditChainRequestDto) =>
  o.anchor_id !== undefined || o.anchor_hash !== undefined;

export class VerifyAuditChainRequestDto {
  @ApiPropertyOptional({
    ...SERIAL_ID,
    description:
      "First row to check: this id, or the first row after it (ids have gaps). Default: the chain's first row. " +
      'The row is checked against its real predecessor. To walk on, pass next_from_id of the previous answer.',
  })
  @Optional()
  @IsSerialId()
  from_id?: number;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: VERIFY_MAX_ROWS,
    default: VERIFY_MAX_ROWS,
    description: 'Rows to check at most; the walk also stops at the head the chain had when it started',
  })
  @Optional()
  @IntFromQuery()
  @IsInt()
  @Min(1)
  @Max(VERIFY_MAX_ROWS)
  limit?: number;

  @ApiPropertyOptional({
    ...SERIAL_ID,
    description:
      'With anchor_hash: a row id you recorded earlier (head_id of an earlier answer). The answer says whether ' +
      'that row still carries that hash, which a rewrite of the whole chain cannot keep',
  })
  @ValidateIf(anchorGiven)
  @IsDefined({ message: 'anchor_id goes with anchor_hash: give both or neither' })
  @IsSerialId()
  anchor_id?: number;

  @ApiPropertyOptional({
    pattern: HASH.source,
    description:
      'With anchor_id: the hash that row had when you recorded it (head_hash of an earlier answer)',
  })
  @ValidateIf(anchorGiven)
  @IsDefined({ message: 'anchor_hash goes with anchor_id: give both or neither' })
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.toLowerCase() : value))
  @IsString()
  @Matches(HASH, { message: 'anchor_hash must be 64 hexadecimal digits (a SHA-256 in hex)' })
  anchor_hash?: string;
}
