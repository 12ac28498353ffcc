import { AppError } from '../../../infrastructure/errors/app-error.js';

export const AuthErrors = {
  invalidCredentials: () => new AppError('AUTH.INVALID_CREDENTIALS', 401, 'Username or password is wrong'),
  accountDisabled: () => new AppError('AUTH.ACCOUNT_DISABLED', 403, 'This account is disabled'),
  playerBanned: (until: Date | null) =>
    new AppError(
      'AUTH.PLAYER_BANNED',
      403,
      until ? `This player is banned until ${until.toISOString()}` : 'This player is banned permanently',
    ),
  tokenExpired: () => new AppError('AUTH.TOKEN_EXPIRED', 401, 'The access token has expired'),
  tokenInvalid: () => new AppError('AUTH.TOKEN_INVALID', 401, 'The access token is invalid'),
  refreshInvalid: () => new AppError('AUTH.REFRESH_INVALID', 401, 'The refresh token is invalid or expired'),
  refreshRevoked: () =>
    new AppError(
      'AUTH.REFRESH_REVOKED',
      401,
      'This login was revoked (logout, ban or token reuse); log in again',
    ),
  refreshReused: () =>
    new AppError(
      'AUTH.REFRESH_REUSED',
      401,
      'This refresh token was already used; every session of this login has been revoked',
    ),
  usernameTaken: () => new AppError('AUTH.USERNAME_TAKEN', 409, 'That username is taken'),
  emailTaken: () => new AppError('AUTH.EMAIL_TAKEN', 409, 'That email is already registered'),
};
