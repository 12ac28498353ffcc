import { inputShapeProblem } from '../../../infrastructure/http/input-shape.js';
import { PlayersErrors } from './players.errors.js';

export const SORT_FIELDS = [
  'username',
  'credits',
  'last_login',
  'created_at',
  'risk_score',
  'activity_score',
] as const;
export type SortField = (typeof SORT_FIELDS)[number];
export type SortDirection = 'asc' | 'desc';
export interface SortSpec {
  field: SortField;
  direction: SortDirection;
}

/** Each sort's SQL expression and the cast that turns its text form back (keyset paging compares in SQL). */
const SORT_SQL: Record<SortField, { expr: string; cast: string }> = {
  username: { expr: 'p.username', cast: 'text' },
  credits: { expr: 'p.credits', cast: 'bigint' },
  last_login: { expr: "coalesce(p.last_login, '-infinity'::timestamptz)", cast: 'timestamptz' },
  created_at: { expr: 'p.created_at', cast: 'timestamptz' },
  risk_score: { expr: 'p.risk_score', cast: 'integer' },
  activity_score: { expr: 'p.activity_score', cast: 'integer' },
};

export const DEFAULT_SORT: SortSpec = { field: 'created_at', direction: 'desc' };

export function parseSort(raw: string | undefined): SortSpec | null {
  if (raw === undefined) return DEFAULT_SORT;
  const match = /^([a-z_]+)(?::(asc|desc))?$/.exec(raw);
  if (!match || !(SORT_FIELDS as readonly string[]).includes(match[1]!)) return null;
  return { field: match[1] as SortField, direction: (match[2] as SortDirection | undefined) ?? 'asc' };
}

export interface PlayerFilters {
  search?: string;
  status?: string;
  team_id?: string;
  min_credits?: number;
  max_credits?: number;
  min_risk?: number;
  max_risk?: number;
  min_activity?: number;
  max_activity?: number;
  last_login_after?: string;
  last_login_before?: string;
  created_after?: string;
  created_before?: string;
  sector?: number;
  online?: boolean;
}

export interface Keyset {
  value: string;
  id: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
  return UUID.test(value);
}

/**
 * The LIKE pattern a substring search probes the trigram index with: the search's letters and digits as they
 * are, every other character as `_` (any one character), so the pattern matches a superset of the rows that
 * contain the search. Keeping a separator literal ("frost-trader") makes pg_trgm add the padded trigrams of
 * the word boundaries ("st ", "  t"), which nearly every row has (every email's ".test" or ".com"): the index
 * scan then walks their whole posting lists (~625 index pages instead of ~160 for one player among 1M).
 * The exact match is checked on the rows found (see buildPlayerWhere).
 */
export function trigramPattern(text: string): string {
  return `%${text.replace(/[^\p{L}\p{N}]/gu, '_')}%`;
}

/** A SQL fragment and its positional parameters, appended to by the builders below. */
export class SqlWhere {
  readonly clauses: string[] = [];
  readonly params: unknown[] = [];

  param(value: unknown): string {
    this.params.push(value);
    return `$${this.params.length}`;
  }

  add(clause: string): void {
    this.clauses.push(clause);
  }

  toSql(): string {
    return this.clauses.length ? `WHERE ${this.clauses.join(' AND ')}` : '';
  }
}

/**
 * Turns validated filters into SQL over `players p`. `onlineIds` is who is online now (from presence),
 * needed only when the online filter is given. Every predicate has an index behind it (see the migration).
 */
