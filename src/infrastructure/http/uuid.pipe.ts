import { ParseUUIDPipe } from '@nestjs/common';
import { CommonErrors } from '../errors/common.errors.js';

/** Validates a uuid path parameter, answering a bad one with the standard 400 body naming it. */
export function uuidPipe(name: string): ParseUUIDPipe {
  return new ParseUUIDPipe({
    exceptionFactory: () => CommonErrors.validation(`${name} must be a UUID`, { [name]: ['must be a UUID'] }),
  });
}
