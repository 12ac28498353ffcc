import { isUUID } from 'class-validator';
import { isRole, type Role } from './roles.js';

/** The authenticated user as the JWT states it. */
export interface AuthUser {
  userId: string;
  username: string;
  role: Role;
  playerId: string | null;
}

/** Who is acting, with the request facts the audit log records. Commands carry it explicitly. */
export interface Actor extends AuthUser {
  requestId: string;
  ip: string;
}

export interface AccessTokenClaims {
  sub: string;
  usr: string;
  role: Role;
  pid: string | null;
}

/**
 * The user an access token's verified claims name, or null when they are not of the shape this server issues
 * (ids are UUIDs, a known role): a malformed claim is a refused token, not a database error further on.
 */
export function userFromClaims(claims: Partial<Record<keyof AccessTokenClaims, unknown>>): AuthUser | null {
  const { sub, usr, role, pid } = claims;
  if (typeof sub !== 'string' || !isUUID(sub) || !isRole(role)) return null;
  if (pid !== undefined && pid !== null && (typeof pid !== 'string' || !isUUID(pid))) return null;
  return { userId: sub, username: typeof usr === 'string' ? usr : '', role, playerId: pid ?? null };
}
