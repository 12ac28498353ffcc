import type { DataSource, EntityManager } from 'typeorm';
import { CommonErrors } from '../errors/common.errors.js';
import type { IdempotencyRequest } from '../http/idempotency-key.js';
import { inTransaction } from './transaction.js';

/** Whose key, which key (none: an ordinary write), and how long a committed result is kept. */
export interface IdempotencyScope {
  userId: string;
  request: IdempotencyRequest | undefined;
  ttlHours: number;
}

/** A write's result, and whether it is the stored result of an earlier copy (nothing was run this time). */
export interface Idempotent<T> {
  result: T;
  replayed: boolean;
}

export interface StoredKey {
  request_hash: string;
  response: unknown;
}

/**
 * inTransaction, exactly once per (user, Idempotency-Key). The key is claimed first, in the same transaction
 * as `work`, and the result is stored with it before the commit, so a key exists exactly when its write
 * committed: a refusal (any throw) rolls the claim back and the same key can run again. A copy sent while the
 * first is running waits on the key's unique index and then answers with the first's result; a committed key
 * sent with another request is a 422. An expired key that is not purged yet is claimed afresh.
 * The caller publishes its events only when `replayed` is false.
 */
export async function inIdempotentTransaction<T>(
  dataSource: DataSource,
  scope: IdempotencyScope,
  work: (manager: EntityManager) => Promise<T>,
): Promise<Idempotent<T>> {
  const { request } = scope;
  if (!request) return { result: await inTransaction(dataSource, work), replayed: false };
  const outcome = await inTransaction(
    dataSource,
    async (m): Promise<{ stored: StoredKey } | { result: T }> => {
      if (!(await claimKey(m, scope, request))) {
        // Taken by a committed write (we may have waited for it): the conflict check locked its row.
        const [stored] = (await m.query(
          'SELECT request_hash, response FROM admin_idempotency_keys WHERE user_id = $1 AND key = $2',
          [scope.userId, request.key],
        )) as StoredKey[];
        return { stored: stored! };
      }
      const result = await work(m);
      await m.query('UPDATE admin_idempotency_keys SET response = $3::json WHERE user_id = $1 AND key = $2', [
        scope.userId,
        request.key,
        JSON.stringify(result),
      ]);
      return { result };
    },
  );
  if ('result' in outcome) return { result: outcome.result, replayed: false };
  return replayOf<T>(outcome.stored, request);
}

/** A run of many transactions holds its key `ms` at a time, as `holder` (see IdempotentRun); one transaction holds none. */
export interface KeyLease {
  holder: string;
  ms: number;
}

/**
 * Claims (user, key) for `request` in `m`'s transaction: true for a new key or an expired one not purged yet
 * (claimed afresh), false when the key is taken (we may have waited for a twin's commit; its row is locked now).
 */
export async function claimKey(
  m: EntityManager,
  scope: IdempotencyScope,
  request: IdempotencyRequest,
  lease?: KeyLease,
): Promise<boolean> {
  const claimed: unknown[] = await m.query(
    `INSERT INTO admin_idempotency_keys (user_id, key, request_hash, expires_at, lease_until, lease_holder)
     VALUES ($1, $2, $3, now() + make_interval(hours => $4::int), now() + $5 * interval '1 millisecond', $6)
     ON CONFLICT (user_id, key) DO UPDATE
       SET request_hash = EXCLUDED.request_hash, response = NULL, created_at = now(),
           expires_at = EXCLUDED.expires_at, lease_until = EXCLUDED.lease_until, lease_holder = EXCLUDED.lease_holder
       WHERE admin_idempotency_keys.expires_at <= now()
     RETURNING 1`,
    [
      scope.userId,
      request.key,
      request.requestHash,
      scope.ttlHours,
      lease?.ms ?? null,
      lease?.holder ?? null,
    ],
  );
  return claimed.length > 0;
}

/**
 * The stored result of a committed key, read outside any transaction, for a handler whose checks run before
 * its transaction (a replay must not run them again); undefined when the key is free or expired.
 */
export async function storedReplay<T>(
  dataSource: DataSource,
  scope: IdempotencyScope,
): Promise<Idempotent<T> | undefined> {
  if (!scope.request) return undefined;
  const [stored] = (await dataSource.query(
    `SELECT request_hash, response FROM admin_idempotency_keys
     WHERE user_id = $1 AND key = $2 AND expires_at > now()`,
    [scope.userId, scope.request.key],
  )) as StoredKey[];
  return stored && replayOf<T>(stored, scope.request);
}

/** The stored answer for `request`, or 422 when the key was used for another request. */
export function replayOf<T>(stored: StoredKey, request: IdempotencyRequest): Idempotent<T> {
  if (stored.request_hash !== request.requestHash) throw CommonErrors.idempotencyKeyReused();
  return { result: stored.response as T, replayed: true };
}
