import { CommandHandler, EventBus, type ICommandHandler } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import { inTransaction, isUniqueViolation } from '../../../infrastructure/database/transaction.js';
import { AuditService } from '../../audit/audit.service.js';
import { plan } from '../domain/intervention-status.js';
import { InterventionsErrors } from '../domain/interventions.errors.js';
import { InterventionChangedEvent } from '../events/intervention-changed.event.js';
import {
  INTERVENTION_COLUMNS,
  INTERVENTION_FROM,
  type InterventionRow,
} from '../queries/intervention-row.js';
import { checkAssignee } from './assignee.js';
import { UpdateInterventionCommand } from './update-intervention.command.js';

/**
 * Assign, hand back, progress, resolve or dismiss. The caller's version must match (409 when stale); the status
 * moves only along the allowed transitions (409 otherwise), and handing back to open unassigns it; the UPDATE
 * is guarded by the version as well.
 */
@CommandHandler(UpdateInterventionCommand)
export class UpdateInterventionHandler implements ICommandHandler<UpdateInterventionCommand> {
  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    private readonly eventBus: EventBus,
  ) {}

  async execute({
    actor,
    interventionId: id,
    request: r,
  }: UpdateInterventionCommand): Promise<InterventionRow> {
    if (
      r.status === undefined &&
      r.assigned_to === undefined &&
      r.priority === undefined &&
      r.resolution_notes === undefined
    ) {
      throw InterventionsErrors.nothingToUpdate();
    }
    let row: InterventionRow;
    try {
      row = await inTransaction(this.dataSource, async (m) => {
        const [cur]: InterventionRow[] = await m.query(
          `SELECT ${INTERVENTION_COLUMNS} FROM ${INTERVENTION_FROM} WHERE i.id = $1 FOR UPDATE OF i`,
          [id],
        );
        if (!cur) throw InterventionsErrors.notFound();
        if (cur.version !== r.version) throw InterventionsErrors.versionConflict(cur.version, r.version);
        const next = plan(cur as Parameters<typeof plan>[0], r);
        if ('error' in next) {
          if (next.error === 'illegal') throw InterventionsErrors.illegalTransition(cur.status, next.to);
          if (next.error === 'assignee_required') throw InterventionsErrors.assigneeRequired();
          if (next.error === 'assignee_not_allowed') throw InterventionsErrors.assigneeNotAllowed();
          throw InterventionsErrors.notesRequired();
        }
        if (r.assigned_to) await checkAssignee(m, r.assigned_to);
        const closing = next.status === 'resolved' || next.status === 'dismissed';
        const [updated] = await m.query(
          `UPDATE admin_interventions SET status = $3,
                  assigned_to = $4::uuid,
                  priority = coalesce($5, priority), resolution_notes = coalesce($6, resolution_notes),
                  resolved_at = CASE WHEN $7 THEN coalesce(resolved_at, now()) ELSE NULL END,
                  version = version + 1, updated_at = now()
           WHERE id = $1 AND version = $2 RETURNING id`,
          [
            id,
            r.version,
            next.status,
            next.assigned_to,
            r.priority ?? null,
            r.resolution_notes ?? null,
            closing,
          ],
        );
        if (updated.length !== 1) throw InterventionsErrors.versionConflict(cur.version + 1, r.version);
        const [view] = await m.query(
          `SELECT ${INTERVENTION_COLUMNS} FROM ${INTERVENTION_FROM} WHERE i.id = $1`,
          [id],
        );
        const keys = ['status', 'assigned_to', 'priority', 'resolution_notes'] as const;
        await this.audit.record(m, actor, {
          action: 'interventions.update',
          targetType: 'intervention',
          targetId: id,
          reason: r.reason,
          before: { ...Object.fromEntries(keys.map((k) => [k, cur[k]])), version: cur.version },
          after: { ...Object.fromEntries(keys.map((k) => [k, view[k]])), version: view.version },
        });
        return view;
      });
    } catch (err) {
      // Re-opening (assigned -> open) may meet an automatic intervention raised meanwhile for the same cause.
      if (isUniqueViolation(err, 'interventions_open_cause_uq')) throw InterventionsErrors.duplicateOpen();
      throw err;
    }
    this.eventBus.publish(
      new InterventionChangedEvent(
        row.id,
        'updated',
        row.player_id,
        row.status,
        row.priority,
        row.category,
        row.assigned_to,
        row.version,
        row.automatic,
        actor.userId,
      ),
    );
    return row;
  }
}
