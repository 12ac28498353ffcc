import { Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { userFromClaims, type AccessTokenClaims, type AuthUser } from '../../modules/auth/domain/actor.js';
import { AuthErrors } from '../../modules/auth/domain/auth.errors.js';
import { JWT_AUDIENCE, JWT_ISSUER } from '../../modules/auth/guards/jwt.strategy.js';
import { CommonErrors } from '../errors/common.errors.js';

export interface VerifiedToken {
  user: AuthUser;
  expiresAt: number;
}

/** The HTTP JwtStrategy's rules (HS256 pinned, issuer, audience, expiry, claim shape) for socket handshakes. */
@Injectable()
export class WsAuthenticator {
  constructor(private readonly jwt: JwtService) {}

  verify(token: unknown): VerifiedToken {
    if (typeof token !== 'string' || token.length === 0) {
      throw CommonErrors.unauthorized('An access token is required (handshake auth.token)');
    }
    let claims: AccessTokenClaims & { exp?: number };
    try {
      claims = this.jwt.verify(token, {
        algorithms: ['HS256'],
        issuer: JWT_ISSUER,
        audience: JWT_AUDIENCE,
        ignoreExpiration: false,
      });
    } catch (err) {
      if ((err as { name?: string }).name === 'TokenExpiredError') throw AuthErrors.tokenExpired();
      throw AuthErrors.tokenInvalid();
    }
    const user = userFromClaims(claims);
    if (!user || typeof claims.exp !== 'number') throw AuthErrors.tokenInvalid();
    return { user, expiresAt: claims.exp * 1000 };
  }
}
