import { Module } from '@nestjs/common';
import { BulkOpsController } from './bulk-ops.controller.js';
import { BulkOperationsWorker } from './bulk-operations.worker.js';
import { CancelBulkOperationHandler } from './commands/cancel-bulk-operation.handler.js';
import { CreateBulkOperationHandler } from './commands/create-bulk-operation.handler.js';
import { WakeWorkerOnNewOperationHandler } from './events/wake-worker.handler.js';
import { GetBulkOperationStatusHandler } from './queries/get-bulk-operation-status.handler.js';
import { ListBulkOperationsHandler } from './queries/list-bulk-operations.handler.js';

@Module({
  controllers: [BulkOpsController],
  providers: [
    CreateBulkOperationHandler,
    CancelBulkOperationHandler,
    GetBulkOperationStatusHandler,
    ListBulkOperationsHandler,
    BulkOperationsWorker,
    WakeWorkerOnNewOperationHandler,
  ],
  exports: [BulkOperationsWorker],
})
export class BulkOpsModule {}
