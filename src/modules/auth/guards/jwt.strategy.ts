import { createSecretKey } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { APP_CONFIG, type AppConfig } from '../../../config/app-config.js';
import { userFromClaims, type AccessTokenClaims, type AuthUser } from '../domain/actor.js';
import { AuthErrors } from '../domain/auth.errors.js';

export const JWT_ISSUER = 'sectorwars-gameserver';
export const JWT_AUDIENCE = 'sectorwars-clients';

/**
 * The HS256 secret as a KeyObject, for every signer and verifier (passport here, JwtService for sockets and
 * token issue): given a string, jsonwebtoken 9 first tries (and fails) to parse it as a public key on every
 * verify, which cost ~13% of the server's CPU under HTTP load and ~5% on socket handshakes.
 */
export function jwtSecretKey(secret: string): string {
  // Typed as a string for the libraries' option types; jsonwebtoken accepts KeyObjects at runtime.
  return createSecretKey(Buffer.from(secret)) as unknown as string;
}

@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      secretOrKey: jwtSecretKey(config.jwtSecret),
      algorithms: ['HS256'], // pinned: no "none", no key confusion
      issuer: JWT_ISSUER,
      audience: JWT_AUDIENCE,
      ignoreExpiration: false,
    });
  }

  validate(claims: AccessTokenClaims & { exp?: unknown }): AuthUser {
    const user = userFromClaims(claims);
    // jsonwebtoken lets a token without exp live for ever; the server never issues one, so none is taken.
    if (!user || typeof claims.exp !== 'number') throw AuthErrors.tokenInvalid();
    return user;
  }
}
