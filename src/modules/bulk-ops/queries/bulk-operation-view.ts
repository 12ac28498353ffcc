import { progressOf, type BulkStatus } from '../domain/bulk-parameters.js';

const ts = (col: string) => `to_char(${col} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS ${col}`;

/** The columns every bulk-operation read selects. */
export const BULK_OP_COLUMNS = `id, admin_id, admin_username, operation_type, parameters, target, reason, status, total_targets,
  processed, succeeded, failed, skipped, batches_done, error, lease_owner, ${ts('created_at')}, ${ts('started_at')},
  ${ts('finished_at')}, ${ts('cancel_requested_at')}, ${ts('heartbeat_at')}`;

export interface BulkOperationView {
  id: string;
  operation_type: string;
  status: BulkStatus;
  progress: number;
  counts: { total: number; processed: number; succeeded: number; failed: number; skipped: number };
  parameters: Record<string, unknown>;
  target: Record<string, unknown>;
  reason: string;
  admin_id: string | null;
  admin_username: string | null;
  batches_done: number;
  error: string | null;
  worker: string | null;
  cancel_requested_at: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  heartbeat_at: string | null;
}

/** Shapes a row: targets summarised (a list of 100,000 ids is not a status line). */
export interface BulkOpRow {
  id: string;
  admin_id: string | null;
  admin_username: string | null;
  operation_type: string;
  parameters: Record<string, unknown>;
  target: { player_ids?: string[]; filter?: unknown; online_ids?: string[] };
  reason: string;
  status: BulkStatus;
  total_targets: number;
  processed: number;
  succeeded: number;
  failed: number;
  skipped: number;
  batches_done: number;
  error: string | null;
  lease_owner: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  cancel_requested_at: string | null;
  heartbeat_at: string | null;
}

export function toView(r: BulkOpRow): BulkOperationView {
  const target = r.target;
  return {
    id: r.id,
    operation_type: r.operation_type,
    status: r.status,
    progress: progressOf(r.status, r.processed, r.total_targets),
    counts: {
      total: r.total_targets,
      processed: r.processed,
      succeeded: r.succeeded,
      failed: r.failed,
      skipped: r.skipped,
    },
    parameters: r.parameters,
    target: target.player_ids ? { player_ids_count: target.player_ids.length } : { filter: target.filter },
    reason: r.reason,
    admin_id: r.admin_id,
    admin_username: r.admin_username,
    batches_done: r.batches_done,
    error: r.error,
    worker: r.status === 'running' ? r.lease_owner : null,
    cancel_requested_at: r.cancel_requested_at,
    created_at: r.created_at,
    started_at: r.started_at,
    finished_at: r.finished_at,
    heartbeat_at: r.heartbeat_at,
  };
}
