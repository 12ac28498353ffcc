import { Controller, Get, Param, Query } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { ApiErrors, BAD_INPUT, UNAUTHENTICATED } from '../../infrastructure/http/api-errors.decorator.js';
import { ApiEnvelope } from '../../infrastructure/http/api-envelope.decorator.js';
import { uuidPipe } from '../../infrastructure/http/uuid.pipe.js';
import { COMMODITY_NAMES } from './domain/commodities.js';
import { PriceHistoryRequestDto, RealtimeMarketRequestDto } from './dto/market.request.dto.js';
import { PriceHistoryDto, RealtimeMarketDto, StationDto } from './dto/market.response.dto.js';
import { GetPriceHistoryQuery } from './queries/get-price-history.query.js';
import { GetRealtimeMarketQuery } from './queries/get-realtime-market.query.js';
import { GetStationMarketQuery } from './queries/get-station-market.query.js';

/** Market reads for any signed-in user. */
@ApiTags('market')
@ApiBearerAuth()
@Controller('market')
export class MarketController {
  constructor(private readonly queryBus: QueryBus) {}

  @Get('realtime/:commodity')
  @ApiOperation({
    summary: 'Every station trading a commodity, best price first, with 24 h volume and trend',
  })
  @ApiParam({ name: 'commodity', enum: COMMODITY_NAMES })
  @ApiEnvelope(RealtimeMarketDto)
  @ApiErrors({
    400: `${BAD_INPUT} Also min_sector above max_sector.`,
    401: UNAUTHENTICATED,
    404: '`MARKET.UNKNOWN_COMMODITY`, with `valid_commodities` listing the commodities',
  })
  realtime(@Param('commodity') commodity: string, @Query() q: RealtimeMarketRequestDto) {
    return this.queryBus.execute(
      new GetRealtimeMarketQuery(commodity, {
        minSector: q.min_sector,
        maxSector: q.max_sector,
        side: q.side,
        limit: q.limit,
      }),
    );
  }

  @Get('stations/:id')
  @ApiOperation({ summary: 'A station and all its markets' })
  @ApiEnvelope(StationDto)
  @ApiErrors({ 401: UNAUTHENTICATED, 404: '`MARKET.STATION_NOT_FOUND`' })
  station(@Param('id', uuidPipe('id')) id: string) {
    return this.queryBus.execute(new GetStationMarketQuery(id));
  }

  @Get('history')
  @ApiOperation({ summary: 'Price history of one station market, bucketed by interval' })
  @ApiEnvelope(PriceHistoryDto)
  @ApiErrors({
    400: `${BAD_INPUT} Also \`from\` not before \`to\`, and a range of more than 2,000 intervals.`,
    401: UNAUTHENTICATED,
    404: '`MARKET.STATION_NOT_FOUND`',
  })
  history(@Query() q: PriceHistoryRequestDto) {
    return this.queryBus.execute(
      new GetPriceHistoryQuery(
        q.station_id,
        q.commodity,
        q.from ? new Date(q.from) : undefined,
        q.to ? new Date(q.to) : undefined,
        q.interval ?? '1h',
      ),
    );
  }
}
