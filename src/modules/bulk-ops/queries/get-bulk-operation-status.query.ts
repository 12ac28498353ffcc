import { Query } from '@nestjs/cqrs';
import type { BulkOperationView } from './bulk-operation-view.js';

export interface BulkOperationStatus extends BulkOperationView {
  errors: {
    items: { player_id: string; outcome: string; code: string; message: string; at: string }[];
    total: number;
    page: number;
    page_size: number;
  };
}

export class GetBulkOperationStatusQuery extends Query<BulkOperationStatus> {
  constructor(
    readonly operationId: string,
    readonly errorsPage: number,
    readonly errorsLimit: number,
  ) {
    super();
  }
}
