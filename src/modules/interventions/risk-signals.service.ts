import { Injectable, Logger, type BeforeApplicationShutdown } from '@nestjs/common';
import { EventBus, type IEvent } from '@nestjs/cqrs';
import { DataSource, type EntityManager } from 'typeorm';
import { DatabaseAvailability } from '../../infrastructure/database/database-availability.js';
import { inTransaction } from '../../infrastructure/database/transaction.js';
import { AuditService } from '../audit/audit.service.js';
import { PlayerUpdatedEvent } from '../players/events/player-updated.event.js';
import {
  creditGainRule,
  DEFAULT_RISK_THRESHOLDS,
  rejectedTradesRule,
  tradeBurstRule,
  type GainPopulation,
  type RiskVerdict,
} from './domain/risk-rules.js';
import { InterventionChangedEvent } from './events/intervention-changed.event.js';

export interface RiskSignal {
  playerId: string;
  kind: 'credit_gain' | 'trade' | 'trade_rejected';
  stationId: string | null;
  amount: number;
  /** Identifies the source event, so a redelivered event is recorded (and judged) once. */
  sourceId: string;
  at: Date;
}

const POPULATION_TTL_MS = 60_000;
const RISK_LOCK_CLASS = 2102_0502;
/** Signals wait at most this long to be written with others: one transaction per batch, not per event. */
const FLUSH_DELAY_MS = 50;
const MAX_BATCH = 1000;
/** Rows older than every rule's window are only dedupe memory for redelivered events; a day is plenty. */
const RETENTION_HOURS = 24;
const PURGE_EVERY_MS = 10 * 60_000;
/**
 * A verdict acted on is not acted on again for this long unless its score rises: a player whose rule keeps
 * firing (a bot trading all day) would otherwise cost a transaction per batch that changes nothing. A new
 * intervention for a cause a moderator just closed can so wait up to this long.
 */
const ACTED_MEMO_MS = 60_000;
const ACTED_MEMO_MAX = 10_000;

interface Pending {
  signal: RiskSignal;
  resolve: (verdict: RiskVerdict | null) => void;
}

/** What a rule measures for one player (and, for trade bursts, one station) after a batch is written. */
interface Measure {
  player_id: string;
  kind: RiskSignal['kind'];
  station_id: string | null;
  value: number;
}

/**
 * Records risk signals and runs the matching rules. Signals are written in batches (every FLUSH_DELAY_MS or
 * MAX_BATCH signals, one flush at a time): a trade's signal costs a share of one transaction instead of a
 * transaction of its own. Within a batch's transaction, per player: the signal rows (deduplicated by source
 * id), then each rule over its window; when a rule fires, the player's risk_score rises to the verdict's
 * score and an intervention is raised unless one for the same player and cause is still open (partial unique
 * index, ON CONFLICT DO NOTHING). Batches are held in memory for milliseconds: like any event handler, a
 * crash in between loses detection, never game data.
 */
@Injectable()
export class RiskSignalsService implements BeforeApplicationShutdown {
  private readonly logger = new Logger(RiskSignalsService.name);
  private population: { at: number; value: GainPopulation } | undefined;
  private pending: Pending[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private lastPurge = Date.now();
  /** player + cause → the score last acted on, and when (see ACTED_MEMO_MS). */
  private readonly acted = new Map<string, { score: number; at: number }>();
  readonly thresholds = DEFAULT_RISK_THRESHOLDS;

  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    private readonly eventBus: EventBus,
    private readonly database: DatabaseAvailability,
  ) {}

  /** Writes what is waiting before the database goes away. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.flush();
  }

  /** Queues one signal; resolves with the rule's verdict once its batch has committed (null if it failed). */
  record(signal: RiskSignal): Promise<RiskVerdict | null> {
    return new Promise((resolve) => {
      this.pending.push({ signal, resolve });
      if (this.pending.length >= MAX_BATCH) void this.flush();
      else this.timer ??= setTimeout(() => void this.flush(), FLUSH_DELAY_MS);
    });
  }

