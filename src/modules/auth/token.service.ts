import { Inject, Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import type { EntityManager } from 'typeorm';
import { randomUUID } from 'node:crypto';
import { APP_CONFIG, type AppConfig } from '../../config/app-config.js';
import type { AccessTokenClaims, AuthUser } from './domain/actor.js';
import { formatRefreshToken, newRefreshSecret } from './domain/refresh-token.js';
import { JWT_AUDIENCE, JWT_ISSUER } from './guards/jwt.strategy.js';

export interface TokenPair {
  access_token: string;
  refresh_token: string;
  token_type: 'Bearer';
  expires_in: number;
}

@Injectable()
export class TokenService {
  constructor(
    private readonly jwt: JwtService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  signAccess(user: AuthUser): string {
    const claims: AccessTokenClaims = {
      sub: user.userId,
      usr: user.username,
      role: user.role,
      pid: user.playerId,
    };
    return this.jwt.sign(claims, {
      algorithm: 'HS256',
      expiresIn: this.config.jwtAccessTtlSeconds,
      issuer: JWT_ISSUER,
      audience: JWT_AUDIENCE,
      jwtid: randomUUID(),
    });
  }

  /** Issues an access token and a refresh token in `familyId` (a new family for a fresh login). */
  async issue(manager: EntityManager, user: AuthUser, familyId: string = randomUUID()): Promise<TokenPair> {
    const { secret, hash } = newRefreshSecret();
    const [row] = await manager.query(
      `INSERT INTO refresh_tokens (user_id, family_id, token_hash, expires_at)
       VALUES ($1, $2, $3, now() + make_interval(secs => $4)) RETURNING id`,
      [user.userId, familyId, hash, this.config.refreshTtlSeconds],
    );
    return {
      access_token: this.signAccess(user),
      refresh_token: formatRefreshToken(row.id, secret),
      token_type: 'Bearer',
      expires_in: this.config.jwtAccessTtlSeconds,
    };
  }
}

/**
 * Revokes every live refresh token of a user (a ban, a changed password); returns how many. Its access tokens
 * still work until their TTL (JWT_ACCESS_TTL_SECONDS).
 */
export async function revokeRefreshTokens(m: EntityManager, userId: string | null): Promise<number> {
  if (!userId) return 0;
  const [, count] = await m.query(
    'UPDATE refresh_tokens SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL',
    [userId],
  );
  return count as number;
}
