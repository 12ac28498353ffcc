import { Query } from '@nestjs/cqrs';
import type { StationDto } from '../dto/market.response.dto.js';

export class GetStationMarketQuery extends Query<StationDto> {
  constructor(readonly stationId: string) {
    super();
  }
}
