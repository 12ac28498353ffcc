import { Inject } from '@nestjs/common';
import { CommandHandler, EventBus, type ICommandHandler } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../../../config/app-config.js';
import {
  inIdempotentTransaction,
  storedReplay,
  type Idempotent,
} from '../../../infrastructure/database/idempotent-transaction.js';
import { PresenceService } from '../../../infrastructure/presence/presence.service.js';
import { RateLimitService } from '../../../infrastructure/throttling/rate-limit.service.js';
import { rateLimited } from '../../../infrastructure/throttling/throttling.js';
import { AuditService } from '../../audit/audit.service.js';
import type { PlayerFilters } from '../../players/domain/player-filters.js';
import { BulkOpsErrors } from '../domain/bulk-ops.errors.js';
import { normaliseBulkParameters } from '../domain/bulk-parameters.js';
import { sliceBounds, targetWhere, type StoredTarget } from '../domain/bulk-target.js';
import { BulkOperationProgressEvent } from '../events/bulk-operation-progress.event.js';
import {
  CreateBulkOperationCommand,
  type CreateBulkOperationResult,
} from './create-bulk-operation.command.js';

/**
 * Validates and records a bulk operation, then returns at once: the work is done by BulkOperationsWorker
 * on whichever node claims it. A dry run answers the count and a sample and writes nothing.
 */
@CommandHandler(CreateBulkOperationCommand)
export class CreateBulkOperationHandler implements ICommandHandler<CreateBulkOperationCommand> {
  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    private readonly eventBus: EventBus,
    private readonly presence: PresenceService,
    private readonly limits: RateLimitService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async execute({
    actor,
    request: r,
    idempotency,
  }: CreateBulkOperationCommand): Promise<Idempotent<CreateBulkOperationResult>> {
    const scope = {
      userId: actor.userId,
      request: r.dry_run ? undefined : idempotency,
      ttlHours: this.config.idempotencyTtlHours,
    };
    // A replay answers before the checks and the rate limit: it neither runs nor counts again.
    const replay = await storedReplay<CreateBulkOperationResult>(this.dataSource, scope);
    if (replay) return replay;
    const params = normaliseBulkParameters(r.operation_type, r.parameters);
    // Own fields of a plain object only: on an array, `filter` would be Array.prototype.filter, and an empty
    // filter is every player. (Validation refuses such a target first; a bulk write must not depend on it.)
    const t: unknown = r.target;
    if (typeof t !== 'object' || t === null || Array.isArray(t)) throw BulkOpsErrors.targetRequired();
    const hasIds = Object.hasOwn(t, 'player_ids') && Array.isArray(r.target.player_ids);
    const hasFilter =
      Object.hasOwn(t, 'filter') &&
      typeof r.target.filter === 'object' &&
      r.target.filter !== null &&
      !Array.isArray(r.target.filter);
    if (hasIds === hasFilter || (Object.hasOwn(t, 'player_ids') && Object.hasOwn(t, 'filter')))
      throw BulkOpsErrors.targetRequired();

    let target: StoredTarget;
    if (hasIds) {
      const ids = [...new Set(r.target.player_ids!.map((id) => id.toLowerCase()))];
      const [{ found }] = await this.dataSource.query(
        'SELECT coalesce(array_agg(id::text), ARRAY[]::text[]) AS found FROM players WHERE id = ANY($1::uuid[])',
        [ids],
      );
      const known = new Set(found as string[]);
      const unknown = ids.filter((id) => !known.has(id));
      if (unknown.length) throw BulkOpsErrors.unknownPlayers(unknown);
      target = { player_ids: ids };
    } else {
      const filter = Object.fromEntries(
        Object.entries(r.target.filter!).filter(([, v]) => v !== undefined),
      ) as PlayerFilters;
      // "Online" is a moment, not a stored fact: the job runs over who was online when it was ordered.
      target =
        filter.online === undefined ? { filter } : { filter, online_ids: await this.presence.onlineIds() };
    }
    if (params.type === 'teleport') {
      const [s] = await this.dataSource.query('SELECT 1 FROM sectors WHERE id = $1', [params.sector_id]);
      if (!s) throw BulkOpsErrors.sectorNotFound(params.sector_id);
    }

    const where = targetWhere(target);
    const [{ n }] = await this.dataSource.query(
      `SELECT count(*)::int AS n FROM players p ${where.toSql()}`,
      where.params,
    );
    if (r.dry_run) {
      const sample = await this.dataSource.query(
        `SELECT p.id, p.username, p.status, p.credits::text AS credits FROM players p ${where.toSql()}
         ORDER BY p.id LIMIT 10`,
        where.params,
      );
      return {
        result: { dry_run: true, operation_type: r.operation_type, total_targets: n, sample },
        replayed: false,
      };
    }
    if (n === 0) throw BulkOpsErrors.noTargets();

    const limiter = this.limits.limiter('bulk-ops', {
      points: this.config.bulkRateLimitPerHour,
      durationSeconds: 3600,
    });
    const verdict = await this.limits.consume(limiter, `admin:${actor.userId}`);
    if (!verdict.allowed) throw rateLimited(verdict.retryAfterSeconds);

    const { type: _type, ...storedParams } = params;
    const outcome = await inIdempotentTransaction(this.dataSource, scope, async (m) => {
      const [row] = await m.query(
        `INSERT INTO admin_bulk_operations (admin_id, admin_role, admin_username, operation_type, parameters, target,
                                            reason, total_targets)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
        [
          actor.userId,
          actor.role,
          actor.username,
          r.operation_type,
          JSON.stringify(storedParams),
          JSON.stringify(target),
          r.reason,
          n,
        ],
      );
      const slices = sliceBounds(this.config.bulkSlices);
      await m.query(
        `INSERT INTO admin_bulk_operation_slices (operation_id, slice, lower_bound, upper_bound)
         SELECT $1, * FROM unnest($2::int[], $3::uuid[], $4::uuid[])`,
        [row.id, slices.map((_, i) => i), slices.map((x) => x.lower), slices.map((x) => x.upper)],
      );
      await this.audit.record(m, actor, {
        action: 'bulk_ops.create',
        targetType: 'bulk_operation',
        targetId: row.id,
        reason: r.reason,
        after: {
          operation_type: r.operation_type,
          parameters: storedParams,
          target: summarise(target),
          total_targets: n,
        },
      });
      return { dry_run: false, operation_id: row.id as string, status: 'pending', total_targets: n } as const;
    });
    if (outcome.replayed) return outcome;
    const id = outcome.result.operation_id;
    this.eventBus.publish(
      new BulkOperationProgressEvent(
        id,
        r.operation_type,
        'pending',
        0,
        { total: n, processed: 0, succeeded: 0, failed: 0, skipped: 0 },
        actor.userId,
      ),
    );
    return outcome;
  }
}

function summarise(t: StoredTarget): Record<string, unknown> {
  return 'player_ids' in t ? { player_ids: t.player_ids.length } : { filter: t.filter };
}