export function buildPlayerWhere(f: PlayerFilters, onlineIds?: readonly string[]): SqlWhere {
  const w = new SqlWhere();
  if (f.search !== undefined) {
    if (isUuid(f.search)) w.add(`p.id = ${w.param(f.search)}::uuid`);
    else {
      // One trigram index over both fields (PlayersSearchTrigramIndex migration) finds the candidates, then
      // strpos keeps the rows whose username or email really contains the search (not indexable, so the
      // planner cannot add the exact pattern's trigrams back into the index scan). lower() on both sides in
      // SQL, so the case folding is the database's.
      const pattern = w.param(trigramPattern(f.search));
      const text = w.param(f.search);
      w.add(
        `(lower(p.username || ' ' || p.email) LIKE lower(${pattern})` +
          ` AND (strpos(lower(p.username), lower(${text})) > 0 OR strpos(lower(p.email), lower(${text})) > 0))`,
      );
    }
  }
  if (f.status !== undefined) w.add(`p.status = ${w.param(f.status)}`);
  if (f.team_id !== undefined) w.add(`p.team_id = ${w.param(f.team_id)}::uuid`);
  if (f.min_credits !== undefined) w.add(`p.credits >= ${w.param(f.min_credits)}`);
  if (f.max_credits !== undefined) w.add(`p.credits <= ${w.param(f.max_credits)}`);
  if (f.min_risk !== undefined) w.add(`p.risk_score >= ${w.param(f.min_risk)}`);
  if (f.max_risk !== undefined) w.add(`p.risk_score <= ${w.param(f.max_risk)}`);
  if (f.min_activity !== undefined) w.add(`p.activity_score >= ${w.param(f.min_activity)}`);
  if (f.max_activity !== undefined) w.add(`p.activity_score <= ${w.param(f.max_activity)}`);
  const lastLogin = SORT_SQL.last_login.expr;
  if (f.last_login_after !== undefined) w.add(`${lastLogin} >= ${w.param(f.last_login_after)}::timestamptz`);
  if (f.last_login_before !== undefined) {
    const before = w.param(f.last_login_before);
    // A player is created before it ever logs in, so created_at < before is implied. Stating it lets the
    // default created_at:desc index scan start at `before` instead of wading through every newer player
    // (the planner assumes last_login and created_at independent; at 1M players: 320 ms -> ~13 ms).
    w.add(
      `${lastLogin} < ${before}::timestamptz AND p.last_login IS NOT NULL AND p.created_at < ${before}::timestamptz`,
    );
  }
  if (f.created_after !== undefined) w.add(`p.created_at >= ${w.param(f.created_after)}::timestamptz`);
  if (f.created_before !== undefined) w.add(`p.created_at < ${w.param(f.created_before)}::timestamptz`);
  if (f.sector !== undefined) w.add(`p.current_sector = ${w.param(f.sector)}`);
  if (f.online !== undefined) {
    const ids = w.param(onlineIds ?? []);
    w.add(f.online ? `p.id = ANY(${ids}::uuid[])` : `NOT (p.id = ANY(${ids}::uuid[]))`);
  }
  return w;
}

/**
 * The filters each sort's index answers in order whatever their values: range filters on the sort column
 * itself, and under the default sort one sector or team (indexes on (current_sector, created_at, id) and
 * (team_id, created_at, id)). With only these (and a keyset cursor, which is on the sort index too) the best
 * plan walks that index and stops after a page, for every value.
 */
const SORT_INDEX_FILTERS: Record<SortField, readonly (keyof PlayerFilters)[]> = {
  username: [],
  credits: ['min_credits', 'max_credits'],
  last_login: ['last_login_after'],
  created_at: ['created_after', 'created_before', 'sector', 'team_id'],
  risk_score: ['min_risk', 'max_risk'],
  activity_score: ['min_activity', 'max_activity'],
};

/**
 * Whether one plan serves a first page (no offset) of these filters under this sort for every value, so it
 * may run as a prepared statement with a cached generic plan. An exact-id search is a primary key lookup
 * whatever else is asked. Any other filter (status, a substring search, online, last_login_before, which
 * also bounds created_at, or a column other than the sort's) is value-sensitive: a generic plan picked for
 * "walk the sort index and filter" would read the whole index for a rare value (a new team, a status
 * nobody has), where a plan made for that value collects the few matches and sorts them.
 */
