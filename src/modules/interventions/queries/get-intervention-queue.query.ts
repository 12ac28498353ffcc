import { Query } from '@nestjs/cqrs';
import type { InterventionQueueRequestDto } from '../dto/interventions.request.dto.js';

export interface InterventionQueue {
  items: Record<string, unknown>[];
  total: number;
  page: number;
  page_size: number;
}

export class GetInterventionQueueQuery extends Query<InterventionQueue> {
  constructor(readonly filters: InterventionQueueRequestDto) {
    super();
  }
}
