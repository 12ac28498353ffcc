import { AppError } from '../../../infrastructure/errors/app-error.js';

export const AssetsErrors = {
  playerNotFound: (which = 'Player') => new AppError('ASSETS.PLAYER_NOT_FOUND', 404, `${which} not found`),
  samePlayer: () =>
    new AppError('VALIDATION_FAILED', 400, 'to_player_id must be another player', {
      fields: { to_player_id: ['must differ from the source player'] },
    }),
  nothingToTransfer: () =>
    new AppError('VALIDATION_FAILED', 400, 'Name credits, ship_ids, planet_ids or cargo to transfer', {
      fields: { credits: ['nothing to transfer'] },
    }),
  nothingToUpdate: () =>
    new AppError('VALIDATION_FAILED', 400, 'Name credits, ships, cargo or planets to change', {
      fields: { credits: ['nothing to update'] },
    }),
  partyRestricted: (playerId: string, status: string) =>
    new AppError('ASSETS.PARTY_RESTRICTED', 409, `Player ${playerId} is ${status}: no transfers`, {
      player_id: playerId,
      status,
    }),
  insufficientCredits: () =>
    new AppError('ASSETS.INSUFFICIENT_CREDITS', 409, 'The source player has fewer credits than requested'),
  negativeCredits: () =>
    new AppError('ASSETS.NEGATIVE_BALANCE', 409, 'The change would leave a negative balance'),
  shipNotOwned: (ids: string[]) =>
    new AppError('ASSETS.SHIP_NOT_OWNED', 409, `Ships not owned by the player: ${ids.join(', ')}`, {
      ship_ids: ids,
    }),
  planetNotOwned: (ids: string[]) =>
    new AppError('ASSETS.PLANET_NOT_OWNED', 409, `Planets not owned by the player: ${ids.join(', ')}`, {
      planet_ids: ids,
    }),
  planetTaken: (ids: string[]) =>
    new AppError('ASSETS.PLANET_TAKEN', 409, `Planets missing or owned by someone else: ${ids.join(', ')}`, {
      planet_ids: ids,
    }),
  noDestinationShip: () =>
    new AppError(
      'ASSETS.NO_DESTINATION_SHIP',
      409,
      'The receiving player has no active ship; name cargo.to_ship_id',
    ),
  cargoShortfall: (shipId: string, commodity: string) =>
    new AppError('ASSETS.INSUFFICIENT_CARGO', 409, `Ship ${shipId} holds less ${commodity} than requested`),
  cargoCapacity: (shipId: string) =>
    new AppError('ASSETS.CARGO_CAPACITY', 409, `Ship ${shipId} lacks the free holds for that cargo`),
  sectorNotFound: (id: number) =>
    new AppError('VALIDATION_FAILED', 400, `sector ${id} does not exist`, {
      fields: { sector_id: ['unknown sector'] },
    }),
  versionConflict: (current: number, given: number) =>
    new AppError(
      'ASSETS.VERSION_CONFLICT',
      409,
      `The player changed since you read it (yours ${given}, now ${current})`,
      {
        current_version: current,
      },
    ),
};
