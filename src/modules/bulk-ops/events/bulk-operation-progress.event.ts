export interface BulkCounts {
  total: number;
  processed: number;
  succeeded: number;
  failed: number;
  skipped: number;
}

/** After each committed batch and every status change of a bulk operation. progress is 0..1. */
export class BulkOperationProgressEvent {
  constructor(
    readonly operationId: string,
    readonly operationType: string,
    readonly status: 'pending' | 'running' | 'completed' | 'failed' | 'cancelled',
    readonly progress: number,
    readonly counts: BulkCounts,
    readonly adminId: string | null,
  ) {}
}
