import { Query } from '@nestjs/cqrs';
import type { AuditChainReportDto } from '../dto/audit-chain-report.response.dto.js';
import type { VerifyAuditChainRequestDto } from '../dto/verify-audit-chain.request.dto.js';

export class VerifyAuditChainQuery extends Query<AuditChainReportDto> {
  constructor(readonly range: VerifyAuditChainRequestDto = {}) {
    super();
  }
}
