import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import { ListAuditLogsQuery, type AuditLogPage, type AuditLogView } from './list-audit-logs.query.js';

@QueryHandler(ListAuditLogsQuery)
export class ListAuditLogsHandler implements IQueryHandler<ListAuditLogsQuery> {
  constructor(private readonly dataSource: DataSource) {}

  async execute({ filters: f }: ListAuditLogsQuery): Promise<AuditLogPage> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (sql: string, value: unknown) => {
      params.push(value);
      where.push(sql.replaceAll('?', `$${params.length}`));
    };
    if (f.actor) add('actor_id = ?', f.actor);
    if (f.action) add('action = ?', f.action);
    if (f.target) add('target_id = ?', f.target);
    if (f.outcome) add('outcome = ?', f.outcome);
    if (f.from) add('occurred_at >= ?', f.from);
    if (f.to) add('occurred_at < ?', f.to);
    // After the cursor's row in (occurred_at, id) order. A cursor naming no row (deleted) stands where it would
    // be: right after the row below it in id order.
    if (f.cursor)
      add(
        `(occurred_at, id) < ((SELECT c.occurred_at FROM audit_log c WHERE c.id <= ? ORDER BY c.id DESC LIMIT 1), ?)`,
        f.cursor,
      );
    const limit = f.limit ?? 50;
    params.push(limit + 1);
    // Newest first by time, then id: every filter, alone or with a time range, reads its page off one index
    // (occurred_at, id) or (filter, occurred_at, id), however far back `to` lies. It is id order unless the
    // clock stepped back. ORDER BY the table's columns, as the cursor compares them: a bare `id` would name the
    // output column, its text, and sort 998 before 1000 (pages then skipped rows).
    const rows: AuditLogView[] = await this.dataSource.query(
      `SELECT id::text, to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS occurred_at,
                actor_id, actor_role, action, outcome, target_type, target_id, reason, before, after,
                request_id, client_ip, prev_hash, hash
         FROM audit_log ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
         ORDER BY audit_log.occurred_at DESC, audit_log.id DESC LIMIT $${params.length}`,
      params,
    );
    const hasMore = rows.length > limit;
    const items = hasMore ? rows.slice(0, limit) : rows;
    return { items, next_cursor: hasMore ? items[items.length - 1]!.id : null };
  }
}
