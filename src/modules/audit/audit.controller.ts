import { Controller, Get, Query } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiEnvelope } from '../../infrastructure/http/api-envelope.decorator.js';
import { RequirePermissions } from '../auth/decorators.js';
import { Permission } from '../auth/domain/roles.js';
import { AuditChainReportDto } from './dto/audit-chain-report.response.dto.js';
import { ListAuditLogsRequestDto } from './dto/list-audit-logs.request.dto.js';
import { VerifyAuditChainRequestDto } from './dto/verify-audit-chain.request.dto.js';
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
    description:
      'Checks one range: from from_id (default: the first row) at most `limit` rows, up to the head the chain ' +
      'had when the walk started. Walk a longer chain on with next_from_id until complete. Record head_id and ' +
      'head_hash, and pass them later as anchor_id and anchor_hash: a chain recomputed since then no longer matches.',
  })
  @ApiEnvelope(AuditChainReportDto)
  verify(@Query() range: VerifyAuditChainRequestDto) {
    return this.queryBus.execute(new VerifyAuditChainQuery(range));
  }
}
