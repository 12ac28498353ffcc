import { ValidationPipe, type ValidationError } from '@nestjs/common';
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

/** Whitelists DTO fields, rejects unknown ones and reports every bad field by name. */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
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
