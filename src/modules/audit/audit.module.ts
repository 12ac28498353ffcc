import { Global, Module } from '@nestjs/common';
import { AuditController } from './audit.controller.js';
import { AuditService } from './audit.service.js';
import { ListAuditLogsHandler } from './queries/list-audit-logs.handler.js';
import { VerifyAuditChainHandler } from './queries/verify-audit-chain.handler.js';

/** Global because every module that changes state writes audit rows in its own transactions. */
@Global()
@Module({
  controllers: [AuditController],
  providers: [AuditService, ListAuditLogsHandler, VerifyAuditChainHandler],
  exports: [AuditService],
})
export class AuditModule {}
