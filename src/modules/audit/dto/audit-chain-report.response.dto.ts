import { ApiProperty } from '@nestjs/swagger';

export class AuditChainBreakDto {
  @ApiProperty({ description: 'bigint as a decimal string' }) id: string;
  @ApiProperty({
    enum: ['hash_mismatch', 'broken_link'],
    description:
      "hash_mismatch: the row's content no longer gives its hash (edited); broken_link: its prev_hash " +
      "is not its predecessor's hash (a row before it deleted, inserted or rewritten)",
  })
  problem: 'hash_mismatch' | 'broken_link';
}

export class AuditAnchorDto {
  @ApiProperty({ description: 'bigint as a decimal string' }) id: string;
  @ApiProperty() hash: string;
  @ApiProperty({
    description: 'The row with this id exists, still carries this hash, and its content still gives it',
  })
  matches: boolean;
}

/** One range of the hash chain, checked; walk on with next_from_id until complete. */
export class AuditChainReportDto {
  @ApiProperty({ description: 'No row of the range is broken, and the anchor (when given) matches' })
  valid: boolean;
  @ApiProperty({ type: 'integer', minimum: 0 }) checked_rows: number;
  @ApiProperty({ nullable: true, type: String, description: 'Last row of the chain when the walk started' })
  head_id: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'Its hash: record it with head_id as an anchor' })
  head_hash: string | null;
  @ApiProperty({ nullable: true, type: AuditChainBreakDto, description: 'The first broken row of the range' })
  first_broken: AuditChainBreakDto | null;
  @ApiProperty({ nullable: true, type: String, description: 'First row checked (null: none)' })
  from_id: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'Last row checked (null: none)' })
  to_id: string | null;
  @ApiProperty({ description: 'The range reached head_id' })
  complete: boolean;
  @ApiProperty({ nullable: true, type: String, description: 'from_id of the next range; null when complete' })
  next_from_id: string | null;
  @ApiProperty({ nullable: true, type: AuditAnchorDto, description: 'The anchor asked about (null: none)' })
  anchor: AuditAnchorDto | null;
}
