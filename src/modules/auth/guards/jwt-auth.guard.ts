import { type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import { IS_PUBLIC } from '../decorators.js';
import { AuthErrors } from '../domain/auth.errors.js';
import { CommonErrors } from '../../../infrastructure/errors/common.errors.js';

/** Global: every HTTP route needs a valid access token unless marked @Public(). */
@Injectable()
export class JwtAuthGuard extends AuthGuard('jwt') {
  constructor(private readonly reflector: Reflector) {
    super();
  }

  override canActivate(context: ExecutionContext) {
    if (context.getType() !== 'http') return true;
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (isPublic) return true;
    return super.canActivate(context);
  }

  override handleRequest<T>(err: unknown, user: T, info: unknown): T {
    if (err) throw err;
    if (!user) {
      const name = (info as { name?: string } | undefined)?.name;
      if (name === 'TokenExpiredError') throw AuthErrors.tokenExpired();
      if (name === 'JsonWebTokenError' || name === 'NotBeforeError') throw AuthErrors.tokenInvalid();
      throw CommonErrors.unauthorized('An access token is required (Authorization: Bearer <token>)');
    }
    return user;
  }
}
