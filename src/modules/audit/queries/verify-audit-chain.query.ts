import { Query } from '@nestjs/cqrs';

export interface AuditChainReport {
  valid: boolean;
  checked_rows: number;
  head_hash: string | null;
  /** The first row whose content no longer matches its hash, or whose link to its predecessor is broken. */
  first_broken: { id: string; problem: 'hash_mismatch' | 'broken_link' } | null;
}

export class VerifyAuditChainQuery extends Query<AuditChainReport> {}
