import { applyDecorators, type Type } from '@nestjs/common';
import { ApiExtraModels, ApiResponse, getSchemaPath } from '@nestjs/swagger';

/** Documents a route's success body as the DESIGN.md envelope around `model`. */
export function ApiEnvelope(model: Type<unknown>, status = 200, isArray = false) {
  const data = isArray
    ? { type: 'array', items: { $ref: getSchemaPath(model) } }
    : { $ref: getSchemaPath(model) };
  return applyDecorators(
    ApiExtraModels(model),
    ApiResponse({
      status,
      schema: {
        type: 'object',
        required: ['success', 'data', 'metrics', 'timestamp'],
        properties: {
          success: { type: 'boolean', example: true },
          data,
          metrics: {
            type: 'object',
            properties: {
              query_time_ms: {
                type: 'number',
                description:
                  "Milliseconds the request's statements ran on the database (not the wait for a pooled connection)",
              },
              cache_hit: { type: 'boolean', description: 'Whether a cache answered part of the request' },
            },
          },
          timestamp: { type: 'string', format: 'date-time' },
        },
      },
    }),
  );
}
