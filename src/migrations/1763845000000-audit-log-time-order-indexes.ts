import type { MigrationInterface, QueryRunner } from 'typeorm';
import { buildIndex, concurrently } from './concurrent-index.js';

/** Before: each filter's index, in id order. After: the same filters, in time order (occurred_at, then id). */
const INDEXES = [
  { old: ['audit_time_idx', '(occurred_at)'], new: ['audit_time_id_idx', '(occurred_at, id)'] },
  {
    old: ['audit_actor_idx', '(actor_id, id)'],
    new: ['audit_actor_time_idx', '(actor_id, occurred_at, id)'],
  },
  { old: ['audit_action_idx', '(action, id)'], new: ['audit_action_time_idx', '(action, occurred_at, id)'] },
  {
    old: ['audit_target_idx', '(target_id, id)'],
    new: ['audit_target_time_idx', '(target_id, occurred_at, id)'],
  },
] as const;

/**
 * GET /audit/logs lists newest first by (occurred_at, id) instead of id, so every filter, alone or with a time
 * range, reads its page straight off one index. In id order a `to` far in the past had no index to start from:
 * at 1,000,000 rows over a year, `to` 300 days back scanned the 820,000 newer rows (0.5 s; 0.3 s with an action
 * or outcome, 80 ms with an actor), more as the table grows; now 0.1-2.4 ms. The (x, id) indexes serve no
 * query any more, so they go (the player detail's recent audit rows take the target's new one).
 *
 * CONCURRENTLY, outside a transaction: every admin change writes an audit row, so a plain build would stall
 * them all for its duration. statement_timeout is lifted for the builds, which at tens of millions of rows
 * outlast the 30 s every connection has.
 */
export class AuditLogTimeOrderIndexes1763845000000 implements MigrationInterface {
  name = 'AuditLogTimeOrderIndexes1763845000000';
  transaction = false;

  async up(q: QueryRunner): Promise<void> {
    await this.swap(q, 'old', 'new');
  }

  async down(q: QueryRunner): Promise<void> {
    await this.swap(q, 'new', 'old');
  }

  private async swap(q: QueryRunner, from: 'old' | 'new', to: 'old' | 'new'): Promise<void> {
    await q.query(q.isTransactionActive ? `SET LOCAL statement_timeout = 0` : `SET statement_timeout = 0`);
    try {
      for (const index of INDEXES) {
        const [name, columns] = index[to];
        await buildIndex(q, name, `ON audit_log ${columns}`);
        await q.query(`DROP INDEX ${concurrently(q)} IF EXISTS ${index[from][0]}`);
      }
    } finally {
      if (!q.isTransactionActive) await q.query(`RESET statement_timeout`);
    }
  }
}
