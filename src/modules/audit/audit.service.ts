import { Injectable, Logger } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { DatabaseAvailability } from '../../infrastructure/database/database-availability.js';
import type { Actor } from '../auth/domain/actor.js';

export interface AuditEntry {
  action: string;
  targetType: string;
  targetId: string | null;
  reason: string | null;
  before?: unknown;
  after?: unknown;
}

/**
 * Writes audit_log rows. `record` takes the caller's transaction manager so the audit row commits or rolls
 * back with the change it describes. Chaining (prev_hash, hash, id, time) is done by the table's trigger.
 */
@Injectable()
export class AuditService {
  private readonly logger = new Logger(AuditService.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly database: DatabaseAvailability,
  ) {}

  async record(manager: EntityManager, actor: Actor | null, entry: AuditEntry): Promise<void> {
    await manager.query(
      `INSERT INTO audit_log (actor_id, actor_role, action, outcome, target_type, target_id, reason, before, after,
                              request_id, client_ip, prev_hash, hash)
       VALUES ($1, $2, $3, 'success', $4, $5, $6, $7, $8, $9, $10, '', '')`,
      [
        actor?.userId ?? null,
        actor?.role ?? 'system',
        entry.action,
        entry.targetType,
        entry.targetId,
        entry.reason,
        entry.before === undefined ? null : JSON.stringify(entry.before),
        entry.after === undefined ? null : JSON.stringify(entry.after),
        actor?.requestId ?? null,
        actor?.ip ?? null,
      ],
    );
  }

  /**
   * A denied attempt. Written on its own; the caller still gets its 403 if this fails. During a database outage
   * (or with the pool exhausted) the row is skipped as DatabaseAvailability tells it, a debug line each and a
   * count in its "back" line; any other failure is logged at error with its stack.
   */
  async recordDenied(actor: Actor, entry: Omit<AuditEntry, 'before' | 'after'>): Promise<void> {
    try {
      await this.dataSource.query(
        `INSERT INTO audit_log (actor_id, actor_role, action, outcome, target_type, target_id, reason,
                                request_id, client_ip, prev_hash, hash)
         VALUES ($1, $2, $3, 'denied', $4, $5, $6, $7, $8, '', '')`,
        [
          actor.userId,
          actor.role,
          entry.action,
          entry.targetType,
          entry.targetId,
          entry.reason,
          actor.requestId,
          actor.ip,
        ],
      );
    } catch (err) {
      if (!this.database.skipIfUnavailable('audit.denied', err))
        this.logger.error({ err }, 'Could not record a denied attempt in the audit log');
    }
  }
}
