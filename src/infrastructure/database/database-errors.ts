import { AppError } from '../errors/app-error.js';

/** How long a client is told to wait before retrying a request the database could not serve. */
export const DATABASE_RETRY_AFTER_SECONDS = 2;
/** The same when the database is out of disk: an operator has to act first. */
const DISK_FULL_RETRY_AFTER_SECONDS = 30;

/**
 * SQLSTATEs that mean the server or the connection went away, not that the statement was wrong: class 08
 * (connection exception), admin_shutdown, crash_shutdown, cannot_connect_now (starting up, shutting down,
 * in recovery) and too_many_connections.
 */
const UNAVAILABLE_SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300']);
/** Socket errors on the way to the server. */
const UNAVAILABLE_ERRNOS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);
/** What node-postgres says when a connection dies under a query, or a dead one is used. */
const UNAVAILABLE_MESSAGES = [
  /^Connection terminated/,
  /^Client has encountered a connection error and is not queryable/,
  /^Client was closed and is not queryable/,
  /^Query read timeout$/, // no answer within DB_QUERY_TIMEOUT_MS
];

/** The error itself, the driver error TypeORM wraps, and any `cause` chain, nearest first. */
function* layers(err: unknown): Generator<{ code?: unknown; message?: unknown }> {
  const seen = new Set<unknown>();
  let current: unknown = err;
  while (current !== null && typeof current === 'object' && !seen.has(current)) {
    seen.add(current);
    yield current as { code?: unknown; message?: unknown };
    const driver = (current as { driverError?: unknown }).driverError;
    if (driver && typeof driver === 'object' && !seen.has(driver)) yield driver as { code?: unknown };
    current = (current as { cause?: unknown }).cause;
  }
}

/**
 * Postgres could not be reached or dropped the connection (restart, failover, network): the request did not
 * fail for anything the client sent, and the same request may well succeed in a moment. A statement cut off
 * this way either committed or rolled back as a whole; a trade retried with its Idempotency-Key runs once.
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  for (const layer of layers(err)) {
    const code = typeof layer.code === 'string' ? layer.code : undefined;
    if (code && (code.startsWith('08') || UNAVAILABLE_SQLSTATES.has(code) || UNAVAILABLE_ERRNOS.has(code)))
      return true;
    const message = typeof layer.message === 'string' ? layer.message : '';
    if (UNAVAILABLE_MESSAGES.some((m) => m.test(message))) return true;
  }
  return false;
}

/**
 * The database answers but takes no writes now, by SQLSTATE: read_only_sql_transaction (25006: a standby, such as
 * the old primary a node still reaches after a failover, or default_transaction_read_only) and disk_full (53100).
 * The statement and its transaction wrote nothing. The code never opens a read-only transaction itself, so a
 * 25006 is the server's state, not a bug.
 */
const WRITES_REFUSED = new Map([
  ['25006', 'DATABASE_READ_ONLY'],
  ['53100', 'DATABASE_DISK_FULL'],
]);

/** DATABASE_READ_ONLY or DATABASE_DISK_FULL when the database refused a write for its own state, else undefined. */
function writesRefused(err: unknown): string | undefined {
  for (const layer of layers(err)) {
    const code = typeof layer.code === 'string' ? WRITES_REFUSED.get(layer.code) : undefined;
    if (code) return code;
  }
  return undefined;
}

/**
 * query_canceled (57014): the statement ran past statement_timeout (DB_STATEMENT_TIMEOUT_MS; waiting on a lock
 * held too long, or a database too loaded to finish it), or an operator cancelled it (pg_cancel_backend). The
 * statement and its transaction rolled back. The code sends no cancel requests of its own.
 */
export function isStatementCancelled(err: unknown): boolean {
  for (const layer of layers(err)) if (layer.code === '57014') return true;
  return false;
}

/**
 * node-postgres' pool found no free connection within connectionTimeoutMillis: every one busy, or (pg-pool
 * says the same then) the new connection it opened for the request did not come up in time.
 */
export function isPoolExhausted(err: unknown): boolean {
  return err instanceof Error && err.message === 'timeout exceeded when trying to connect';
}

/**
 * The client-facing error for a database failure that is not the request's fault, or undefined for anything
 * else: DATABASE_UNAVAILABLE, DATABASE_BUSY, DATABASE_TIMEOUT, DATABASE_READ_ONLY or DATABASE_DISK_FULL. All
 * are 503s with `retry_after_seconds` (and, over HTTP, a Retry-After header).
 */
export function databaseFailure(err: unknown): AppError | undefined {
  const refusedWrites = writesRefused(err);
  if (refusedWrites === 'DATABASE_READ_ONLY')
    return new AppError(
      'DATABASE_READ_ONLY',
      503,
      'The database takes no writes right now (read-only, e.g. during a failover); nothing was written, retry shortly',
      { retry_after_seconds: DATABASE_RETRY_AFTER_SECONDS },
    );
  if (refusedWrites === 'DATABASE_DISK_FULL')
    return new AppError(
      'DATABASE_DISK_FULL',
      503,
      'The database has no space left for writes; nothing was written, retry later',
      { retry_after_seconds: DISK_FULL_RETRY_AFTER_SECONDS },
    );
  if (isStatementCancelled(err))
    return new AppError(
      'DATABASE_TIMEOUT',
      503,
      'The database did not finish in time (a held lock or a heavy load); nothing was written, retry shortly',
      { retry_after_seconds: DATABASE_RETRY_AFTER_SECONDS },
    );
  if (isPoolExhausted(err))
    return new AppError('DATABASE_BUSY', 503, 'No database connection came free in time; retry shortly', {
      retry_after_seconds: DATABASE_RETRY_AFTER_SECONDS,
    });
  if (isDatabaseUnavailable(err))
    return new AppError(
      'DATABASE_UNAVAILABLE',
      503,
      'The database is unavailable; retry shortly (a trade retried with the same Idempotency-Key runs at most once)',
      { retry_after_seconds: DATABASE_RETRY_AFTER_SECONDS },
    );
  return undefined;
}

/**
 * What an operator needs of an outage error for the log, without its stack (the stack of a refused connection
 * or a dropped socket is the driver's and the same every time): the nearest code (an errno such as
 * ECONNREFUSED, or a SQLSTATE) and the nearest message that says something.
 */
export function outageCause(err: unknown): { code?: string; message: string } {
  let code: string | undefined;
  let message: string | undefined;
  for (const layer of layers(err)) {
    if (code === undefined && typeof layer.code === 'string') code = layer.code;
    if (!message && typeof layer.message === 'string' && layer.message) message = layer.message;
  }
  return { ...(code ? { code } : {}), message: message ?? code ?? String(err) };
}
