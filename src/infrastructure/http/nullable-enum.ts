/**
 * @ApiProperty options for an enum that may also be null. OpenAPI 3.0 reads `nullable` as not widening `enum`, so
 * strict generated clients refuse a null unless the list names it too; @nestjs/swagger's enum type has no null,
 * hence the cast.
 */
export function nullableEnum<T extends string>(values: readonly T[]) {
  return { enum: [...values, null] as unknown as T[], nullable: true, type: String } as const;
}