export function hasValueIndependentPlan(f: PlayerFilters, sort: SortSpec): boolean {
  if (f.search !== undefined && isUuid(f.search)) return true;
  const allowed: readonly string[] = SORT_INDEX_FILTERS[sort.field];
  const used = Object.keys(appliedFilters(f));
  return used.every((k) => allowed.includes(k)) && !(f.sector !== undefined && f.team_id !== undefined);
}

/** Adds the keyset predicate (rows strictly after the cursor in sort order) and returns ORDER BY. */
export function applySort(
  w: SqlWhere,
  sort: SortSpec,
  after?: Keyset,
): { orderBy: string; sortExpr: string } {
  const { expr, cast } = SORT_SQL[sort.field];
  const op = sort.direction === 'asc' ? '>' : '<';
  if (after) w.add(`(${expr}, p.id) ${op} (${w.param(after.value)}::${cast}, ${w.param(after.id)}::uuid)`);
  const dir = sort.direction.toUpperCase();
  return { orderBy: `ORDER BY ${expr} ${dir}, p.id ${dir}`, sortExpr: expr };
}

export function encodeCursor(sort: SortSpec, keyset: Keyset): string {
  return Buffer.from(JSON.stringify([`${sort.field}:${sort.direction}`, keyset.value, keyset.id])).toString(
    'base64url',
  );
}

const INT_RANGE: Record<'bigint' | 'integer', [bigint, bigint]> = {
  bigint: [-(2n ** 63n), 2n ** 63n - 1n],
  integer: [-(2n ** 31n), 2n ** 31n - 1n],
};
/** The text form Postgres gives a timestamptz (DateStyle ISO), or an infinity (last_login's nulls). */
const TIMESTAMPTZ_TEXT =
  /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(?:\.\d{1,6})?[+-]\d{2}(?::\d{2}){0,2}$/;

/**
 * Whether a cursor's value is what the sort's column casts from (see SORT_SQL), as the server's own cursors
 * are: a base64 cursor is client input, and a value Postgres cannot cast (a date that does not exist, a number
 * past bigint, a NUL) must be the 400 of a bad cursor, not a failed statement.
 */
function isSortValue(field: SortField, value: string): boolean {
  const { cast } = SORT_SQL[field];
  if (cast === 'text') return value.length <= 1000 && inputShapeProblem(value) === null;
  if (cast === 'bigint' || cast === 'integer') {
    if (!/^-?\d{1,19}$/.test(value)) return false;
    const [min, max] = INT_RANGE[cast];
    return BigInt(value) >= min && BigInt(value) <= max;
  }
  if (value === 'infinity' || value === '-infinity') return true;
  const m = TIMESTAMPTZ_TEXT.exec(value);
  if (!m) return false;
  const [year, month, day, hour, minute, second] = m.slice(1).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const date = new Date(Date.UTC(year, month - 1, day));
  return (
    year >= 1 &&
    date.getUTCMonth() === month - 1 &&
    date.getUTCDate() === day &&
    hour <= 23 &&
    minute <= 59 &&
    second <= 59
  );
}

/** Throws a 400 when the cursor is malformed or was issued for another sort. */
export function decodeCursor(cursor: string, sort: SortSpec): Keyset {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (
      Array.isArray(parsed) &&
      parsed.length === 3 &&
      parsed[0] === `${sort.field}:${sort.direction}` &&
      typeof parsed[1] === 'string' &&
      isSortValue(sort.field, parsed[1]) &&
      typeof parsed[2] === 'string' &&
      isUuid(parsed[2])
    ) {
      return { value: parsed[1], id: parsed[2] };
    }
  } catch {
    // fall through to the 400
  }
  throw PlayersErrors.invalidCursor();
}

/** The filters actually applied, echoed back to the console (undefined ones dropped). */
export function appliedFilters(f: PlayerFilters): Record<string, unknown> {
  return Object.fromEntries(Object.entries(f).filter(([, v]) => v !== undefined));
}
