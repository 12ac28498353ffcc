import { type ArgumentMetadata, ValidationPipe, type ValidationError } from '@nestjs/common';
import { CommonErrors } from '../errors/common.errors.js';

function collect(
  errors: ValidationError[],
  parent = '',
  out: Record<string, string[]> = {},
): Record<string, string[]> {
  for (const e of errors) {
    const path = parent ? `${parent}.${e.property}` : e.property;
    if (e.constraints) out[path] = Object.values(e.constraints);
    if (e.children?.length) collect(e.children, path, out);
  }
  return out;
}

const PRIMITIVES: readonly unknown[] = [Object, String, Number, Boolean, Array];

/**
 * Whitelists DTO fields, rejects unknown ones and reports every bad field by name. A body validated against
 * a DTO must be a JSON object (a missing one counts as {}); Socket.IO messages can be anything, and Nest
 * applies this global pipe to gateways too, before their own.
 */
export class AppValidationPipe extends ValidationPipe {
  constructor() {
    super({
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
      transformOptions: { enableImplicitConversion: false },
      stopAtFirstError: false,
      exceptionFactory: (errors) => {
        const fields = collect(errors);
        const names = Object.keys(fields);
        return CommonErrors.validation(
          `Invalid value for ${names.join(', ')}: ${Object.values(fields)[0]?.[0] ?? ''}`,
          fields,
        );
      },
    });
  }

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (
      metadata.type === 'body' &&
      typeof metadata.metatype === 'function' &&
      !PRIMITIVES.includes(metadata.metatype)
    ) {
      if (value === undefined || value === null) value = {};
      if (typeof value !== 'object' || Array.isArray(value)) {
        throw CommonErrors.validation('The body must be a JSON object');
      }
    }
    return super.transform(value, metadata);
  }
}

export function createValidationPipe(): ValidationPipe {
  return new AppValidationPipe();
}
