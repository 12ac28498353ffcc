import type { EntityManager } from 'typeorm';
import { hasPermissions, isRole, Permission } from '../../auth/domain/roles.js';
import { InterventionsErrors } from '../domain/interventions.errors.js';

/** An assignee must be an active user whose role works interventions. */
export async function checkAssignee(m: EntityManager, userId: string): Promise<void> {
  const [u] = await m.query('SELECT role, active FROM users WHERE id = $1', [userId]);
  if (!u || !u.active || !isRole(u.role) || !hasPermissions(u.role, [Permission.Interventions])) {
    throw InterventionsErrors.assigneeInvalid();
  }
}