  /** Writes every queued signal; while one flush runs, signals arriving meanwhile form the next batch. */
  async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.flushing) return this.flushing;
    this.flushing = (async () => {
      while (this.pending.length > 0) {
        const batch = this.pending.splice(0, MAX_BATCH);
        try {
          const verdicts = await this.recordBatch(batch.map((p) => p.signal));
          batch.forEach((p, i) => p.resolve(verdicts[i] ?? null));
        } catch (err) {
          // Detection is lost for this batch (the trades themselves are committed); one line, not one per signal.
          if (!this.database.skipIfUnavailable('risk.signals', err))
            this.logger.warn({ err, signals: batch.length }, 'Recording a batch of risk signals failed');
          for (const p of batch) p.resolve(null);
        }
      }
      await this.purgeWhenDue();
    })().finally(() => {
      this.flushing = undefined;
    });
    return this.flushing;
  }

  /**
   * Writes a batch and judges it; returns each signal's verdict (null: no rule fired, or seen before). A
   * verdict is acted on in a short transaction of its own after the batch commits, so the batch never holds a
   * player's row against the player's trades; acting is idempotent, and a failed one is retried by the rule
   * firing again on the player's next signal.
   */
  private async recordBatch(signals: RiskSignal[]): Promise<(RiskVerdict | null)[]> {
    const population = signals.some((s) => s.kind === 'credit_gain')
      ? await this.gainPopulation()
      : undefined;
    const judged = new Map<string, { playerId: string; verdict: RiskVerdict | null }>();
    const fresh = await inTransaction(this.dataSource, async (m) => {
      judged.clear();
      // One player's signals are judged one batch at a time: concurrent transactions (other nodes) would each
      // count only the committed rows and a burst could slip under the threshold. Advisory locks, taken in a
      // fixed order so two nodes' batches cannot deadlock, leave trades' row locks alone.
      const players = [...new Set(signals.map((s) => s.playerId))];
      await m.query(
        `SELECT pg_advisory_xact_lock($1, h) FROM (SELECT DISTINCT hashtext(p) AS h FROM unnest($2::text[]) p ORDER BY 1) l`,
        [RISK_LOCK_CLASS, players],
      );
      const inserted: { source_id: string; kind: string }[] = await m.query(
        `INSERT INTO player_risk_events (player_id, kind, station_id, amount, source_id, occurred_at)
         SELECT s.player_id, s.kind, s.station_id, s.amount, s.source_id, s.occurred_at
         FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::bigint[], $5::text[], $6::timestamptz[])
              AS s(player_id, kind, station_id, amount, source_id, occurred_at)
         WHERE EXISTS (SELECT 1 FROM players WHERE id = s.player_id)
         ON CONFLICT (kind, source_id) WHERE source_id IS NOT NULL DO NOTHING
         RETURNING source_id, kind`,
        [
          signals.map((s) => s.playerId),
          signals.map((s) => s.kind),
          signals.map((s) => s.stationId),
          signals.map((s) => s.amount),
          signals.map((s) => s.sourceId),
          signals.map((s) => s.at),
        ],
      );
      const keys = new Set(inserted.map((r) => `${r.kind}\n${r.source_id}`));
      const recorded = signals.filter((s) => keys.has(`${s.kind}\n${s.sourceId}`));
      for (const x of await this.measure(m, recorded)) {
        judged.set(measureKey(x.player_id, x.kind, x.station_id), {
          playerId: x.player_id,
          verdict: this.judge(x, population),
        });
      }
      return new Set(recorded);
    });
    for (const { playerId, verdict } of judged.values()) {
      if (!verdict || this.actedOn(playerId, verdict)) continue;
      const events: IEvent[] = [];
      try {
        await inTransaction(this.dataSource, async (m) => {
          events.length = 0;
          await this.raise(m, playerId, verdict, events);
        });
        this.eventBus.publishAll(events);
        this.remember(playerId, verdict);
      } catch (err) {
        if (!this.database.skipIfUnavailable('risk.verdict', err))
          this.logger.warn({ err, playerId, cause: verdict.cause }, 'Raising a risk verdict failed');
      }
    }
    return signals.map((s) =>
      fresh.has(s) ? (judged.get(measureKey(s.playerId, s.kind, ruleStation(s)))?.verdict ?? null) : null,
    );
  }

  private actedOn(playerId: string, v: RiskVerdict): boolean {
    const last = this.acted.get(`${playerId}\n${v.cause}`);
    return last !== undefined && Date.now() - last.at < ACTED_MEMO_MS && last.score >= v.score;
  }

  private remember(playerId: string, v: RiskVerdict): void {
    const now = Date.now();
    if (this.acted.size >= ACTED_MEMO_MAX) {
      for (const [key, { at }] of this.acted) if (now - at >= ACTED_MEMO_MS) this.acted.delete(key);
    }
    if (this.acted.size < ACTED_MEMO_MAX)
      this.acted.set(`${playerId}\n${v.cause}`, { score: v.score, at: now });
  }

  /** Each rule's figure over its window, once per player (and station, for bursts) the batch touched. */
  private async measure(m: EntityManager, signals: RiskSignal[]): Promise<Measure[]> {
    if (signals.length === 0) return [];
    const keys = new Map<string, RiskSignal>();
    for (const s of signals) keys.set(measureKey(s.playerId, s.kind, ruleStation(s)), s);
    const list = [...keys.values()].sort((a, b) =>
      a.playerId < b.playerId ? -1 : a.playerId > b.playerId ? 1 : 0,
    );
    const t = this.thresholds;
    return m.query(
      `SELECT k.player_id, k.kind, k.station_id,
              (SELECT CASE WHEN k.kind = 'credit_gain' THEN coalesce(sum(e.amount), 0) ELSE count(*) END
                 FROM player_risk_events e
                WHERE e.player_id = k.player_id AND e.kind = k.kind
                  AND (k.station_id IS NULL OR e.station_id = k.station_id)
                  AND e.occurred_at > now() - CASE k.kind WHEN 'credit_gain' THEN interval '1 hour'
                                                          WHEN 'trade' THEN $4 * interval '1 minute'
                                                          ELSE $5 * interval '1 minute' END
              )::float8 AS value
       FROM unnest($1::uuid[], $2::text[], $3::uuid[]) AS k(player_id, kind, station_id)`,
      [
        list.map((s) => s.playerId),
        list.map((s) => s.kind),
        list.map((s) => ruleStation(s)),
        t.tradeBurstWindowMinutes,
        t.rejectedWindowMinutes,
      ],
    );
  }

  private judge(x: Measure, population?: GainPopulation): RiskVerdict | null {
    const t = this.thresholds;
    if (x.kind === 'credit_gain') return creditGainRule(x.value, population!, t);
    if (x.kind === 'trade') return tradeBurstRule(x.value, x.station_id ?? '', t);
    return rejectedTradesRule(x.value, t);
  }

  /** Forgets signal rows past every window, at most every PURGE_EVERY_MS (any node; the DELETE is idempotent). */
  private async purgeWhenDue(): Promise<void> {
    if (Date.now() - this.lastPurge < PURGE_EVERY_MS) return;
    this.lastPurge = Date.now();
    try {
      await this.dataSource.query(
        `DELETE FROM player_risk_events WHERE occurred_at < now() - make_interval(hours => $1::int)`,
        [RETENTION_HOURS],
      );
    } catch (err) {
      if (!this.database.skipIfUnavailable('risk.purge', err))
        this.logger.warn({ err }, 'Purging old risk signals failed; will retry');
    }
  }

  private async raise(m: EntityManager, playerId: string, v: RiskVerdict, events: IEvent[]): Promise<void> {
    // Only a rising score touches (and locks) the player row: a rule that keeps firing for a player who
    // already has the score must not hold the row against the player's own trades.
    const [[bumped]] = await m.query(
      `UPDATE players p SET risk_score = $2, version = p.version + 1, updated_at = now()
       FROM (SELECT id, risk_score FROM players WHERE id = $1) before
       WHERE p.id = before.id AND p.risk_score < $2
       RETURNING before.risk_score AS before, p.version`,
      [playerId, v.score],
    );
    const [created] = await m.query(
      `INSERT INTO admin_interventions (player_id, priority, category, cause, description, details, automatic)
       VALUES ($1, $2, $3, $4, $5, $6, true)
       ON CONFLICT (player_id, cause) WHERE status IN ('open', 'assigned', 'in_progress') DO NOTHING
       RETURNING id, version`,
      [playerId, v.priority, v.category, v.cause, v.description, JSON.stringify(v.details)],
    );
    if (created) {
      await this.audit.record(m, null, {
        action: 'interventions.auto_create',
        targetType: 'intervention',
        targetId: created.id,
        reason: v.description,
        after: {
          player_id: playerId,
          cause: v.cause,
          priority: v.priority,
          score: v.score,
          details: v.details,
        },
      });
      events.push(
        new InterventionChangedEvent(
          created.id,
          'created',
          playerId,
          'open',
          v.priority,
          v.category,
          null,
          created.version,
          true,
          null,
        ),
      );
    }
    if (bumped) {
      // A change of the player's row like an admin's, found in the player's audit history (no actor: the system).
      await this.audit.record(m, null, {
        action: 'players.risk_auto_raise',
        targetType: 'player',
        targetId: playerId,
        reason: v.description,
        before: { risk_score: bumped.before },
        after: { risk_score: v.score, cause: v.cause, intervention_id: created?.id ?? null },
      });
      events.push(
        new PlayerUpdatedEvent(
          playerId,
          { risk_score: { before: bumped.before, after: v.score } },
          null,
          bumped.version,
        ),
      );
    }
  }

  /** Median hourly gain of gaining players, cached a minute (the population moves slowly; this runs per event). */
  private async gainPopulation(): Promise<GainPopulation> {
    if (this.population && Date.now() - this.population.at < POPULATION_TTL_MS) return this.population.value;
    const [row] = await this.dataSource.query(
      `SELECT count(*)::int AS players, coalesce(percentile_cont(0.5) WITHIN GROUP (ORDER BY s), 0)::float8 AS median
       FROM (SELECT sum(amount) AS s FROM player_risk_events
             WHERE kind = 'credit_gain' AND occurred_at > now() - interval '1 hour' GROUP BY player_id) g`,
    );
    const value = { players: row.players as number, median: row.median as number };
    this.population = { at: Date.now(), value };
    return value;
  }

  /** Tests and operators: forget the cached population figure. */
  resetPopulationCache(): void {
    this.population = undefined;
  }
}

/** Trade bursts are counted per station; the other rules per player. */
function ruleStation(s: RiskSignal): string | null {
  return s.kind === 'trade' ? s.stationId : null;
}

function measureKey(playerId: string, kind: string, stationId: string | null): string {
  return `${playerId}\n${kind}\n${stationId ?? ''}`;
}
