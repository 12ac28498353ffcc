import { Inject, Logger } from '@nestjs/common';
import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../../../config/app-config.js';
import { MetricsService } from '../../../infrastructure/metrics/metrics.service.js';
import { RateLimitService } from '../../../infrastructure/throttling/rate-limit.service.js';
import { AuditErrors } from '../domain/audit.errors.js';
import { WalkSlots } from '../domain/walk-slots.js';
import type {
  AuditAnchorDto,
  AuditChainBreakDto,
  AuditChainReportDto,
} from '../dto/audit-chain-report.response.dto.js';
import { VERIFY_MAX_ROWS, type VerifyAuditChainRequestDto } from '../dto/verify-audit-chain.request.dto.js';
import { VerifyAuditChainQuery } from './verify-audit-chain.query.js';

const GENESIS = '0'.repeat(64);

/**
 * When to come back after a refusal for a walk still running: a chunk (AUDIT_VERIFY_CHUNK_ROWS, by default
 * 50,000 rows) is ~0.5 s on real Postgres here and a whole range ~10 s, so a few seconds usually suffice.
 */
const WALK_RETRY_AFTER_SECONDS = 5;

/**
 * One chunk: recomputes each row's hash with the function the insert trigger uses, and checks each row's
 * prev_hash against its predecessor's hash: inside the chunk the previous row, for its first row the stored
 * row with the greatest id below it (ids have gaps). So a chunk, like a range, stands on its own: a chunk
 * boundary is checked exactly as a range boundary is.
 */
const CHECK_CHUNK = `
  WITH links AS (
    SELECT c.id, c.hash <> c.computed AS mismatch,
           c.prev_hash <> lag(c.hash, 1, coalesce(
             (SELECT p.hash FROM audit_log p WHERE p.id < $1 ORDER BY p.id DESC LIMIT 1), '${GENESIS}'))
             OVER (ORDER BY c.id) AS broken_link
    FROM (SELECT a.id, a.hash, a.prev_hash, audit_row_hash(a) AS computed
          FROM audit_log a WHERE a.id >= $1 AND a.id <= $2 ORDER BY a.id LIMIT $3) c
  )
  SELECT count(*)::int AS rows, min(id)::text AS first_id, max(id)::text AS last_id,
         min(id) FILTER (WHERE mismatch)::text AS first_mismatch,
         min(id) FILTER (WHERE broken_link)::text AS first_broken_link
  FROM links`;

interface ChunkRow {
  rows: number;
  first_id: string | null;
  last_id: string | null;
  first_mismatch: string | null;
  first_broken_link: string | null;
}

/** Who waits for a walk, and whether they still do. */
interface WalkCaller {
  userId: string;
  signal?: AbortSignal;
}

/**
 * Walks one range of the chain (from from_id, at most `limit` rows, never past the head it found at the start)
 * in keyset chunks of separate statements (AUDIT_VERIFY_CHUNK_ROWS rows each, by default 50,000: ~0.5 s on real
 * Postgres here, far inside statement_timeout), so no statement nears the timeout and no connection or snapshot
 * is held between them. Rows up to that head are final: ids are drawn under the trigger's lock, so once the head
 * is visible every row below it has committed or rolled back. Deleting, editing or reordering a row breaks the
 * chain there; recomputing every hash after an edit is caught by an anchor recorded before it.
 *
 * A walk is ~10 s of a Postgres core per 1,000,000 rows, so it is admitted only within the caller's rate limit
 * (AUDIT_VERIFY_RATE_LIMIT per window, every node together) and a slot on this node (AUDIT_VERIFY_WALKS_PER_USER
 * per user, AUDIT_VERIFY_MAX_WALKS in all); a refused call runs nothing. Before each statement the walk stops if
 * its client has disconnected: no walk runs on once nobody waits for its answer.
 */
@QueryHandler(VerifyAuditChainQuery)
export class VerifyAuditChainHandler implements IQueryHandler<VerifyAuditChainQuery> {
  private readonly logger = new Logger(VerifyAuditChainHandler.name);
  private readonly slots: WalkSlots;

  constructor(
    private readonly dataSource: DataSource,
    private readonly limits: RateLimitService,
    private readonly metrics: MetricsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.slots = new WalkSlots({
      perUser: config.auditVerifyWalksPerUser,
      total: config.auditVerifyMaxWalks,
    });
  }

  async execute({ userId, range, signal }: VerifyAuditChainQuery): Promise<AuditChainReportDto> {
    const release = await this.admit(userId);
    this.metrics.auditVerifyWalks.inc();
    let outcome = 'failed';
    try {
      const report = await this.report(range, { userId, signal });
      outcome = report.complete ? 'complete' : 'partial';
      return report;
    } catch (err) {
      if (signal?.aborted) outcome = 'abandoned';
      throw err;
    } finally {
      this.metrics.auditVerifyWalks.dec();
      this.metrics.auditVerifyCalls.inc({ outcome });
      release();
    }
  }

