import { AppError } from '../../../infrastructure/errors/app-error.js';

export const PlayersErrors = {
  notFound: () => new AppError('PLAYERS.NOT_FOUND', 404, 'Player not found'),
  versionConflict: (current: number, given: number) =>
    new AppError(
      'PLAYERS.VERSION_CONFLICT',
      409,
      `The player changed since you read it (your version ${given}, now ${current}); reload and retry`,
      { current_version: current },
    ),
  versionRequired: () =>
    new AppError(
      'PLAYERS.VERSION_REQUIRED',
      428,
      'Send the player version you edited (body.version or If-Match)',
    ),
  nothingToUpdate: () => new AppError('PLAYERS.NOTHING_TO_UPDATE', 400, 'Name at least one field to change'),
  teamNotFound: () =>
    new AppError('PLAYERS.TEAM_NOT_FOUND', 400, 'team_id names no team', {
      fields: { team_id: ['unknown team'] },
    }),
  sectorNotFound: () =>
    new AppError('PLAYERS.SECTOR_NOT_FOUND', 400, 'current_sector names no sector', {
      fields: { current_sector: ['unknown sector'] },
    }),
  usernameTaken: () => new AppError('PLAYERS.USERNAME_TAKEN', 409, 'Another player has that username'),
  emailTaken: () => new AppError('PLAYERS.EMAIL_TAKEN', 409, 'Another player has that email'),
  invalidCursor: () =>
    new AppError('VALIDATION_FAILED', 400, 'cursor is invalid or was made for another sort', {
      fields: { cursor: ['invalid'] },
    }),
  banUntilWithoutBan: () =>
    new AppError(
      'VALIDATION_FAILED',
      400,
      'ban_until is the end of a ban: send it with status "banned", or alone while a ban is in force',
      { fields: { ban_until: ['needs status banned'] } },
    ),
};
