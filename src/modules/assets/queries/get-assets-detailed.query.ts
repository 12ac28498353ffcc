import { Query } from '@nestjs/cqrs';

export interface AssetsDetailedView {
  player: {
    id: string;
    username: string;
    status: string;
    credits: string;
    version: number;
    current_sector: number;
  };
  credits: string;
  ships: {
    id: string;
    name: string;
    type: string;
    sector_id: number;
    capacity: number;
    cargo_used: number;
    cargo_free: number;
    cargo: Record<string, number>;
    hull: number;
    active: boolean;
  }[];
  cargo_totals: Record<string, number>;
  planets: { id: string; name: string; type: string; sector_id: number; population: string }[];
  recent_ledger: {
    id: string;
    station_id: string;
    ship_id: string | null;
    commodity: string;
    action: string;
    quantity: number;
    unit_price: number;
    total: string;
    credits_after: string;
    created_at: string;
  }[];
}

export class GetAssetsDetailedQuery extends Query<AssetsDetailedView> {
  constructor(
    readonly playerId: string,
    readonly ledgerLimit = 50,
  ) {
    super();
  }
}
