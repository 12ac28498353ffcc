import { Query } from '@nestjs/cqrs';

export interface EmergencyHistoryEntry {
  id: string;
  action_type: string;
  action_details: Record<string, unknown>;
  admin_id: string | null;
  reason: string;
  result_status: string;
  result_details: Record<string, unknown>;
  created_at: string;
}

export interface EmergencyHistoryPage {
  player_id: string;
  items: EmergencyHistoryEntry[];
  total: number;
  page: number;
  page_size: number;
}

export class GetEmergencyHistoryQuery extends Query<EmergencyHistoryPage> {
  constructor(
    readonly playerId: string,
    readonly page: number,
    readonly limit: number,
  ) {
    super();
  }
}
