import { Query } from '@nestjs/cqrs';
import type { BulkOperationView } from './bulk-operation-view.js';

export interface BulkOperationList {
  items: BulkOperationView[];
  total: number;
  page: number;
  page_size: number;
}

export class ListBulkOperationsQuery extends Query<BulkOperationList> {
  constructor(
    readonly status: string | undefined,
    readonly adminId: string | undefined,
    readonly page: number,
    readonly limit: number,
  ) {
    super();
  }
}
