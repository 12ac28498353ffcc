import { ApiProperty } from '@nestjs/swagger';
import { nullableEnum } from '../../../infrastructure/http/nullable-enum.js';
import { ROLES } from '../../auth/domain/roles.js';

const SHA256_HEX = { pattern: '^[0-9a-f]{64}$' } as const;
const NULLABLE_TEXT = { nullable: true, type: String } as const;
const SNAPSHOT = {
  type: 'object',
  additionalProperties: true,
  nullable: true,
  description: "The changed fields' values, as the action records them (their names depend on the action)",
} as const;

/** One audit_log row (append-only, hash-chained). */
export class AuditLogEntryDto {
  @ApiProperty({ description: 'bigint as a decimal string; chain order' }) id: string;
  @ApiProperty({ format: 'date-time', description: 'UTC, to the microsecond' }) occurred_at: string;
  @ApiProperty({ format: 'uuid', nullable: true, type: String, description: 'null: the system' })
  actor_id: string | null;
  @ApiProperty(nullableEnum([...ROLES, 'system'])) actor_role: string | null;
  @ApiProperty({ example: 'players.update' }) action: string;
  @ApiProperty({ enum: ['success', 'denied'] }) outcome: string;
  @ApiProperty({ ...NULLABLE_TEXT, example: 'player' }) target_type: string | null;
  @ApiProperty({ ...NULLABLE_TEXT, description: 'A player (or other entity) id, a route, a commodity, ...' })
  target_id: string | null;
  @ApiProperty(NULLABLE_TEXT) reason: string | null;
  @ApiProperty({ ...SNAPSHOT, description: `${SNAPSHOT.description}: before` }) before: Record<
    string,
    unknown
  > | null;
  @ApiProperty({ ...SNAPSHOT, description: `${SNAPSHOT.description}: after` }) after: Record<
    string,
    unknown
  > | null;
  @ApiProperty(NULLABLE_TEXT) request_id: string | null;
  @ApiProperty(NULLABLE_TEXT) client_ip: string | null;
  @ApiProperty({ ...SHA256_HEX, description: "The previous row's hash (64 zeros for the first row)" })
  prev_hash: string;
  @ApiProperty(SHA256_HEX) hash: string;
}

export class AuditLogPageDto {
  @ApiProperty({ type: [AuditLogEntryDto], maxItems: 200, description: 'Newest first' })
  items: AuditLogEntryDto[];
  @ApiProperty({
    nullable: true,
    type: String,
    description: 'Send it as cursor for the next page; null on the last',
  })
  next_cursor: string | null;
}
