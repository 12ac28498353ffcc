import { Query } from '@nestjs/cqrs';
import type { PlayerSummaryDto } from '../dto/player.response.dto.js';

export interface PlayerDetailedView {
  player: PlayerSummaryDto;
  /** The ban in force (status banned): when it ends (null: never), why, and the status lifting it gives back. */
  ban: { until: string | null; reason: string | null; lifts_to: string } | null;
  team: { id: string; name: string; tag: string; member_count: number } | null;
  ships: {
    id: string;
    name: string;
    type: string;
    sector_id: number;
    capacity: number;
    cargo: Record<string, number>;
    cargo_used: number;
    hull: number;
    active: boolean;
  }[];
  planets: { id: string; name: string; type: string; sector_id: number; population: string }[];
  recent_trades: {
    id: string;
    station_id: string;
    commodity: string;
    action: string;
    quantity: number;
    unit_price: number;
    total: string;
    credits_after: string;
    created_at: string;
  }[];
  emergency_history: {
    id: string;
    action_type: string;
    reason: string;
    admin_id: string | null;
    result_status: string;
    created_at: string;
  }[];
  open_interventions: {
    id: string;
    priority: string;
    category: string;
    description: string;
    status: string;
    assigned_to: string | null;
    created_at: string;
  }[];
  recent_audit: {
    id: string;
    occurred_at: string;
    actor_id: string | null;
    action: string;
    outcome: string;
    reason: string | null;
  }[];
}

export class GetPlayerDetailedQuery extends Query<PlayerDetailedView> {
  constructor(readonly playerId: string) {
    super();
  }
}
