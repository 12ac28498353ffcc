import { applyDecorators } from '@nestjs/common';
import {
  ApiExtraModels,
  ApiProperty,
  ApiPropertyOptional,
  ApiResponse,
  getSchemaPath,
} from '@nestjs/swagger';

/**
 * The DESIGN.md error body, as every 4xx and 5xx carries it. A code may add details of its own beside these
 * (`valid_commodities`, `needed`, `current_version`, ...): the schema allows other properties (see
 * openErrorBodySchema).
 */
export class ErrorBodyDto {
  @ApiProperty({ description: 'Stable code, e.g. VALIDATION_FAILED or TRADING.INSUFFICIENT_CREDITS' })
  error: string;

  @ApiProperty({ description: 'What went wrong, for people' })
  detail: string;

  @ApiProperty({ format: 'date-time' })
  timestamp: string;

  @ApiPropertyOptional({
    description: 'VALIDATION_FAILED: the messages for each bad field, by field name',
    type: 'object',
    additionalProperties: { type: 'array', items: { type: 'string' } },
  })
  fields?: Record<string, string[]>;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    description: '429 and 503: when to try again (also the Retry-After header)',
  })
  retry_after_seconds?: number;
}

/** Extra details per code live beside the documented fields: a generated client must not refuse them. */
export function openErrorBodySchema(doc: { components?: { schemas?: Record<string, object> } }): void {
  const schemas = doc.components?.schemas;
  const schema = schemas?.[ErrorBodyDto.name];
  if (schemas && schema) schemas[ErrorBodyDto.name] = { ...schema, additionalProperties: true };
}

export const ERROR_BODY_SCHEMA = { $ref: getSchemaPath(ErrorBodyDto) };

/** Answers every route can give (documented globally; a route listing one of these statuses restates it). */
export const BAD_INPUT =
  '`VALIDATION_FAILED` (`fields` names each bad field: a wrong type, a value out of range, a missing or unknown ' +
  'field or query parameter, a null where none is taken), `MALFORMED_JSON`, `BAD_REQUEST`.';
export const RATE_LIMITED =
  '`RATE_LIMITED`: too many requests; `retry_after_seconds` in the body and a `Retry-After` header.';
export const UNAVAILABLE =
  '`DATABASE_UNAVAILABLE` (Postgres unreachable, restarting or silent), `DATABASE_BUSY` (no pooled ' +
  'connection came free in time), `DATABASE_TIMEOUT` (a statement ran past DB_STATEMENT_TIMEOUT_MS: a held lock, ' +
  'a heavy load; nothing was written), `DATABASE_READ_ONLY` or `DATABASE_DISK_FULL` (a write the database cannot ' +
  'take now: a standby during a failover, no disk space; nothing was written); `PRESENCE.UNAVAILABLE` for a ' +
  'read that filters by who is online while Redis is away: retry after `retry_after_seconds` (also the ' +
  '`Retry-After` header). ' +
  'A trade, or an admin write that takes one, sent again with the same Idempotency-Key runs at most once.';
/** A route that needs a bearer token. */
export const UNAUTHENTICATED =
  '`AUTH.UNAUTHORIZED` (no token), `AUTH.TOKEN_INVALID`, `AUTH.TOKEN_EXPIRED`: log in or refresh.';

/** A staff route's permission check (@RequirePermissions). */
export const FORBIDDEN = '`AUTH.FORBIDDEN`: your role lacks the permission (the attempt is audited).';

type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 422 | 423 | 503;

/**
 * Documents a route's error answers, each status with the codes it can carry and the error body's schema. The
 * global ones (400, 429, 503) need restating only to add codes of the route's own.
 */
export function ApiErrors(errors: Partial<Record<ErrorStatus, string>>) {
  return applyDecorators(
    ApiExtraModels(ErrorBodyDto),
    ...Object.entries(errors).map(([status, description]) =>
      ApiResponse({ status: Number(status), description, schema: ERROR_BODY_SCHEMA }),
    ),
  );
}
