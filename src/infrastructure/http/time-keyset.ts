import { isUUID } from 'class-validator';
import { CommonErrors } from '../errors/common.errors.js';

/**
 * Keyset paging over rows listed newest first by (a timestamptz column, a uuid id): the cursor names the last
 * row of a page, and the next page is the rows strictly after it in that order. Unlike an offset, rows added at
 * the top while a client pages (a new trade) neither repeat on the next page nor push one off it. The time is
 * carried as microseconds since the epoch, the column's own precision, so no row shares its position by rounding.
 */
export interface TimeKeyset {
  micros: string;
  id: string;
}

/** SQL for a row's place in the order (cursor_micros, cursor_id): select it beside the row for next_cursor. */
export const keysetColumnsSql = (timeColumn: string, idColumn: string) =>
  `(extract(epoch FROM ${timeColumn}) * 1000000)::bigint::text AS cursor_micros, ${idColumn} AS cursor_id`;

/**
 * A page's WHERE and parameters: `filter` (over `params`) and, with a cursor, only the rows after it. Without one,
 * the page is read from its offset.
 */
export function afterCursor(
  cursor: string | undefined,
  filter: string,
  params: unknown[],
  timeColumn: string,
  idColumn: string,
): { where: string; params: unknown[]; keyset: boolean } {
  if (cursor === undefined) return { where: filter, params, keyset: false };
  const { micros, id } = decodeTimeCursor(cursor);
  const [m, i] = [`$${params.length + 1}`, `$${params.length + 2}`];
  return {
    where: `${filter} AND (${timeColumn}, ${idColumn}) < (timestamptz 'epoch' + ${m}::bigint * interval '1 microsecond', ${i}::uuid)`,
    params: [...params, micros, id],
    keyset: true,
  };
}

export function encodeTimeCursor(k: TimeKeyset): string {
  return Buffer.from(`${k.micros}.${k.id}`, 'utf8').toString('base64url');
}

/** The cursor's keyset, or a 400 VALIDATION_FAILED naming `cursor`. */
export function decodeTimeCursor(cursor: string): TimeKeyset {
  const [micros, id, extra] = Buffer.from(cursor, 'base64url').toString('utf8').split('.');
  if (
    extra !== undefined ||
    !/^-?\d{1,17}$/.test(micros ?? '') ||
    !isUUID(id ?? '') ||
    encodeTimeCursor({ micros: micros!, id: id! }) !== cursor
  )
    throw CommonErrors.validation('cursor is invalid: send the next_cursor of the previous page', {
      cursor: ['invalid'],
    });
  return { micros: micros!, id: id!.toLowerCase() };
}

/**
 * One page: `rows` holds up to limit + 1 rows read after the cursor (or from the offset); the extra one only says
 * there is more, and next_cursor names the page's last row.
 */
export function keysetPage<R extends KeysetRow>(
  rows: R[],
  limit: number,
): { rows: Array<Omit<R, keyof KeysetRow>>; next_cursor: string | null } {
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return {
    rows: page.map(({ cursor_micros: _m, cursor_id: _i, ...row }) => row),
    next_cursor:
      rows.length > limit && last
        ? encodeTimeCursor({ micros: last.cursor_micros, id: last.cursor_id })
        : null,
  };
}

export interface KeysetRow {
  cursor_micros: string;
  cursor_id: string;
}
