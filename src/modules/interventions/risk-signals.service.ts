import { Injectable } from '@nestjs/common';
import { EventBus, type IEvent } from '@nestjs/cqrs';
import { DataSource, type EntityManager } from 'typeorm';
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

/**
 * Records one risk signal and runs the matching rule. When a rule fires, in the same transaction: the
 * player's risk_score rises to the verdict's score, and an intervention is raised unless one for the same
 * player and cause is still open (partial unique index, ON CONFLICT DO NOTHING).
 */
@Injectable()
export class RiskSignalsService {
  private population: { at: number; value: GainPopulation } | undefined;
  readonly thresholds = DEFAULT_RISK_THRESHOLDS;

  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    private readonly eventBus: EventBus,
  ) {}

  async record(signal: RiskSignal): Promise<RiskVerdict | null> {
    const population = signal.kind === 'credit_gain' ? await this.gainPopulation() : undefined;
    const events: IEvent[] = [];
    const verdict = await inTransaction(this.dataSource, async (m) => {
      events.length = 0;
      // One player's signals are judged one at a time: concurrent transactions would each count only the
      // committed rows and a burst could slip under the threshold. An advisory lock leaves trades' row locks alone.
      await m.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [RISK_LOCK_CLASS, signal.playerId]);
      const [inserted] = await m.query(
        `INSERT INTO player_risk_events (player_id, kind, station_id, amount, source_id, occurred_at)
         SELECT $1, $2, $3, $4, $5, $6 WHERE EXISTS (SELECT 1 FROM players WHERE id = $1)
         ON CONFLICT (kind, source_id) WHERE source_id IS NOT NULL DO NOTHING RETURNING id`,
        [signal.playerId, signal.kind, signal.stationId, signal.amount, signal.sourceId, signal.at],
      );
      if (!inserted) return null; // seen before, or no such player
      const v = await this.evaluate(m, signal, population);
      if (v) await this.raise(m, signal.playerId, v, events);
      return v;
    });
    this.eventBus.publishAll(events);
    return verdict;
  }

  private async evaluate(
    m: EntityManager,
    s: RiskSignal,
    population?: GainPopulation,
  ): Promise<RiskVerdict | null> {
    const t = this.thresholds;
    if (s.kind === 'credit_gain') {
      const [{ gain }] = await m.query(
        `SELECT coalesce(sum(amount), 0)::float8 AS gain FROM player_risk_events
         WHERE player_id = $1 AND kind = 'credit_gain' AND occurred_at > now() - interval '1 hour'`,
        [s.playerId],
      );
      return creditGainRule(gain, population!, t);
    }
    if (s.kind === 'trade') {
      const [{ n }] = await m.query(
        `SELECT count(*)::int AS n FROM player_risk_events
         WHERE player_id = $1 AND kind = 'trade' AND station_id = $2
           AND occurred_at > now() - $3 * interval '1 minute'`,
        [s.playerId, s.stationId, t.tradeBurstWindowMinutes],
      );
      return tradeBurstRule(n, s.stationId ?? '', t);
    }
    const [{ n }] = await m.query(
      `SELECT count(*)::int AS n FROM player_risk_events
       WHERE player_id = $1 AND kind = 'trade_rejected' AND occurred_at > now() - $2 * interval '1 minute'`,
      [s.playerId, t.rejectedWindowMinutes],
    );
    return rejectedTradesRule(n, t);
  }

  private async raise(m: EntityManager, playerId: string, v: RiskVerdict, events: IEvent[]): Promise<void> {
    const [before] = await m.query('SELECT risk_score FROM players WHERE id = $1 FOR UPDATE', [playerId]);
    let bumpedVersion: number | undefined;
    if (before && before.risk_score < v.score) {
      const [[row]] = await m.query(
        'UPDATE players SET risk_score = $2, version = version + 1, updated_at = now() WHERE id = $1 RETURNING version',
        [playerId, v.score],
      );
      bumpedVersion = row.version;
    }
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
    if (bumpedVersion !== undefined) {
      events.push(
        new PlayerUpdatedEvent(
          playerId,
          { risk_score: { before: before.risk_score, after: v.score } },
          null,
          bumpedVersion,
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
