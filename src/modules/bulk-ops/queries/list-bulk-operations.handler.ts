import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import { SqlWhere } from '../../players/domain/player-filters.js';
import { BULK_OP_COLUMNS, toView } from './bulk-operation-view.js';
import { ListBulkOperationsQuery, type BulkOperationList } from './list-bulk-operations.query.js';

@QueryHandler(ListBulkOperationsQuery)
export class ListBulkOperationsHandler implements IQueryHandler<ListBulkOperationsQuery> {
  constructor(private readonly dataSource: DataSource) {}

  // Statements run one after another: the embedded database's socket server may interleave concurrent ones.
  async execute({ status, adminId, page, limit }: ListBulkOperationsQuery): Promise<BulkOperationList> {
    const w = new SqlWhere();
    if (status) w.add(`status = ${w.param(status)}`);
    if (adminId) w.add(`admin_id = ${w.param(adminId)}::uuid`);
    const countParams = [...w.params];
    const rows = await this.dataSource.query(
      `SELECT ${BULK_OP_COLUMNS} FROM admin_bulk_operations ${w.toSql()}
           ORDER BY created_at DESC, id DESC LIMIT ${w.param(limit)} OFFSET ${w.param((page - 1) * limit)}`,
      w.params,
    );
    const [{ n }] = await this.dataSource.query(
      `SELECT count(*)::int AS n FROM admin_bulk_operations ${w.toSql()}`,
      countParams,
    );
    return { items: rows.map(toView), total: n, page, page_size: limit };
  }
}
