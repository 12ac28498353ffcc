import { describe, expect, it } from '@jest/globals';
import { requestedVersion } from './if-match.js';

describe('requestedVersion', () => {
  it('reads the body, the header (plain, quoted or weak) or both when they agree', () => {
    expect(requestedVersion(undefined, undefined)).toBeUndefined();
    expect(requestedVersion(4, undefined)).toBe(4);
    for (const h of ['4', '"4"', 'W/"4"', ' "4" ']) expect(requestedVersion(undefined, h)).toBe(4);
    expect(requestedVersion(4, '"4"')).toBe(4);
  });

  it('refuses a malformed header or one that disagrees with the body', () => {
    for (const h of ['', 'abc', '*', '"4", "5"', '-1', '1234567890']) {
      expect(() => requestedVersion(undefined, h)).toThrow(
        expect.objectContaining({ code: 'VALIDATION_FAILED' }),
      );
    }
    expect(() => requestedVersion(4, '5')).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
  });
});
