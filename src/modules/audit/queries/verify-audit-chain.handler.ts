import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import { VerifyAuditChainQuery, type AuditChainReport } from './verify-audit-chain.query.js';

const GENESIS = '0'.repeat(64);

/**
 * Recomputes every row's hash with the same SQL function the insert trigger uses, and checks each row's
 * prev_hash against its predecessor's hash. Deleting, editing or reordering a row breaks the chain there.
 */
@QueryHandler(VerifyAuditChainQuery)
export class VerifyAuditChainHandler implements IQueryHandler<VerifyAuditChainQuery> {
  constructor(private readonly dataSource: DataSource) {}

  async execute(): Promise<AuditChainReport> {
    const [summary] = await this.dataSource.query(
      `WITH chain AS (
           SELECT a.id, a.hash, a.prev_hash, audit_row_hash(a) AS computed,
                  lag(a.hash, 1, '${GENESIS}') OVER (ORDER BY a.id) AS expected_prev
           FROM audit_log a
         )
         SELECT (SELECT count(*) FROM chain)::int AS checked_rows,
                (SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1) AS head_hash,
                (SELECT json_build_object('id', id::text,
                          'problem', CASE WHEN hash <> computed THEN 'hash_mismatch' ELSE 'broken_link' END)
                 FROM chain WHERE hash <> computed OR prev_hash <> expected_prev
                 ORDER BY id LIMIT 1) AS first_broken`,
    );
    return {
      valid: summary.first_broken === null,
      checked_rows: summary.checked_rows,
      head_hash: summary.head_hash,
      first_broken: summary.first_broken,
    };
  }
}
