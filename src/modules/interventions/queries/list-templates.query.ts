import { Query } from '@nestjs/cqrs';

export class ListTemplatesQuery extends Query<Record<string, unknown>[]> {}
