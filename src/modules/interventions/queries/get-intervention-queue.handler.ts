import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import { SqlWhere } from '../../players/domain/player-filters.js';
import { OPEN_STATUSES } from '../domain/intervention-status.js';
import { GetInterventionQueueQuery, type InterventionQueue } from './get-intervention-queue.query.js';
import { INTERVENTION_COLUMNS, INTERVENTION_FROM } from './intervention-row.js';

/** Most urgent first (priority, then oldest), backed by interventions_queue_idx. */
@QueryHandler(GetInterventionQueueQuery)
export class GetInterventionQueueHandler implements IQueryHandler<GetInterventionQueueQuery> {
  constructor(private readonly dataSource: DataSource) {}

  // Statements run one after another: the embedded database's socket server may interleave concurrent ones.
  async execute({ filters: f }: GetInterventionQueueQuery): Promise<InterventionQueue> {
    const page = f.page ?? 1;
    const limit = f.limit ?? 25;
    const w = new SqlWhere();
    if (f.status) w.add(`i.status = ${w.param(f.status)}`);
    else w.add(`i.status = ANY(${w.param(OPEN_STATUSES)}::text[])`);
    if (f.priority) w.add(`i.priority = ${w.param(f.priority)}`);
    if (f.category) w.add(`i.category = ${w.param(f.category)}`);
    if (f.assigned_to) w.add(`i.assigned_to = ${w.param(f.assigned_to)}::uuid`);
    if (f.player_id) w.add(`i.player_id = ${w.param(f.player_id)}::uuid`);
    const countParams = [...w.params];
    const items = await this.dataSource.query(
      `SELECT ${INTERVENTION_COLUMNS} FROM ${INTERVENTION_FROM} ${w.toSql()}
           ORDER BY i.priority_rank, i.created_at, i.id LIMIT ${w.param(limit)} OFFSET ${w.param((page - 1) * limit)}`,
      w.params,
    );
    const [{ n }] = await this.dataSource.query(
      `SELECT count(*)::int AS n FROM admin_interventions i ${w.toSql()}`,
      countParams,
    );
    return { items, total: n, page, page_size: limit };
  }
}
