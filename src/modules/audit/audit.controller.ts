import { Controller, Get, Query } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { RequirePermissions } from '../auth/decorators.js';
import { Permission } from '../auth/domain/roles.js';
import { ListAuditLogsRequestDto } from './dto/list-audit-logs.request.dto.js';
import { ListAuditLogsQuery } from './queries/list-audit-logs.query.js';
import { VerifyAuditChainQuery } from './queries/verify-audit-chain.query.js';

@ApiTags('audit')
@ApiBearerAuth()
@Controller('audit')
export class AuditController {
  constructor(private readonly queryBus: QueryBus) {}

  @Get('logs')
  @RequirePermissions(Permission.AuditRead)
  @ApiOperation({ summary: 'Audit entries, newest first (auditor, superadmin)' })
  list(@Query() filters: ListAuditLogsRequestDto) {
    return this.queryBus.execute(new ListAuditLogsQuery(filters));
  }

  @Get('verify')
  @RequirePermissions(Permission.AuditRead)
  @ApiOperation({
    summary: 'Walk the hash chain and name the first tampered or missing row (auditor, superadmin)',
  })
  verify() {
    return this.queryBus.execute(new VerifyAuditChainQuery());
  }
}
