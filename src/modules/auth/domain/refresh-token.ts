import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** A refresh token on the wire is `<row id>.<secret>`; only sha256(secret) is stored. */
export function newRefreshSecret(): { secret: string; hash: string } {
  const secret = randomBytes(32).toString('base64url');
  return { secret, hash: sha256(secret) };
}

export function formatRefreshToken(id: string, secret: string): string {
  return `${id}.${secret}`;
}

/** The row id is a UUID as Postgres prints it: anything else is no token of ours, not a statement that fails. */
export function parseRefreshToken(token: string): { id: string; secret: string } | null {
  const match =
    /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.([A-Za-z0-9_-]{20,100})$/.exec(token);
  return match ? { id: match[1]!, secret: match[2]! } : null;
}

export function secretMatches(secret: string, storedHash: string): boolean {
  const a = Buffer.from(sha256(secret), 'hex');
  const b = Buffer.from(storedHash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}

function sha256(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}
