import { Controller, Get, Query } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { ApiEnvelope } from '../../infrastructure/http/api-envelope.decorator.js';
import { ClientGone } from '../../infrastructure/http/client-gone.js';
import { CurrentActor, RequirePermissions } from '../auth/decorators.js';
import type { Actor } from '../auth/domain/actor.js';
import { Permission } from '../auth/domain/roles.js';
import { AuditChainReportDto } from './dto/audit-chain-report.response.dto.js';
import { AuditLogPageDto } from './dto/audit-log.response.dto.js';
import { ListAuditLogsRequestDto } from './dto/list-audit-logs.request.dto.js';
import { VerifyAuditChainRequestDto } from './dto/verify-audit-chain.request.dto.js';
import { ListAuditLogsQuery } from './queries/list-audit-logs.query.js';
import { VerifyAuditChainQuery } from './queries/verify-audit-chain.query.js';
import {
  ApiErrors,
  ERROR_BODY_SCHEMA,
  FORBIDDEN,
  UNAUTHENTICATED,
} from '../../infrastructure/http/api-errors.decorator.js';

@ApiTags('audit')
@ApiBearerAuth()
@ApiErrors({ 401: UNAUTHENTICATED, 403: FORBIDDEN })
@Controller('audit')
export class AuditController {
  constructor(private readonly queryBus: QueryBus) {}

  @Get('logs')
  @RequirePermissions(Permission.AuditRead)
  @ApiOperation({ summary: 'Audit entries, newest first (auditor, superadmin)' })
  @ApiEnvelope(AuditLogPageDto)
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
      'head_hash, and pass them later as anchor_id and anchor_hash: a chain recomputed since then no longer ' +
      'matches. Each call counts against a limit of its own per user (AUDIT_VERIFY_RATE_LIMIT per ' +
      'AUDIT_VERIFY_RATE_WINDOW_SECONDS, every node together); a node runs AUDIT_VERIFY_WALKS_PER_USER walks per ' +
      'user and AUDIT_VERIFY_MAX_WALKS in all at a time. A refused call runs nothing. A client that disconnects ' +
      'stops its walk before the next statement.',
  })
  @ApiEnvelope(AuditChainReportDto)
  @ApiResponse({
    status: 429,
    description:
      '`AUDIT.VERIFY_RATE_LIMITED`: this user made AUDIT_VERIFY_RATE_LIMIT calls in the window; ' +
      "`AUDIT.VERIFY_IN_PROGRESS`: this user's earlier walk still runs on this node; `RATE_LIMITED`: the global " +
      'limit. Nothing was run; retry after `retry_after_seconds` (also the `Retry-After` header).',
    schema: ERROR_BODY_SCHEMA,
  })
  @ApiResponse({
    status: 503,
    description:
      '`AUDIT.VERIFY_BUSY`: this node already runs AUDIT_VERIFY_MAX_WALKS walks; nothing was run, retry after ' +
      '`retry_after_seconds` (also `Retry-After`). Or `DATABASE_UNAVAILABLE` / `DATABASE_BUSY` / ' +
      '`DATABASE_TIMEOUT` / `DATABASE_READ_ONLY` / `DATABASE_DISK_FULL`.',
    schema: ERROR_BODY_SCHEMA,
  })
  verify(
    @CurrentActor() actor: Actor,
    @Query() range: VerifyAuditChainRequestDto,
    @ClientGone() clientGone: AbortSignal,
  ) {
    return this.queryBus.execute(new VerifyAuditChainQuery(actor.userId, range, clientGone));
  }
}
