import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import { BulkOpsErrors } from '../domain/bulk-ops.errors.js';
import { BULK_OP_COLUMNS, toView } from './bulk-operation-view.js';
import { GetBulkOperationStatusQuery, type BulkOperationStatus } from './get-bulk-operation-status.query.js';

@QueryHandler(GetBulkOperationStatusQuery)
export class GetBulkOperationStatusHandler implements IQueryHandler<GetBulkOperationStatusQuery> {
  constructor(private readonly dataSource: DataSource) {}

  // Statements run one after another: the embedded database's socket server may interleave concurrent ones.
  async execute({
    operationId,
    errorsPage,
    errorsLimit,
  }: GetBulkOperationStatusQuery): Promise<BulkOperationStatus> {
    const [row] = await this.dataSource.query(
      `SELECT ${BULK_OP_COLUMNS} FROM admin_bulk_operations WHERE id = $1`,
      [operationId],
    );
    const items = await this.dataSource.query(
      `SELECT player_id, outcome, code, message,
                  to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS at
           FROM admin_bulk_operation_errors WHERE operation_id = $1 ORDER BY id LIMIT $2 OFFSET $3`,
      [operationId, errorsLimit, (errorsPage - 1) * errorsLimit],
    );
    const [{ n }] = await this.dataSource.query(
      'SELECT count(*)::int AS n FROM admin_bulk_operation_errors WHERE operation_id = $1',
      [operationId],
    );
    if (!row) throw BulkOpsErrors.notFound();
    return { ...toView(row), errors: { items, total: n, page: errorsPage, page_size: errorsLimit } };
  }
}
