import { AppError } from '../../../infrastructure/errors/app-error.js';

export const EmergencyErrors = {
  playerNotFound: () => new AppError('EMERGENCY.PLAYER_NOT_FOUND', 404, 'Player not found'),
  shipNotFound: () =>
    new AppError('EMERGENCY.SHIP_NOT_FOUND', 404, 'That ship does not belong to the player'),
  noShip: () => new AppError('EMERGENCY.NO_SHIP', 409, 'The player has no active ship; name ship_id'),
  illegalTransition: (action: string, status: string) =>
    new AppError('EMERGENCY.ILLEGAL_TRANSITION', 409, `Cannot ${action} a player whose status is ${status}`, {
      current_status: status,
    }),
  /** Freeze/unfreeze of a banned player: the ban rules until it is lifted, then the status before it returns. */
  underBan: (action: string, liftsTo: string) =>
    new AppError(
      'EMERGENCY.ILLEGAL_TRANSITION',
      409,
      `Cannot ${action} a banned player: the ban lifts to ${liftsTo}; unban first, then ${action}`,
      { current_status: 'banned', status_before_ban: liftsTo },
    ),
  creditsOverflow: () =>
    new AppError('EMERGENCY.CREDITS_LIMIT', 409, 'The grant would take the balance past the allowed maximum'),
  tooManyPlayers: (max: number) =>
    new AppError('VALIDATION_FAILED', 400, `At most ${max} players per bulk emergency request`, {
      fields: { player_ids: [`at most ${max}`] },
    }),
};
