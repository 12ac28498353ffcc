import { applyDecorators, type Type } from '@nestjs/common';
import { ApiExtraModels, ApiProperty, ApiResponse, getSchemaPath } from '@nestjs/swagger';

/** The envelope's `metrics`, one schema for every route (see EnvelopeInterceptor). */
export class EnvelopeMetricsDto {
  @ApiProperty({
    minimum: 0,
    description:
      "Milliseconds the request's statements ran on the database (not the wait for a pooled connection), to 2 decimals",
  })
  query_time_ms: number;

  @ApiProperty({ description: 'Whether a cache answered part of the request' })
  cache_hit: boolean;
}

/** Documents a route's success body as the DESIGN.md envelope around `model`. */
export function ApiEnvelope(model: Type<unknown>, status = 200, isArray = false) {
  const data = isArray
    ? { type: 'array', items: { $ref: getSchemaPath(model) } }
    : { $ref: getSchemaPath(model) };
  return applyDecorators(
    ApiExtraModels(model, EnvelopeMetricsDto),
    ApiResponse({
      status,
      schema: {
        type: 'object',
        required: ['success', 'data', 'metrics', 'timestamp'],
        properties: {
          success: { type: 'boolean', example: true },
          data,
          metrics: { $ref: getSchemaPath(EnvelopeMetricsDto) },
          timestamp: { type: 'string', format: 'date-time' },
        },
      },
    }),
  );
}
