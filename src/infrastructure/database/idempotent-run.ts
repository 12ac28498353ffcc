import { randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import type { DataSource, EntityManager } from 'typeorm';
import { CommonErrors } from '../errors/common.errors.js';
import {
  claimKey,
  replayOf,
  type Idempotent,
  type IdempotencyScope,
  type StoredKey,
} from './idempotent-transaction.js';
import { inTransaction } from './transaction.js';

/** How soon a copy that found the key running should ask again (a run is capped and short; see docs/adminops.md). */
export const RUN_RETRY_AFTER_SECONDS = 2;

interface HeldKey extends StoredKey {
  leased: boolean;
}

/** Thrown inside an item's transaction when another run recorded the item first: rolls this change back. */
class RecordedElsewhere extends Error {}

/**
 * An Idempotency-Key over a write made of many transactions, one an item (emergency/bulk: one a player), exactly
 * once per item. The key is claimed first in a short transaction of its own, with a lease the running node renews
 * (heartbeat every lease/3); each item's outcome is recorded in the same transaction as the item's change; the
 * whole answer is stored last. A copy sent after that gets the stored answer; while the lease holds, 409
 * IDEMPOTENCY_KEY_IN_PROGRESS; once it has lapsed (the node died, or the run ended without finishing) the copy
 * takes the lease over and resumes: recorded items are answered from their outcomes, the rest run. Two runs on one
 * key (a stalled node whose lease was taken over) still change an item once: the item's record is unique, and
 * the run that loses the race rolls its change back and answers the recorded outcome.
 * Without a key every item simply runs in its own transaction.
 */
export class IdempotentRun {
  private readonly logger = new Logger(IdempotentRun.name);
  private readonly holder = randomUUID();
  private readonly recorded = new Map<string, unknown>();
  private heartbeat?: NodeJS.Timeout;
  private finished = false;

  private constructor(
    private readonly dataSource: DataSource,
    private readonly scope: IdempotencyScope,
    private readonly leaseMs: number,
  ) {}

  /** The stored answer (a replay; nothing is to run), or the run, claimed or resumed. 422 / 409 as above. */
  static async start<T>(
    dataSource: DataSource,
    scope: IdempotencyScope,
    leaseMs: number,
  ): Promise<Idempotent<T> | IdempotentRun> {
    const run = new IdempotentRun(dataSource, scope, leaseMs);
    const request = scope.request;
    if (!request) return run;
    const ids = [scope.userId, request.key];
    const stored = await inTransaction(dataSource, async (m): Promise<StoredKey | undefined> => {
      if (await claimKey(m, scope, request, { holder: run.holder, ms: leaseMs })) {
        // Claimed afresh: what an expired run of this key recorded is not ours.
        await m.query('DELETE FROM admin_idempotency_items WHERE user_id = $1 AND key = $2', ids);
        return undefined;
      }
      const [held] = (await m.query(
        `SELECT request_hash, response, lease_until > now() AS leased FROM admin_idempotency_keys
         WHERE user_id = $1 AND key = $2 FOR UPDATE`,
        ids,
      )) as HeldKey[];
      if (held!.response !== null || held!.request_hash !== request.requestHash) return held;
      if (held!.leased) throw CommonErrors.idempotencyKeyInProgress(RUN_RETRY_AFTER_SECONDS);
      await m.query(
        `UPDATE admin_idempotency_keys SET lease_until = now() + $3 * interval '1 millisecond', lease_holder = $4
         WHERE user_id = $1 AND key = $2`,
        [...ids, leaseMs, run.holder],
      );
      const items = (await m.query(
        'SELECT item, outcome FROM admin_idempotency_items WHERE user_id = $1 AND key = $2',
        ids,
      )) as { item: string; outcome: unknown }[];
      for (const { item, outcome } of items) run.recorded.set(item, outcome);
      return undefined;
    });
    if (stored) return replayOf<T>(stored, request);
    run.heartbeat = setInterval(() => void run.renew(), Math.max(100, leaseMs / 3));
    run.heartbeat.unref();
    return run;
  }

  /** The outcome an earlier run recorded for `item`, if any: answer it, do not run it again. */
  outcomeOf<O>(item: string): O | undefined {
    return this.recorded.get(item) as O | undefined;
  }

  /**
   * Runs `work` in a transaction of its own and records its outcome in that transaction. `ran` is false when
   * another run recorded the item first: then this change rolled back and `outcome` is the recorded one.
   */
  async step<O>(item: string, work: (m: EntityManager) => Promise<O>): Promise<{ outcome: O; ran: boolean }> {
    if (!this.scope.request) return { outcome: await inTransaction(this.dataSource, work), ran: true };
    try {
      const outcome = await inTransaction(this.dataSource, async (m) => {
        const out = await work(m);
        const marked: unknown[] = await m.query(
          `INSERT INTO admin_idempotency_items (user_id, key, item, outcome) VALUES ($1, $2, $3, $4::json)
           ON CONFLICT DO NOTHING RETURNING 1`,
          [this.scope.userId, this.scope.request!.key, item, JSON.stringify(out)],
        );
        if (marked.length === 0) throw new RecordedElsewhere();
        return out;
      });
      this.recorded.set(item, outcome);
      return { outcome, ran: true };
    } catch (err) {
      if (!(err instanceof RecordedElsewhere)) throw err;
      const [row] = (await this.dataSource.query(
        'SELECT outcome FROM admin_idempotency_items WHERE user_id = $1 AND key = $2 AND item = $3',
        [this.scope.userId, this.scope.request.key, item],
      )) as { outcome: O }[];
      this.recorded.set(item, row!.outcome);
      return { outcome: row!.outcome, ran: false };
    }
  }

  /** Records an outcome that changed nothing (a refusal); answers the recorded one if another run was first. */
  async record<O>(item: string, outcome: O): Promise<O> {
    if (!this.scope.request) return outcome;
    return (await this.step(item, () => Promise.resolve(outcome))).outcome;
  }

  /**
   * Stores the whole answer when every item has its outcome recorded; otherwise (an item failed unexpectedly and
   * was not recorded) the key is left to resume, so the same key sent again runs just those items.
   */
  async finish(result: unknown, items: string[]): Promise<void> {
    if (!this.scope.request || !items.every((i) => this.recorded.has(i))) return;
    await this.dataSource.query(
      `UPDATE admin_idempotency_keys SET response = $3::json, lease_until = NULL, lease_holder = NULL
       WHERE user_id = $1 AND key = $2 AND response IS NULL`,
      [this.scope.userId, this.scope.request.key, JSON.stringify(result)],
    );
    this.finished = true;
  }

  /** Stops the heartbeat; a run that did not finish gives its lease up, so a copy can resume it at once. */
  async close(): Promise<void> {
    clearInterval(this.heartbeat);
    if (!this.scope.request || this.finished) return;
    await this.leaseFor(0).catch((err: unknown) =>
      this.logger.warn({ err }, 'Could not give up an idempotency lease; it lapses on its own'),
    );
  }

  private async renew(): Promise<void> {
    await this.leaseFor(this.leaseMs).catch((err: unknown) =>
      this.logger.warn({ err }, 'Could not renew an idempotency lease'),
    );
  }

  private leaseFor(ms: number): Promise<unknown> {
    return this.dataSource.query(
      `UPDATE admin_idempotency_keys SET lease_until = now() + $4 * interval '1 millisecond'
       WHERE user_id = $1 AND key = $2 AND lease_holder = $3 AND response IS NULL`,
      [this.scope.userId, this.scope.request!.key, this.holder, ms],
    );
  }
}
