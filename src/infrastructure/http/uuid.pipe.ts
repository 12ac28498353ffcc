import { type ArgumentMetadata, ParseUUIDPipe } from '@nestjs/common';
import { CommonErrors } from '../errors/common.errors.js';

/**
 * A uuid path parameter, answered with the standard 400 body naming it when it is not one, and lower-cased
 * when it is: Postgres compares uuids case-insensitively but the server's maps, rooms and text columns do not,
 * so an id in capitals must not name a different thing anywhere.
 */
class LowerCaseUuidPipe extends ParseUUIDPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<string | undefined | null> {
    const id = await super.transform(value, metadata);
    return typeof id === 'string' ? id.toLowerCase() : id;
  }
}

export function uuidPipe(name: string): ParseUUIDPipe {
  return new LowerCaseUuidPipe({
    exceptionFactory: () => CommonErrors.validation(`${name} must be a UUID`, { [name]: ['must be a UUID'] }),
  });
}
