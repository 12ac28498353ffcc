import { Query } from '@nestjs/cqrs';

export interface MarketHaltView {
  commodity: string | null;
  reason: string;
  halted_by: string | null;
  halted_at: string;
}

export class ListMarketHaltsQuery extends Query<MarketHaltView[]> {}
