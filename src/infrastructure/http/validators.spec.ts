import { describe, expect, it } from '@jest/globals';
import { plainToInstance } from 'class-transformer';
import { IsBoolean, IsInt, Max, Min, validateSync } from 'class-validator';
import {
  INT4_MAX,
  IntFromQuery,
  IsId,
  IsFutureTimestamp,
  IsTimestamp,
  isTimestamp,
  Nullable,
  Optional,
} from './validators.js';

class Sample {
  @Optional() @IsBoolean() flag?: boolean;
  @Nullable() @IsId() team?: string | null;
  @Optional() @IntFromQuery() @IsInt() @Min(0) @Max(INT4_MAX) n?: number;
  @Optional() @IsTimestamp() at?: string;
  @Nullable() @IsTimestamp() @IsFutureTimestamp() until?: string | null;
}

/** The names of the fields that fail, as the validation pipe reports them. */
function failing(plain: Record<string, unknown>): string[] {
  return validateSync(plainToInstance(Sample, plain)).map((e) => e.property);
}

const parsed = (plain: Record<string, unknown>) => plainToInstance(Sample, plain);

describe('Optional and Nullable', () => {
  it('skip an absent field', () => {
    expect(failing({})).toEqual([]);
    expect(failing({ flag: undefined, team: undefined })).toEqual([]);
  });

  it('Optional validates an explicit null, so the type rule refuses it', () => {
    expect(failing({ flag: null })).toEqual(['flag']);
    expect(failing({ n: null })).toEqual(['n']);
    expect(failing({ at: null })).toEqual(['at']);
    expect(failing({ flag: false })).toEqual([]);
  });

  it('Nullable lets null through (it means something) and still validates a value', () => {
    expect(failing({ team: null, until: null })).toEqual([]);
    expect(failing({ team: 'not-a-uuid' })).toEqual(['team']);
    expect(failing({ team: '0b7e6f4c-3f7c-4c55-9a53-5a4d3f0f7c11' })).toEqual([]);
  });
});

describe('IntFromQuery', () => {
  it('turns plain digit strings into numbers', () => {
    expect(parsed({ n: '42' }).n).toBe(42);
    expect(parsed({ n: '007' }).n).toBe(7);
    expect(failing({ n: '2147483647' })).toEqual([]);
  });

  it('leaves every other string as it is, for IsInt to refuse', () => {
    for (const bad of [
      '',
      ' ',
      '0x10',
      '1e2',
      '%20',
      '1.5',
      '+1',
      ' 1',
      '1 ',
      'NaN',
      'Infinity',
      '12345678901234567',
    ]) {
      expect(parsed({ n: bad }).n).toBe(bad);
      expect(failing({ n: bad })).toEqual(['n']);
    }
  });

  it('passes real numbers through (the same DTOs validate JSON bodies) and keeps the bounds', () => {
    expect(parsed({ n: 5 }).n).toBe(5);
    expect(failing({ n: 1.5 })).toEqual(['n']);
    expect(failing({ n: -1 })).toEqual(['n']);
    expect(failing({ n: '2147483648' })).toEqual(['n']);
    expect(failing({ n: ['1', '2'] })).toEqual(['n']);
  });
});

describe('isTimestamp', () => {
  it('accepts dates and date-times in the extended format', () => {
    for (const ok of [
      '2026-01-01',
      '2026-01-01T00:00Z',
      '2026-01-01T12:34:56Z',
      '2026-01-01T12:34:56.789Z',
      '2026-01-01T12:34:56.123456789z',
      '2026-01-01T12:34:56+02:00',
      '2026-01-01T12:34:56-15:59',
      '2026-01-01T12:34:56',
      '2024-02-29T00:00:00Z',
      '9999-12-31T23:59:59Z',
    ]) {
      expect([ok, isTimestamp(ok)]).toEqual([ok, true]);
    }
  });

  it('refuses a sign, an extended year or a year outside 0001-9999', () => {
    for (const bad of [
      '-2026-01-01T00:00:00Z',
      '+2026-01-01T00:00:00Z',
      '+02026-01-01T00:00:00Z',
      '+275760-09-13T00:00:00Z',
      '0000-01-01T00:00:00Z',
      '10000-01-01T00:00:00Z',
      '9999-12-31T23:59:59-01:00', // year 10000 in UTC
    ]) {
      expect([bad, isTimestamp(bad)]).toEqual([bad, false]);
    }
  });

  it('refuses what Date.parse or Postgres cannot read, and impossible dates', () => {
    for (const bad of [
      '2026',
      '2026-01',
      '2026-W01',
      '2026-001',
      '20260101',
      '2026-01-01T00Z',
      '2026-01-01 00:00:00Z',
      '2026-01-01T00:00:00+02',
      '2026-01-01T00:00:00+0200',
      '2026-01-01T00:00:00+16:00', // past Postgres' largest offset
      '2026-02-30T00:00:00Z',
      '2026-13-01',
      '2026-01-01T25:00:00Z',
      '2026-01-01T24:00:00Z',
      'yesterday',
      '',
    ]) {
      expect([bad, isTimestamp(bad)]).toEqual([bad, false]);
    }
  });

  it('refuses anything that is not a string', () => {
    for (const bad of [null, undefined, 0, 1767225600000, new Date(), ['2026-01-01'], {}]) {
      expect(isTimestamp(bad)).toBe(false);
    }
  });
});

describe('IsTimestamp and IsFutureTimestamp', () => {
  it('name the field', () => {
    const [error] = validateSync(plainToInstance(Sample, { at: '-2026-01-01T00:00:00Z' }));
    expect(error?.property).toBe('at');
    expect(Object.keys(error?.constraints ?? {})).toEqual(['isTimestamp']);
  });

  it('refuses a moment already past, and reports a malformed one only as malformed', () => {
    expect(failing({ until: new Date(Date.now() + 3600_000).toISOString() })).toEqual([]);
    const [past] = validateSync(plainToInstance(Sample, { until: '1970-01-01T00:00:00Z' }));
    expect(Object.keys(past?.constraints ?? {})).toEqual(['isFutureTimestamp']);
    const [bad] = validateSync(plainToInstance(Sample, { until: 'soon' }));
    expect(Object.keys(bad?.constraints ?? {})).toEqual(['isTimestamp']);
  });
});

describe('IsId', () => {
  class Ids {
    @IsId() one: string;
    @Optional() @IsId({ each: true }) many?: string[];
  }
  const id = '0F8FAD5B-D9CB-469F-A165-70867728950E';

  it('lower-cases a UUID (and each of an array) before it reaches the handler', () => {
    const dto = plainToInstance(Ids, { one: id, many: [id, id.toLowerCase()] });
    expect(validateSync(dto)).toEqual([]);
    expect(dto).toEqual({ one: id.toLowerCase(), many: [id.toLowerCase(), id.toLowerCase()] });
  });

  it('still refuses what is not a UUID', () => {
    const errors = validateSync(plainToInstance(Ids, { one: 'NOT-A-UUID', many: [id, 7] }));
    expect(errors.map((e) => e.property)).toEqual(['one', 'many']);
  });
});
