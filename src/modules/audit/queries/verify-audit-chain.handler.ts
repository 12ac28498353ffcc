import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import type {
  AuditAnchorDto,
  AuditChainBreakDto,
  AuditChainReportDto,
} from '../dto/audit-chain-report.response.dto.js';
import { VERIFY_MAX_ROWS } from '../dto/verify-audit-chain.request.dto.js';
import { VerifyAuditChainQuery } from './verify-audit-chain.query.js';

const GENESIS = '0'.repeat(64);

/**
 * Rows per statement: ~0.5 s on real Postgres here, far inside statement_timeout (30 s) even on a machine
 * several times slower, and short enough that the pooled connection (the only one, embedded) is free again soon.
 */
const CHUNK_ROWS = 50_000;

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

/**
 * Walks one range of the chain (from from_id, at most `limit` rows, never past the head it found at the start)
 * in keyset chunks of separate statements, so no statement nears the timeout and no connection or snapshot is
 * held between them. Rows up to that head are final: ids are drawn under the trigger's lock, so once the head
 * is visible every row below it has committed or rolled back. Deleting, editing or reordering a row breaks the
 * chain there; recomputing every hash after an edit is caught by an anchor recorded before it.
 */
@QueryHandler(VerifyAuditChainQuery)
export class VerifyAuditChainHandler implements IQueryHandler<VerifyAuditChainQuery> {
  constructor(private readonly dataSource: DataSource) {}

  async execute({ range }: VerifyAuditChainQuery): Promise<AuditChainReportDto> {
    const [head] = (await this.dataSource.query(
      `SELECT a.id::text, a.hash FROM audit_log a ORDER BY a.id DESC LIMIT 1`,
    )) as { id: string; hash: string }[];
    const anchor =
      range.anchor_id === undefined ? null : await this.checkAnchor(range.anchor_id, range.anchor_hash!);
    const walk = head
      ? await this.walk(BigInt(range.from_id ?? 1), head.id, range.limit ?? VERIFY_MAX_ROWS)
      : { checked: 0, fromId: null, toId: null, firstBroken: null, next: null };
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
  private async walk(start: bigint, headId: string, limit: number) {
    let checked = 0;
    let fromId: string | null = null;
    let toId: string | null = null;
    let firstBroken: AuditChainBreakDto | null = null;
    for (;;) {
      const want = Math.min(CHUNK_ROWS, limit - checked);
      const [chunk] = (await this.dataSource.query(CHECK_CHUNK, [start.toString(), headId, want])) as [
        ChunkRow,
      ];
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
