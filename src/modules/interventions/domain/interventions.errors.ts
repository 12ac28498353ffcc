import { AppError } from '../../../infrastructure/errors/app-error.js';

export const InterventionsErrors = {
  notFound: () => new AppError('INTERVENTIONS.NOT_FOUND', 404, 'Intervention not found'),
  templateNotFound: () =>
    new AppError('INTERVENTIONS.TEMPLATE_NOT_FOUND', 404, 'Intervention template not found'),
  playerNotFound: () =>
    new AppError('VALIDATION_FAILED', 400, 'player_id names no player', {
      fields: { player_id: ['unknown player'] },
    }),
  illegalTransition: (from: string, to: string) =>
    new AppError('INTERVENTIONS.ILLEGAL_TRANSITION', 409, `An intervention cannot go from ${from} to ${to}`, {
      current_status: from,
    }),
  versionConflict: (current: number, given: number) =>
    new AppError(
      'INTERVENTIONS.VERSION_CONFLICT',
      409,
      `Changed since you read it (yours ${given}, now ${current})`,
      {
        current_version: current,
      },
    ),
  templateVersionConflict: (current: number, given: number) =>
    new AppError(
      'INTERVENTIONS.VERSION_CONFLICT',
      409,
      `Template changed since you read it (yours ${given}, now ${current})`,
      {
        current_version: current,
      },
    ),
  duplicateOpen: () =>
    new AppError(
      'INTERVENTIONS.DUPLICATE_OPEN',
      409,
      'An open intervention for this player and cause already exists',
    ),
  templateNameTaken: () => new AppError('INTERVENTIONS.TEMPLATE_NAME_TAKEN', 409, 'A template has that name'),
  assigneeInvalid: () =>
    new AppError(
      'VALIDATION_FAILED',
      400,
      'assigned_to must be an active staff user who works interventions',
      {
        fields: { assigned_to: ['not a moderator, admin or superadmin'] },
      },
    ),
  assigneeRequired: () =>
    new AppError('VALIDATION_FAILED', 400, 'Assigning needs assigned_to', {
      fields: { assigned_to: ['required'] },
    }),
  assigneeNotAllowed: () =>
    new AppError(
      'VALIDATION_FAILED',
      400,
      'Handing back to open unassigns it: omit assigned_to or send null',
      {
        fields: { assigned_to: ['must be null or omitted with status open'] },
      },
    ),
  notesRequired: () =>
    new AppError('VALIDATION_FAILED', 400, 'Resolving or dismissing needs resolution_notes', {
      fields: { resolution_notes: ['required to close'] },
    }),
  descriptionRequired: () =>
    new AppError('VALIDATION_FAILED', 400, 'Give description (or a template_id that has one)', {
      fields: { description: ['required'] },
    }),
  nothingToUpdate: () =>
    new AppError('VALIDATION_FAILED', 400, 'Name at least one field to change', { fields: {} }),
};
