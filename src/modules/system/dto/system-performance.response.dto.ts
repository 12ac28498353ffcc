import { ApiProperty } from '@nestjs/swagger';

const MS = { minimum: 0, description: 'Milliseconds, interpolated inside the histogram bucket' } as const;

export class NodeStatsDto {
  @ApiProperty({ type: 'integer', minimum: 1 }) pid: number;
  @ApiProperty({ type: 'integer', minimum: 0, description: 'Seconds since the process started' })
  uptime_s: number;
  @ApiProperty({ type: 'integer', minimum: 0, description: 'Resident memory, MiB' }) rss_mb: number;
}

export class RouteLatencyDto {
  @ApiProperty({ example: 'GET' }) method: string;
  @ApiProperty({ description: "The route's pattern, e.g. /api/v1/players/:id ('unmatched' for no route)" })
  route: string;
  @ApiProperty({ type: 'integer', minimum: 1, description: 'Requests answered since the node started' })
  count: number;
  @ApiProperty(MS) p50_ms: number;
  @ApiProperty(MS) p95_ms: number;
  @ApiProperty(MS) p99_ms: number;
}

/** GET /admin/system/performance: this node only (each node keeps its own histograms). */
export class SystemPerformanceDto {
  @ApiProperty({ type: NodeStatsDto }) node: NodeStatsDto;
  @ApiProperty({ type: [RouteLatencyDto], description: 'Busiest first' }) routes: RouteLatencyDto[];
}
