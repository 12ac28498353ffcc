import { applyDecorators } from '@nestjs/common';
import { Transform } from 'class-transformer';
import {
  IsInt,
  isISO8601,
  IsString,
  isUUID,
  IsUUID,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  registerDecorator,
  ValidateIf,
  type ValidationOptions,
} from 'class-validator';

/** The largest value of a Postgres integer (int4) column: sector ids, versions. */
export const INT4_MAX = 2_147_483_647;

/**
 * An optional field: only an absent one (undefined) skips validation. Unlike class-validator's @IsOptional(),
 * an explicit null is validated, so the field's type rules refuse it: a client that sends null for "unset"
 * gets a 400 naming the field, instead of null meaning "absent" to one check and something else to the next
 * (`dry_run: null` ran a real bulk operation, `email: null` stored "null").
 */
export function Optional(): PropertyDecorator {
  return ValidateIf((_object: object, value: unknown) => value !== undefined);
}

/**
 * An optional field where null means something of its own (leave the team, a ban without end, unassign):
 * undefined and null both skip validation, and the handler tells them apart. Use only where it does.
 */
export function Nullable(): PropertyDecorator {
  return ValidateIf((_object: object, value: unknown) => value !== undefined && value !== null);
}

/** Digits only, with an optional minus: what a query integer may look like (16 digits is past 2^53 already). */
const INTEGER_TEXT = /^-?\d{1,16}$/;

/**
 * Turns a query string of digits into a number and leaves anything else as it is, for @IsInt() to refuse.
 * Replaces @Type(() => Number), which reads '' and ' ' as 0, '0x10' as 16 and '1e2' as 100. Numbers (the
 * same DTOs validate JSON bodies, e.g. a bulk-operation filter) pass through.
 */
export function IntFromQuery(): PropertyDecorator {
  return Transform(({ value }: { value: unknown }) =>
    typeof value === 'string' && INTEGER_TEXT.test(value) ? Number(value) : value,
  );
}

/**
 * A bigserial row id in a query string (audit rows): digits only (see IntFromQuery), 1 or more, and at most
 * 2^53 - 1, the largest id a JS number still holds exactly (a larger one would silently name another row).
 */
export function IsSerialId(): PropertyDecorator {
  return applyDecorators(IntFromQuery(), IsInt(), Min(1), Max(Number.MAX_SAFE_INTEGER));
}

/** @ApiProperty options of an IsSerialId field: the bounds it enforces. */
export const SERIAL_ID = { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER } as const;

/**
 * A calendar date, or date and time to the minute or finer, with Z or a ±HH:MM offset, in the extended
 * format only. isISO8601 alone also takes '2026', '2026-01', week and ordinal dates, '+02' and a leading
 * sign on the year, which Date.parse or Postgres (`::timestamptz`) cannot read; Postgres also refuses offsets
 * past 15:59.
 */
const TIMESTAMP_SHAPE =
  /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:[Zz]|[+-](?:0\d|1[0-5]):[0-5]\d)?)?$/;
const EARLIEST = Date.parse('0001-01-01T00:00:00Z');
const LATEST = Date.parse('9999-12-31T23:59:59.999Z');

/**
 * True for a timestamp every reader of it agrees on: the shape above, a real calendar date and time
 * (isISO8601 strict: no February 30th, no hour 25), and an instant from year 1 to 9999 once its offset is
 * applied (so its ISO string has a four-digit year and no sign).
 */
export function isTimestamp(value: unknown): value is string {
  if (typeof value !== 'string' || !TIMESTAMP_SHAPE.test(value)) return false;
  if (!isISO8601(value, { strict: true, strictSeparator: true })) return false;
  const at = Date.parse(value);
  return Number.isFinite(at) && at >= EARLIEST && at <= LATEST;
}

/** A date field: an ISO 8601 timestamp (see isTimestamp); use it instead of @IsISO8601() on every one. */
export function IsTimestamp(options?: ValidationOptions): PropertyDecorator {
  return (target: object, propertyName: string | symbol) =>
    registerDecorator({
      name: 'isTimestamp',
      target: target.constructor,
      propertyName: String(propertyName),
      options: {
        message: `${String(propertyName)} must be an ISO 8601 date or date-time (e.g. 2026-01-31T12:00:00Z), years 0001-9999`,
        ...options,
      },
      validator: { validate: (value: unknown) => isTimestamp(value) },
    });
}

/**
 * A timestamp that is still ahead (a ban's end). Only judges what isTimestamp accepts, so a malformed value
 * is reported once, by IsTimestamp.
 */
export function IsFutureTimestamp(options?: ValidationOptions): PropertyDecorator {
  return (target: object, propertyName: string | symbol) =>
    registerDecorator({
      name: 'isFutureTimestamp',
      target: target.constructor,
      propertyName: String(propertyName),
      options: { message: `${String(propertyName)} must be in the future`, ...options },
      validator: { validate: (value: unknown) => !isTimestamp(value) || Date.parse(value) > Date.now() },
    });
}

function lowerCased(value: unknown): unknown {
  if (typeof value === 'string') return value.toLowerCase();
  if (Array.isArray(value)) return value.map((v: unknown) => (typeof v === 'string' ? v.toLowerCase() : v));
  return value;
}

/**
 * An id field (a UUID, or with `{each: true}` an array of them), lower-cased before it is validated: Postgres
 * compares uuids in any case, but the handlers' own comparisons, maps and Socket.IO rooms compare text, so an
 * id in capitals must reach them as the one the server hands out (a transfer to a player's id in capitals was
 * a 404, a same-player check let it through).
 */
export function IsId(options?: ValidationOptions): PropertyDecorator {
  const lower = Transform(({ value }: { value: unknown }) => lowerCased(value));
  const uuid = IsUUID('all', options);
  return (target: object, propertyName: string | symbol) => {
    lower(target, propertyName);
    uuid(target, propertyName);
  };
}

/**
 * A field that may hold an id or other text (an audit target: a player id, a route, a commodity): a UUID is
 * lower-cased as IsId does, since the server stores and hands out ids in lower case; anything else is left
 * as it is.
 */
export function LowerCaseIfId(): PropertyDecorator {
  return Transform(({ value }: { value: unknown }) =>
    typeof value === 'string' && isUUID(value) ? value.toLowerCase() : value,
  );
}

/**
 * The `reason` of an admin change, recorded in the audit log: trimmed, then 3 to 500 characters with at least
 * one letter or digit, and no control characters but tabs and line breaks. "   " or "..." is no reason, and an
 * auditor months later must find one, not an escape sequence that rewrites their terminal.
 */
export function IsReason(): PropertyDecorator {
  const decorators = [
    Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value)),
    IsString(),
    MinLength(3),
    MaxLength(500),
    Matches(/[\p{L}\p{N}]/u, { message: 'reason must say why (letters or digits, not only punctuation)' }),
    // eslint-disable-next-line no-control-regex -- finding control characters is the point
    Matches(/^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]*$/u, {
      message: 'reason must not contain control characters (tabs and line breaks are fine)',
    }),
  ];
  return (target: object, propertyName: string | symbol) => {
    for (const decorate of decorators) decorate(target, propertyName);
  };
}
