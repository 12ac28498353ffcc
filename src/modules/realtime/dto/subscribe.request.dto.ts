import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayUnique, IsArray, IsIn, registerDecorator, isUUID } from 'class-validator';
import { Optional } from '../../../infrastructure/http/validators.js';
import { UPDATE_TYPES, type UpdateType } from '../domain/player-update.js';

/** Most players one socket may watch by id (beyond that, subscribe to 'all' and filter client-side). */
export const MAX_WATCHED_PLAYERS = 1000;

/** 'all', or an array of 1..MAX_WATCHED_PLAYERS distinct player uuids. */
function IsPlayerSelection() {
  return (target: object, propertyName: string) =>
    registerDecorator({
      name: 'isPlayerSelection',
      target: target.constructor,
      propertyName,
      options: {
        message: `${propertyName} must be "all" or an array of 1 to ${MAX_WATCHED_PLAYERS} player uuids`,
      },
      validator: {
        validate: (value: unknown) =>
          value === 'all' ||
          (Array.isArray(value) &&
            value.length > 0 &&
            value.length <= MAX_WATCHED_PLAYERS &&
            value.every((id) => typeof id === 'string' && isUUID(id)) &&
            new Set(value).size === value.length),
      },
    });
}

export class SubscribeRequestDto {
  @ApiProperty({
    oneOf: [
      { type: 'string', enum: ['all'] },
      { type: 'array', items: { type: 'string', format: 'uuid' } },
    ],
  })
  @IsPlayerSelection()
  players: 'all' | string[];

  @ApiPropertyOptional({
    enum: UPDATE_TYPES,
    isArray: true,
    description: 'Update types wanted; all when absent',
  })
  @Optional()
  @IsArray()
  @ArrayMaxSize(UPDATE_TYPES.length)
  @ArrayUnique()
  @IsIn(UPDATE_TYPES, { each: true })
  topics?: UpdateType[];
}

export class UnsubscribeRequestDto {
  @ApiPropertyOptional({
    oneOf: [
      { type: 'string', enum: ['all'] },
      { type: 'array', items: { type: 'string', format: 'uuid' } },
    ],
    description: 'What to stop watching; everything when absent (null is refused)',
  })
  @Optional()
  @IsPlayerSelection()
  players?: 'all' | string[];
}
