import { type ArgumentMetadata, ValidationPipe, type ValidationError } from '@nestjs/common';
import { CommonErrors } from '../errors/common.errors.js';
import { inputShapeProblem } from './input-shape.js';

/**
 * Constraints that say what a field is: when one fails it is the message to show first ("quantity must be an
 * integer number", not the range rule that a string also fails).
 */
const TYPE_CONSTRAINTS = new Set([
  'isDefined',
  'isInt',
  'isNumber',
  'isString',
  'isBoolean',
  'isArray',
  'isObject',
  'isUuid',
  'isIn',
  'isEnum',
  'isIso8601',
  'isTimestamp',
  'isEmail',
  'nestedValidation',
]);

function collect(
  errors: ValidationError[],
  parent = '',
  out: Record<string, string[]> = {},
): Record<string, string[]> {
  for (const e of errors) {
    const path = parent ? `${parent}.${e.property}` : e.property;
    if (e.constraints)
      out[path] = Object.entries(e.constraints)
        .sort(([a], [b]) => Number(TYPE_CONSTRAINTS.has(b)) - Number(TYPE_CONSTRAINTS.has(a)))
        .map(([, message]) => message);
    if (e.children?.length) collect(e.children, path, out);
  }
  return out;
}

/** What a client sent (a Socket.IO message payload arrives as 'body'); 'custom' is the server's own objects. */
const CLIENT_INPUT = new Set<ArgumentMetadata['type']>(['body', 'query', 'param']);

const PRIMITIVES: readonly unknown[] = [Object, String, Number, Boolean, Array];

/**
 * Names every object inherits (toString, constructor, __proto__, ...). class-transformer skips a field of such a
 * name, since the DTO instance already has it, so the whitelist never sees it and `?toString=1` or a body's
 * `"constructor"` would pass as if unknown fields were allowed. No DTO declares one.
 */
const INHERITED_NAMES = new Set(Object.getOwnPropertyNames(Object.prototype));

/** The path of the first field named like an Object.prototype member, at any depth (bounded by inputShapeProblem). */
function inheritedNameField(value: unknown, path: string): string | null {
  if (value === null || typeof value !== 'object' || ArrayBuffer.isView(value)) return null;
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) {
      const found = inheritedNameField(item, `${path}[${i}]`);
      if (found) return found;
    }
    return null;
  }
  for (const [key, item] of Object.entries(value)) {
    const field = path ? `${path}.${key}` : key;
    if (INHERITED_NAMES.has(key)) return field;
    const found = inheritedNameField(item, field);
    if (found) return found;
  }
  return null;
}

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
    if (CLIENT_INPUT.has(metadata.type)) {
      // Before anything walks the input (class-transformer recurses): see inputShapeProblem.
      const problem = inputShapeProblem(value);
      if (problem) {
        const field = problem.path || metadata.data || metadata.type;
        throw CommonErrors.validation(`Invalid value for ${field}: ${problem.message}`, {
          [field]: [problem.message],
        });
      }
    }
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
    if (
      (metadata.type === 'body' || metadata.type === 'query') &&
      typeof metadata.metatype === 'function' &&
      !PRIMITIVES.includes(metadata.metatype)
    ) {
      const field = inheritedNameField(value, '');
      if (field) {
        const message = `property ${field} should not exist`;
        throw CommonErrors.validation(`Invalid value for ${field}: ${message}`, { [field]: [message] });
      }
    }
    return super.transform(value, metadata);
  }
}

export function createValidationPipe(): ValidationPipe {
  return new AppValidationPipe();
}
