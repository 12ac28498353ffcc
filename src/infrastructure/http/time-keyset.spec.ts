import { describe, expect, it } from '@jest/globals';
import { AppError } from '../errors/app-error.js';
import { decodeTimeCursor, encodeTimeCursor, keysetPage } from './time-keyset.js';

const id = '0b8b63cf-b729-48dc-8145-49434e1781f0';

describe('time keyset cursors', () => {
  it('round-trips a position, microseconds and id', () => {
    const cursor = encodeTimeCursor({ micros: '1796186271123456', id });
    expect(decodeTimeCursor(cursor)).toEqual({ micros: '1796186271123456', id });
  });

  it.each([
    ['not base64 of a position', 'nonsense'],
    ['an empty one', ''],
    ['a bad id', Buffer.from('1796186271123456.not-a-uuid').toString('base64url')],
    ['a bad time', Buffer.from(`12x.${id}`).toString('base64url')],
    ['an extra part', Buffer.from(`1.${id}.2`).toString('base64url')],
    ['a non-canonical encoding', `${encodeTimeCursor({ micros: '1', id })}=`],
  ])('refuses %s with a 400 naming cursor', (_, cursor) => {
    let err: unknown;
    try {
      decodeTimeCursor(cursor);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AppError);
    expect(err).toMatchObject({
      code: 'VALIDATION_FAILED',
      status: 400,
      details: { fields: { cursor: ['invalid'] } },
    });
  });

  it('gives next_cursor only when a row beyond the page was read, naming the page’s last row', () => {
    const rows = [1, 2, 3].map((n) => ({ n, cursor_micros: String(n), cursor_id: id }));
    expect(keysetPage(rows, 2)).toEqual({
      rows: [{ n: 1 }, { n: 2 }],
      next_cursor: encodeTimeCursor({ micros: '2', id }),
    });
    expect(keysetPage(rows, 3).next_cursor).toBeNull();
  });
});
