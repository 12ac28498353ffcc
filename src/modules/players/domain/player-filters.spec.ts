import { describe, expect, it } from '@jest/globals';
import {
  applySort,
  buildPlayerWhere,
  decodeCursor,
  encodeCursor,
  hasValueIndependentPlan,
  parseSort,
  trigramPattern,
  type SortField,
} from './player-filters.js';
import { AppError } from '../../../infrastructure/errors/app-error.js';

describe('player filters', () => {
  it('parses sort=field:dir and rejects unknown fields', () => {
    expect(parseSort('credits:desc')).toEqual({ field: 'credits', direction: 'desc' });
    expect(parseSort('username')).toEqual({ field: 'username', direction: 'asc' });
    expect(parseSort(undefined)).toEqual({ field: 'created_at', direction: 'desc' });
    expect(parseSort('password:asc')).toBeNull();
    expect(parseSort('credits:sideways')).toBeNull();
  });

  it('probes the trigram index with letters and digits only, anything else as a one-character wildcard', () => {
    expect(trigramPattern('frost-Trader82')).toBe('%frost_Trader82%');
    expect(trigramPattern('A_b%c\\ é1')).toBe('%A_b_c__é1%');
  });

  it('searches by exact id when given a uuid, else by substring of username or email', () => {
    const id = '0b6f1a7e-3c1d-4a53-9d43-3f5a1f1f0c11';
    const byId = buildPlayerWhere({ search: id });
    expect(byId.clauses).toEqual(['p.id = $1::uuid']);
    expect(byId.params).toEqual([id]);
    const bySubstring = buildPlayerWhere({ search: 'Nova' });
    expect(bySubstring.clauses[0]).toBe(
      "(lower(p.username || ' ' || p.email) LIKE lower($1)" +
        ' AND (strpos(lower(p.username), lower($2)) > 0 OR strpos(lower(p.email), lower($2)) > 0))',
    );
    expect(bySubstring.params).toEqual(['%Nova%', 'Nova']);
  });

  it('numbers parameters in order across every filter', () => {
    const w = buildPlayerWhere(
      { status: 'active', min_credits: 10, max_credits: 20, sector: 3, online: true },
      ['x'],
    );
    expect(w.params).toEqual(['active', 10, 20, 3, ['x']]);
    expect(w.toSql()).toBe(
      'WHERE p.status = $1 AND p.credits >= $2 AND p.credits <= $3 AND p.current_sector = $4 AND p.id = ANY($5::uuid[])',
    );
  });

  it('pages by keyset in the sort direction with the id as tie-breaker', () => {
    const w = buildPlayerWhere({});
    const sort = { field: 'credits' as const, direction: 'desc' as const };
    const cursor = encodeCursor(sort, { value: '500', id: '0b6f1a7e-3c1d-4a53-9d43-3f5a1f1f0c11' });
    const { orderBy } = applySort(w, sort, decodeCursor(cursor, sort));
    expect(w.clauses).toEqual(['(p.credits, p.id) < ($1::bigint, $2::uuid)']);
    expect(orderBy).toBe('ORDER BY p.credits DESC, p.id DESC');
  });

  it('rejects a cursor made for another sort, or garbage', () => {
    const cursor = encodeCursor(
      { field: 'credits', direction: 'desc' },
      { value: '1', id: '0b6f1a7e-3c1d-4a53-9d43-3f5a1f1f0c11' },
    );
    expect(() => decodeCursor(cursor, { field: 'credits', direction: 'asc' })).toThrow(AppError);
    expect(() => decodeCursor('not-a-cursor', { field: 'credits', direction: 'asc' })).toThrow(AppError);
  });

  it('takes a cursor value only in the form its sort column casts from', () => {
    const id = '0b6f1a7e-3c1d-4a53-9d43-3f5a1f1f0c11';
    const round = (field: SortField, value: string) => {
      const sort = { field, direction: 'asc' as const };
      return decodeCursor(encodeCursor(sort, { value, id }), sort).value;
    };
    for (const value of [
      '2026-12-02 04:39:29.936+00',
      '2024-02-29 23:59:59+05:30',
      '1890-01-01 00:00:00-00:53:28',
    ])
      expect(round('created_at', value)).toBe(value);
    expect(round('last_login', '-infinity')).toBe('-infinity');
    expect(round('credits', '-9223372036854775808')).toBe('-9223372036854775808');
    expect(round('risk_score', '2147483647')).toBe('2147483647');
    expect(round('username', "o'brien; --")).toBe("o'brien; --");
    for (const [field, value] of [
      ['created_at', '2025-02-29 00:00:00+00'],
      ['created_at', '2026-12-02T04:39:29Z'],
      ['credits', '9223372036854775808'],
      ['credits', '1.5'],
      ['risk_score', '2147483648'],
      ['username', 'a\u0000b'],
    ] as const)
      expect(() => round(field, value)).toThrow(AppError);
  });

  it('caches plans only where the sort index answers every filter, whatever the values', () => {
    const byCreated = { field: 'created_at' as const, direction: 'desc' as const };
    const byCredits = { field: 'credits' as const, direction: 'desc' as const };
    const team = '0b6f1a7e-3c1d-4a53-9d43-3f5a1f1f0c11';
    expect(hasValueIndependentPlan({}, byCreated)).toBe(true);
    expect(hasValueIndependentPlan({ sector: 517, created_after: '2026-01-01' }, byCreated)).toBe(true);
    expect(hasValueIndependentPlan({ team_id: team }, byCreated)).toBe(true);
    expect(hasValueIndependentPlan({ min_credits: 5, max_credits: 9 }, byCredits)).toBe(true);
    expect(hasValueIndependentPlan({ search: team, status: 'banned' }, byCredits)).toBe(true);
    // Value-sensitive: a status, a substring search, a filter off the sort column, two prefixes, online.
    expect(hasValueIndependentPlan({ status: 'banned' }, byCreated)).toBe(false);
    expect(hasValueIndependentPlan({ search: 'rider' }, byCreated)).toBe(false);
    expect(hasValueIndependentPlan({ team_id: team }, { field: 'username', direction: 'asc' })).toBe(false);
    expect(hasValueIndependentPlan({ min_credits: 5 }, byCreated)).toBe(false);
    expect(hasValueIndependentPlan({ sector: 1, team_id: team }, byCreated)).toBe(false);
    expect(hasValueIndependentPlan({ last_login_before: '2026-01-01' }, byCreated)).toBe(false);
    expect(hasValueIndependentPlan({ online: true }, byCreated)).toBe(false);
  });
});
