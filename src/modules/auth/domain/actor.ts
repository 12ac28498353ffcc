import type { Role } from './roles.js';

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
