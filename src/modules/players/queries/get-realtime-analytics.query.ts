import { Query } from '@nestjs/cqrs';
import type { RealtimeAnalyticsDto } from '../dto/player.response.dto.js';

export class GetRealtimeAnalyticsQuery extends Query<RealtimeAnalyticsDto> {}
