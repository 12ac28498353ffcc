import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import { orUnknown } from '../../../infrastructure/presence/presence.errors.js';
import { PresenceService } from '../../../infrastructure/presence/presence.service.js';
import type { RealtimeAnalyticsDto } from '../dto/player.response.dto.js';
import { GetRealtimeAnalyticsQuery } from './get-realtime-analytics.query.js';

/** Headline numbers from the materialized view (refreshed on a schedule) plus live presence (null while unknown). */
@QueryHandler(GetRealtimeAnalyticsQuery)
export class GetRealtimeAnalyticsHandler implements IQueryHandler<GetRealtimeAnalyticsQuery> {
  constructor(
    private readonly dataSource: DataSource,
    private readonly presence: PresenceService,
  ) {}

  async execute(): Promise<RealtimeAnalyticsDto> {
    const [[row], online] = await Promise.all([
      this.dataSource.query(
        `SELECT total_players::int, active_players::int, total_credits::text, players_today::int,
                  new_players_week::int,
                  to_char(refreshed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS refreshed_at
           FROM player_analytics_summary`,
      ),
      orUnknown(this.presence.countOnline()),
    ]);
    return { ...row, players_online: online };
  }
}
