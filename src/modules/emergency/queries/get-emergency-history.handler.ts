import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import { EmergencyErrors } from '../domain/emergency.errors.js';
import { GetEmergencyHistoryQuery, type EmergencyHistoryPage } from './get-emergency-history.query.js';

@QueryHandler(GetEmergencyHistoryQuery)
export class GetEmergencyHistoryHandler implements IQueryHandler<GetEmergencyHistoryQuery> {
  constructor(private readonly dataSource: DataSource) {}

  // Statements run one after another: the embedded database's socket server may interleave concurrent ones.
  async execute({ playerId, page, limit }: GetEmergencyHistoryQuery): Promise<EmergencyHistoryPage> {
    const [exists] = await this.dataSource.query('SELECT 1 FROM players WHERE id = $1', [playerId]);
    if (!exists) throw EmergencyErrors.playerNotFound();
    const items = await this.dataSource.query(
      `SELECT id, action_type, action_details, admin_id, reason, result_status, result_details,
                  to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS created_at
           FROM admin_emergency_actions WHERE player_id = $1 ORDER BY created_at DESC, id DESC
           LIMIT $2 OFFSET $3`,
      [playerId, limit, (page - 1) * limit],
    );
    const [{ n }] = await this.dataSource.query(
      'SELECT count(*)::int AS n FROM admin_emergency_actions WHERE player_id = $1',
      [playerId],
    );
    return { player_id: playerId, items, total: n, page, page_size: limit };
  }
}
