import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import { TEMPLATE_COLUMNS } from './intervention-row.js';
import { ListTemplatesQuery } from './list-templates.query.js';

@QueryHandler(ListTemplatesQuery)
export class ListTemplatesHandler implements IQueryHandler<ListTemplatesQuery> {
  constructor(private readonly dataSource: DataSource) {}

  execute(): Promise<Record<string, unknown>[]> {
    return this.dataSource.query(
      `SELECT ${TEMPLATE_COLUMNS} FROM intervention_templates ORDER BY lower(name) LIMIT 500`,
    );
  }
}
