import { Query } from '@nestjs/cqrs';
import type { AuditChainReportDto } from '../dto/audit-chain-report.response.dto.js';
import type { VerifyAuditChainRequestDto } from '../dto/verify-audit-chain.request.dto.js';

export class VerifyAuditChainQuery extends Query<AuditChainReportDto> {
  /**
   * `userId`: whose limits the walk counts against. `signal`: aborted when nobody waits for the answer any more
   * (the client disconnected); the walk stops before its next statement.
   */
  constructor(
    readonly userId: string,
    readonly range: VerifyAuditChainRequestDto = {},
    readonly signal?: AbortSignal,
  ) {
    super();
  }
}
