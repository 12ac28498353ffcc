import { CommonErrors } from '../errors/common.errors.js';

/**
 * The row version a write names, from body.version and/or an If-Match header ("3", "\"3\"" or W/"3"); undefined
 * when neither is sent. A malformed header, or one that disagrees with the body, is a 400: a header the server
 * ignored would let a stale edit through.
 */
export function requestedVersion(
  bodyVersion: number | undefined,
  ifMatch: string | undefined,
): number | undefined {
  let headerVersion: number | undefined;
  if (ifMatch !== undefined) {
    const m = /^(?:W\/)?"?(\d{1,9})"?$/.exec(ifMatch.trim());
    if (!m) throw versionMismatch();
    headerVersion = Number(m[1]);
  }
  if (bodyVersion !== undefined && headerVersion !== undefined && bodyVersion !== headerVersion) {
    throw versionMismatch();
  }
  return bodyVersion ?? headerVersion;
}

const versionMismatch = () =>
  CommonErrors.validation('body.version and If-Match disagree', {
    version: ['disagrees with If-Match'],
  });