  /** A slot on this node, then the rate limit (so a call refused a slot spends none of it); returns the release. */
  private async admit(userId: string): Promise<() => void> {
    const slot = this.slots.take(userId);
    if (!slot.taken) {
      this.metrics.auditVerifyCalls.inc({ outcome: slot.refusal === 'user' ? 'in_progress' : 'busy' });
      throw slot.refusal === 'user'
        ? AuditErrors.verifyInProgress(WALK_RETRY_AFTER_SECONDS)
        : AuditErrors.verifyBusy(WALK_RETRY_AFTER_SECONDS);
    }
    const limiter = this.limits.limiter('audit-verify', {
      points: this.config.auditVerifyRateLimit,
      durationSeconds: this.config.auditVerifyRateWindowSeconds,
    });
    const verdict = await this.limits.consume(limiter, `user:${userId}`).catch((err: unknown) => {
      slot.release();
      throw err;
    });
    if (!verdict.allowed) {
      slot.release();
      this.metrics.auditVerifyCalls.inc({ outcome: 'rate_limited' });
      throw AuditErrors.verifyRateLimited(verdict.retryAfterSeconds);
    }
    return slot.release;
  }

  private async report(range: VerifyAuditChainRequestDto, caller: WalkCaller): Promise<AuditChainReportDto> {
    const started = Date.now();
    // The default range starts at the chain's first stored row, whatever its id: the sequence starts at 1, but a
    // row slipped in below it (id 0 or negative, with the genesis hash so that row 1 still links to it) would
    // otherwise never be walked, while the logs list it.
    const [head] = (await this.dataSource.query(
      `SELECT a.id::text, a.hash, (SELECT f.id FROM audit_log f ORDER BY f.id LIMIT 1)::text AS first_id
         FROM audit_log a ORDER BY a.id DESC LIMIT 1`,
    )) as { id: string; hash: string; first_id: string }[];
    const anchor =
      range.anchor_id === undefined ? null : await this.checkAnchor(range.anchor_id, range.anchor_hash!);
    const walk = head
      ? await this.walk(
          BigInt(range.from_id ?? head.first_id),
          head.id,
          range.limit ?? VERIFY_MAX_ROWS,
          caller,
        )
      : { checked: 0, fromId: null, toId: null, firstBroken: null, next: null };
    this.logger.log(
      {
        userId: caller.userId,
        checkedRows: walk.checked,
        fromId: walk.fromId,
        toId: walk.toId,
        complete: walk.next === null,
        firstBroken: walk.firstBroken,
        ms: Date.now() - started,
      },
      'Audit chain walk finished',
    );
    return {
      valid: walk.firstBroken === null && (anchor?.matches ?? true),
      checked_rows: walk.checked,
      head_id: head?.id ?? null,
      head_hash: head?.hash ?? null,
      first_broken: walk.firstBroken,
      from_id: walk.fromId,
      to_id: walk.toId,
      complete: walk.next === null,
      next_from_id: walk.next,
      anchor,
    };
  }

  /** Checks up to `limit` rows from `start` through `headId`; `next` is where to go on (null: head reached). */
  private async walk(start: bigint, headId: string, limit: number, { userId, signal }: WalkCaller) {
    let checked = 0;
    let fromId: string | null = null;
    let toId: string | null = null;
    let firstBroken: AuditChainBreakDto | null = null;
    for (;;) {
      if (signal?.aborted) {
        this.logger.warn(
          { userId, checkedRows: checked, fromId, stoppedAt: start.toString(), headId },
          'Audit chain walk stopped: the client disconnected before the answer',
        );
        throw AuditErrors.verifyAbandoned();
      }
      const want = Math.min(this.config.auditVerifyChunkRows, limit - checked);
      const [chunk] = (await this.dataSource.query(CHECK_CHUNK, [start.toString(), headId, want])) as [
        ChunkRow,
      ];
      this.metrics.auditVerifyRows.inc(chunk.rows);
      if (chunk.last_id !== null) {
        checked += chunk.rows;
        fromId ??= chunk.first_id;
        toId = chunk.last_id;
        firstBroken ??= firstBreak(chunk);
        start = BigInt(chunk.last_id) + 1n;
      }
      const reachedHead = chunk.rows < want || toId === headId;
      if (reachedHead || checked === limit) {
        return { checked, fromId, toId, firstBroken, next: reachedHead ? null : start.toString() };
      }
    }
  }

  /** Whether the row still carries the hash the auditor recorded, and its content still gives it. */
  private async checkAnchor(id: number, hash: string): Promise<AuditAnchorDto> {
    const [row] = (await this.dataSource.query(
      `SELECT a.hash, audit_row_hash(a) AS computed FROM audit_log a WHERE a.id = $1`,
      [id],
    )) as { hash: string; computed: string }[];
    return { id: String(id), hash, matches: row?.hash === hash && row.computed === hash };
  }
}

/** The chunk's first broken row; an edited row (hash_mismatch) wins over a broken link on the same row. */
function firstBreak({ first_mismatch: m, first_broken_link: l }: ChunkRow): AuditChainBreakDto | null {
  if (m !== null && (l === null || BigInt(m) <= BigInt(l))) return { id: m, problem: 'hash_mismatch' };
  return l === null ? null : { id: l, problem: 'broken_link' };
}
