import { AppError } from '../../../infrastructure/errors/app-error.js';

export const BulkOpsErrors = {
  notFound: () => new AppError('BULK_OPS.NOT_FOUND', 404, 'Bulk operation not found'),
  notCancellable: (status: string) =>
    new AppError('BULK_OPS.NOT_CANCELLABLE', 409, `The operation is already ${status}`, {
      current_status: status,
    }),
  targetRequired: () =>
    new AppError('VALIDATION_FAILED', 400, 'target needs exactly one of player_ids or filter', {
      fields: { target: ['exactly one of player_ids, filter'] },
    }),
  unknownPlayers: (ids: string[]) =>
    new AppError('VALIDATION_FAILED', 400, `Unknown player ids: ${ids.slice(0, 20).join(', ')}`, {
      fields: { 'target.player_ids': ['unknown player ids'] },
      unknown_player_ids: ids.slice(0, 100),
    }),
  sectorNotFound: (id: number) =>
    new AppError('VALIDATION_FAILED', 400, `sector ${id} does not exist`, {
      fields: { 'parameters.sector_id': ['unknown sector'] },
    }),
  noTargets: () => new AppError('BULK_OPS.NO_TARGETS', 422, 'The target matches no player'),
};
