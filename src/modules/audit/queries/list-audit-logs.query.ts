import { Query } from '@nestjs/cqrs';
import type { ListAuditLogsRequestDto } from '../dto/list-audit-logs.request.dto.js';

export interface AuditLogView {
  id: string;
  occurred_at: string;
  actor_id: string | null;
  actor_role: string | null;
  action: string;
  outcome: string;
  target_type: string | null;
  target_id: string | null;
  reason: string | null;
  before: unknown;
  after: unknown;
  request_id: string | null;
  client_ip: string | null;
  prev_hash: string;
  hash: string;
}

export interface AuditLogPage {
  items: AuditLogView[];
  next_cursor: string | null;
}

export class ListAuditLogsQuery extends Query<AuditLogPage> {
  constructor(readonly filters: ListAuditLogsRequestDto) {
    super();
  }
}
