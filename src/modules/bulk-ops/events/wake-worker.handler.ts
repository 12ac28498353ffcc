import { EventsHandler, type IEventHandler } from '@nestjs/cqrs';
import { BulkOperationsWorker } from '../bulk-operations.worker.js';
import { BulkOperationProgressEvent } from './bulk-operation-progress.event.js';

/** A job created on this node starts at once instead of at the next poll. Harmless if run twice. */
@EventsHandler(BulkOperationProgressEvent)
export class WakeWorkerOnNewOperationHandler implements IEventHandler<BulkOperationProgressEvent> {
  constructor(private readonly worker: BulkOperationsWorker) {}

  handle(event: BulkOperationProgressEvent): void {
    if (event.status === 'pending') this.worker.wake();
  }
}
