import { AsyncResource } from 'node:async_hooks';
import { type BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import { Counter, Gauge } from 'prom-client';
import { DataSource } from 'typeorm';
import type { AppError } from '../errors/app-error.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { databaseFailure, isDatabaseUnavailable, outageCause } from './database-errors.js';

/** While the database is lost, how often the node asks it (SELECT 1 through the pool) whether it is back. */
export const DATABASE_PROBE_INTERVAL_MS = 1000;
/**
 * Outside an outage, a database that answers but refuses work (DATABASE_BUSY, DATABASE_TIMEOUT,
 * DATABASE_READ_ONLY, DATABASE_DISK_FULL) is told at most this often per code.
 */
export const DATABASE_DEGRADED_LOG_INTERVAL_MS = 60_000;

/** The line each of those codes is told with. */
const DEGRADED_LINES: Record<string, string> = {
  DATABASE_BUSY:
    'Database pool exhausted: requests are refused 503 DATABASE_BUSY and background work is skipped (no pooled ' +
    'connection came free within DB_CONNECT_TIMEOUT_MS; said at most once a minute, ' +
    'database_refused_requests_total counts the requests)',
  DATABASE_TIMEOUT:
    'Database statements ran past statement_timeout (DB_STATEMENT_TIMEOUT_MS: a lock held too long, or a ' +
    'database too loaded): they are cancelled, their requests refused 503 DATABASE_TIMEOUT and background work ' +
    'skipped (said at most once a minute; `where` is the one that brought this line)',
  DATABASE_READ_ONLY:
    'Database refuses writes (read-only: a standby, e.g. the old primary after a failover, or ' +
    'default_transaction_read_only): what writes is refused 503 DATABASE_READ_ONLY and skipped in background ' +
    'work, reads are served (said at most once a minute)',
  DATABASE_DISK_FULL:
    'Database is out of disk space: what writes is refused 503 DATABASE_DISK_FULL and skipped in background ' +
    'work, reads are served (said at most once a minute)',
};

/** Where a refused request came from: the transport (a label of database_refused_requests_total), then log fields. */
export interface Refusal {
  transport: 'http' | 'socket';
  [context: string]: unknown;
}

/**
 * Whether this node reaches its database, told the way an operator on call wants it: one warning when the node
 * loses the database (with the cause: the driver's code and message, no stack) and one line when it is back
 * (how long it was out, how many requests and socket messages were refused meanwhile), and a gauge and a
 * counter to alert on. Each refused request is a debug line only: during an outage thousands a minute are
 * refused for the same reason, and a line each, with a stack, buried everything else in the log.
 *
 * The node learns of the loss from what fails (a request refused DATABASE_UNAVAILABLE, a readiness probe) and
 * of the return from what succeeds: a readiness probe, or its own SELECT 1, sent every
 * DATABASE_PROBE_INTERVAL_MS while the database is lost, so that the "back" line comes without traffic too. The
 * pool reconnects by itself; nothing here needs a restart.
 */
@Injectable()
export class DatabaseAvailability implements BeforeApplicationShutdown {
  private readonly logger = new Logger(DatabaseAvailability.name);
  /** The outage in progress: since when, and what was refused meanwhile by code (null: the database answers). */
  private outage: { since: number; refused: Map<string, number>; skipped: Map<string, number> } | null = null;
  private probe: NodeJS.Timeout | undefined;
  private closing = false;
  /** Per code of DEGRADED_LINES: when it was last told, and the requests refused and runs skipped since. */
  private readonly degraded = new Map<string, { toldAt: number; refused: number; skipped: number }>();
  private readonly refusedRequests: Counter<'code' | 'transport'>;
  /**
   * Runs `fn` in the async context of the node's start, not of the request that found the outage: the logger
   * takes the request it is in from that context, and the probes (and the "back" line) belong to no request.
   */
  private readonly outsideRequests = AsyncResource.bind((fn: () => void) => fn());

  constructor(
    private readonly dataSource: DataSource,
    metrics: MetricsService,
  ) {
    const available = () => this.available;
    new Gauge({
      name: 'database_available',
      help: 'Whether this node reaches its database (1) or lost it (0: requests are refused 503 DATABASE_UNAVAILABLE) since the "Database connection lost" line, until the "back" line',
      registers: [metrics.registry],
      collect() {
        this.set(available() ? 1 : 0);
      },
    });
    this.refusedRequests = new Counter({
      name: 'database_refused_requests_total',
      help: 'Requests (transport http) and Socket.IO messages and handshakes (socket) refused 503 because of the database, by code: DATABASE_UNAVAILABLE (unreachable, restarting, silent), DATABASE_BUSY (no pooled connection came free within DB_CONNECT_TIMEOUT_MS), DATABASE_TIMEOUT (a statement ran past DB_STATEMENT_TIMEOUT_MS), DATABASE_READ_ONLY, DATABASE_DISK_FULL (no writes taken)',
      labelNames: ['code', 'transport'],
      registers: [metrics.registry],
    });
  }

  /** False from the loss of the database until it answers again. */
  get available(): boolean {
    return this.outage === null;
  }

  /**
   * A request or socket message was answered `error` (a 503 of databaseFailure) because of `cause`: counted, a
   * debug line, and, for DATABASE_UNAVAILABLE, the loss of the database when it is news.
   */
  refused(error: AppError, cause: unknown, refusal: Refusal): void {
    this.refusedRequests.inc({ code: error.code, transport: refusal.transport });
    this.logger.debug({ ...refusal, cause: outageCause(cause) }, `Refused with ${error.code}`);
    if (error.code === 'DATABASE_UNAVAILABLE') this.lost(cause);
    const outage = this.outage;
    if (outage) outage.refused.set(error.code, (outage.refused.get(error.code) ?? 0) + 1);
    else this.tellDegraded(error.code, 'refused', cause, refusal);
  }

  /**
   * The database answers but refuses the work: every pooled connection taken (load, or long transactions), a
   * statement cut off by its timeout, or no writes (read-only, out of disk). A request was refused or background
   * work skipped for it: worth a line a minute per code, with the cause, where it happened (the request or the
   * job that brought the line) and how many since the last line, not one each.
   */
  private tellDegraded(
    code: string,
    what: 'refused' | 'skipped',
    cause: unknown,
    where: Record<string, unknown>,
  ): void {
    const line = DEGRADED_LINES[code];
    if (line === undefined) return;
    let state = this.degraded.get(code);
    if (!state) this.degraded.set(code, (state = { toldAt: -Infinity, refused: 0, skipped: 0 }));
    state[what] += 1;
    if (Date.now() - state.toldAt < DATABASE_DEGRADED_LOG_INTERVAL_MS) return;
    this.logger.warn(
      {
        cause: outageCause(cause),
        where,
        refusedSinceLastLine: state.refused,
        skippedSinceLastLine: state.skipped,
      },
      line,
    );
    Object.assign(state, { toldAt: Date.now(), refused: 0, skipped: 0 });
  }

  /**
   * Work that failed with `err` and belongs to no request to refuse (a scheduled tick, a worker's step, an event
   * handler's write, a denied attempt's audit row whose caller still gets its 403). When the database is the
   * cause (databaseFailure: an outage, an exhausted pool, a statement timeout, no writes taken) the work is
   * skipped: a debug line, the loss of the database when it is news (a quiet node's ticks find an outage as
   * well as requests do, and start the probe for its return), and a count under `what` (a stable name, e.g.
   * `market.regeneration`) in the outage's "back" line, or, outside an outage, in the once-a-minute line of its
   * code. The answer is then true; false leaves the failure to the caller's own warning, with its stack:
   * anything else is a failure to look into. During an outage every run of every job fails the same way, and
   * the outage is the story.
   */
  skipIfUnavailable(what: string, err: unknown): boolean {
    const failure = databaseFailure(err);
    if (!failure) return false;
    this.logger.debug(
      { what, cause: outageCause(err) },
      `Skipped ${what}: the database could not take it (${failure.code})`,
    );
    if (isDatabaseUnavailable(err)) this.lost(err);
    if (this.outage) this.outage.skipped.set(what, (this.outage.skipped.get(what) ?? 0) + 1);
    else this.tellDegraded(failure.code, 'skipped', err, { what });
    return true;
  }

  /** SELECT 1 through the pool, as a request would run it: an answer ends an outage, an outage error starts one. */
  async ping(): Promise<void> {
    try {
      await this.dataSource.query('SELECT 1');
    } catch (err) {
      if (isDatabaseUnavailable(err)) this.lost(err);
      throw err;
    }
    this.back();
  }

  beforeApplicationShutdown(): void {
    // The node closes its own pool next: what fails from now on is not an outage.
    this.closing = true;
    clearTimeout(this.probe);
  }

  private lost(cause: unknown): void {
    if (this.outage !== null || this.closing) return;
    this.outage = { since: Date.now(), refused: new Map(), skipped: new Map() };
    this.logger.warn(
      { cause: outageCause(cause) },
      'Database connection lost: requests are refused 503 DATABASE_UNAVAILABLE and the node is not ready until it ' +
        'is back (the pool reconnects by itself)',
    );
    this.scheduleProbe();
  }

  private back(): void {
    const outage = this.outage;
    if (outage === null) return;
    this.outage = null;
    clearTimeout(this.probe);
    this.probe = undefined;
    let refusedRequests = 0;
    for (const n of outage.refused.values()) refusedRequests += n;
    this.logger.log(
      {
        downSeconds: Math.round((Date.now() - outage.since) / 100) / 10,
        refusedRequests,
        refusedByCode: Object.fromEntries(outage.refused),
        ...(outage.skipped.size ? { skipped: Object.fromEntries(outage.skipped) } : {}),
      },
      'Database connection is back: requests are served again',
    );
  }

  private scheduleProbe(): void {
    if (this.probe !== undefined || this.closing) return;
    this.outsideRequests(() => this.startProbe());
  }

  private startProbe(): void {
    const timer = setTimeout(() => {
      void this.ping()
        .catch(() => undefined) // still lost: the next probe tells
        .finally(() => {
          if (this.probe !== timer) return; // the outage ended meanwhile (a readiness probe); a new one has its own
          this.probe = undefined;
          if (this.outage !== null) this.scheduleProbe();
        });
    }, DATABASE_PROBE_INTERVAL_MS);
    timer.unref();
    this.probe = timer;
  }
}
