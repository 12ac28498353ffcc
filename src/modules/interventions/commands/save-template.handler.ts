import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import { inTransaction, isUniqueViolation } from '../../../infrastructure/database/transaction.js';
import { AuditService } from '../../audit/audit.service.js';
import { InterventionsErrors } from '../domain/interventions.errors.js';
import type { UpdateTemplateRequestDto } from '../dto/interventions.request.dto.js';
import { TEMPLATE_COLUMNS } from '../queries/intervention-row.js';
import { SaveTemplateCommand } from './save-template.command.js';

const FIELDS = ['name', 'category', 'priority', 'description', 'suggested_actions'] as const;

@CommandHandler(SaveTemplateCommand)
export class SaveTemplateHandler implements ICommandHandler<SaveTemplateCommand> {
  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditService,
  ) {}

  async execute({ actor, templateId, request: r }: SaveTemplateCommand): Promise<Record<string, unknown>> {
    try {
      return await inTransaction(this.dataSource, async (m) => {
        let before: Record<string, unknown> | undefined;
        let id = templateId;
        if (id === null) {
          const [row] = await m.query(
            `INSERT INTO intervention_templates (name, category, priority, description, suggested_actions, created_by)
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
            [
              r.name,
              r.category,
              r.priority,
              r.description,
              JSON.stringify(r.suggested_actions ?? []),
              actor.userId,
            ],
          );
          id = row.id as string;
        } else {
          const u = r as UpdateTemplateRequestDto;
          if (FIELDS.every((f) => u[f] === undefined)) throw InterventionsErrors.nothingToUpdate();
          [before] = await m.query(
            `SELECT ${TEMPLATE_COLUMNS} FROM intervention_templates WHERE id = $1 FOR UPDATE`,
            [id],
          );
          if (!before) throw InterventionsErrors.templateNotFound();
          if (before.version !== u.version) {
            throw InterventionsErrors.templateVersionConflict(before.version as number, u.version);
          }
          const [rows] = await m.query(
            `UPDATE intervention_templates SET name = coalesce($3, name), category = coalesce($4, category),
                    priority = coalesce($5, priority), description = coalesce($6, description),
                    suggested_actions = coalesce($7::jsonb, suggested_actions), version = version + 1, updated_at = now()
             WHERE id = $1 AND version = $2 RETURNING id`,
            [
              id,
              u.version,
              u.name ?? null,
              u.category ?? null,
              u.priority ?? null,
              u.description ?? null,
              u.suggested_actions ? JSON.stringify(u.suggested_actions) : null,
            ],
          );
          if (rows.length !== 1) throw InterventionsErrors.templateVersionConflict(u.version + 1, u.version);
        }
        const [view] = await m.query(`SELECT ${TEMPLATE_COLUMNS} FROM intervention_templates WHERE id = $1`, [
          id,
        ]);
        await this.audit.record(m, actor, {
          action: templateId === null ? 'interventions.template_create' : 'interventions.template_update',
          targetType: 'intervention_template',
          targetId: id,
          reason: r.reason,
          before,
          after: view,
        });
        return view;
      });
    } catch (err) {
      if (isUniqueViolation(err, 'intervention_templates_name_uq'))
        throw InterventionsErrors.templateNameTaken();
      throw err;
    }
  }
}
