import { CommandHandler, EventBus, type ICommandHandler } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import { inTransaction, isUniqueViolation } from '../../../infrastructure/database/transaction.js';
import { AuditService } from '../../audit/audit.service.js';
import { InterventionsErrors } from '../domain/interventions.errors.js';
import { InterventionChangedEvent } from '../events/intervention-changed.event.js';
import {
  INTERVENTION_COLUMNS,
  INTERVENTION_FROM,
  type InterventionRow,
} from '../queries/intervention-row.js';
import { checkAssignee } from './assignee.js';
import { CreateInterventionCommand } from './create-intervention.command.js';

@CommandHandler(CreateInterventionCommand)
export class CreateInterventionHandler implements ICommandHandler<CreateInterventionCommand> {
  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    private readonly eventBus: EventBus,
  ) {}

  async execute({ actor, request: r }: CreateInterventionCommand): Promise<InterventionRow> {
    let row: InterventionRow;
    try {
      row = await inTransaction(this.dataSource, async (m) => {
        let template: { priority: string; category: string; description: string } | undefined;
        if (r.template_id) {
          [template] = await m.query(
            'SELECT priority, category, description FROM intervention_templates WHERE id = $1',
            [r.template_id],
          );
          if (!template) throw InterventionsErrors.templateNotFound();
        }
        if (r.player_id) {
          const [p] = await m.query('SELECT 1 FROM players WHERE id = $1', [r.player_id]);
          if (!p) throw InterventionsErrors.playerNotFound();
        }
        if (r.assigned_to) await checkAssignee(m, r.assigned_to);
        const description = r.description ?? template?.description;
        if (!description) throw InterventionsErrors.descriptionRequired();
        const [created] = await m.query(
          `INSERT INTO admin_interventions (player_id, priority, category, cause, description, status, assigned_to,
                                            created_by, template_id)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
          [
            r.player_id ?? null,
            r.priority ?? template?.priority ?? 'medium',
            r.category ?? template?.category ?? 'general',
            r.cause ?? null,
            description,
            r.assigned_to ? 'assigned' : 'open',
            r.assigned_to ?? null,
            actor.userId,
            r.template_id ?? null,
          ],
        );
        const [view] = await m.query(
          `SELECT ${INTERVENTION_COLUMNS} FROM ${INTERVENTION_FROM} WHERE i.id = $1`,
          [created.id],
        );
        await this.audit.record(m, actor, {
          action: 'interventions.create',
          targetType: 'intervention',
          targetId: created.id,
          reason: r.reason,
          after: view,
        });
        return view;
      });
    } catch (err) {
      if (isUniqueViolation(err, 'interventions_open_cause_uq')) throw InterventionsErrors.duplicateOpen();
      throw err;
    }
    this.eventBus.publish(
      new InterventionChangedEvent(
        row.id,
        'created',
        row.player_id,
        row.status,
        row.priority,
        row.category,
        row.assigned_to,
        row.version,
        false,
        actor.userId,
      ),
    );
    return row;
  }
}
