import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class HealthLiveDto {
  @ApiProperty({ enum: ['ok'] }) status: 'ok';
}

/** One dependency as terminus reports it. */
export class HealthIndicatorDto {
  @ApiProperty({ enum: ['up', 'down'] }) status: 'up' | 'down';
  @ApiPropertyOptional({ type: 'integer', minimum: 0, description: 'database: the ping, ms' })
  responseTime?: number;
  @ApiPropertyOptional({ description: 'down: why' }) message?: string;
}

/** The dependencies checked: the database always, Redis when it is configured. */
export class HealthChecksDto {
  @ApiProperty({ type: HealthIndicatorDto }) database: HealthIndicatorDto;
  @ApiPropertyOptional({ type: HealthIndicatorDto }) redis?: HealthIndicatorDto;
}

/** What is down while the node is still ready: only Redis can be. */
export class HealthDownChecksDto {
  @ApiPropertyOptional({ type: HealthIndicatorDto }) redis?: HealthIndicatorDto;
}

/** 200 from /health/ready: terminus' report, not the API envelope. */
export class HealthReadyDto {
  @ApiProperty({ enum: ['ok', 'degraded'], description: 'degraded: Redis is down (see error)' })
  status: 'ok' | 'degraded';
  @ApiProperty({ type: HealthChecksDto, description: 'What is up' }) info: HealthChecksDto;
  @ApiProperty({ type: HealthDownChecksDto, description: 'What is down' }) error: HealthDownChecksDto;
  @ApiProperty({ type: HealthChecksDto, description: 'Everything checked' }) details: HealthChecksDto;
}
