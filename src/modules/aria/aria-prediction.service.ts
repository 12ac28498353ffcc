import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { EventBus } from '@nestjs/cqrs';
import { SchedulerRegistry } from '@nestjs/schedule';
import { DatabaseAvailability } from '../../infrastructure/database/database-availability.js';
import { addTick, onOneNode } from '../../infrastructure/scheduling/cluster-tick.js';
import { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../../config/app-config.js';
import { isCommodity } from '../trading/domain/commodities.js';
import { alertOf, forecast, MIN_SAMPLES, type AlertDirection, type Forecast } from './domain/forecast.js';
import { AriaAlertRaisedEvent, type AriaAlert } from './events/aria-alert-raised.event.js';

/** Beside the market maintenance locks (2102_0301 regeneration, 2102_0302 snapshots). */
const PREDICTION_LOCK_KEY = 2102_0401;
/** An alert goes to at most this many of the market's traders, the most recent first. */
const ALERT_RECIPIENTS_PER_MARKET = 1000;

/**
 * Per market with snapshots in the window: the least-squares line of its mid price against minutes from now
 * (price_history_time_idx finds the window), the current prices, and the stored alert direction of its latest
 * prediction (ai_predictions_market_idx, one probe per market).
 */
const TRENDS_SQL = `
  WITH trend AS (
    SELECT station_id, commodity,
           regr_slope(mid, x) AS slope, regr_r2(mid, x) AS r2, regr_count(mid, x)::int AS samples,
           max(x) - min(x) AS span
    FROM (SELECT station_id, commodity, (buy_price + sell_price)::float8 / 2 AS mid,
                 date_part('epoch', recorded_at - now()) / 60 AS x
          FROM price_history WHERE recorded_at > now() - make_interval(mins => $1::int)) h
    GROUP BY station_id, commodity)
  SELECT t.station_id, t.commodity, t.slope, t.r2, t.samples, t.span, sm.buy_price, sm.sell_price,
         prev.alert_direction AS previous_alert
  FROM trend t
  JOIN station_markets sm ON sm.station_id = t.station_id AND sm.commodity = t.commodity
  LEFT JOIN LATERAL (
    SELECT p.alert_direction FROM ai_market_predictions p
    WHERE p.station_id = t.station_id AND p.commodity = t.commodity
    ORDER BY p.created_at DESC LIMIT 1) prev ON true
  WHERE t.samples >= $2`;

const INSERT_SQL = `
  WITH ins AS (
    INSERT INTO ai_market_predictions (station_id, commodity, predicted_price, confidence, horizon_minutes,
                                       basis_price, change_pct, samples, alert_direction, alerted)
    SELECT u.station_id, u.commodity, u.predicted_price, u.confidence, $10::int, u.basis_price, u.change_pct,
           u.samples, u.alert_direction, u.alerted
    FROM unnest($1::uuid[], $2::text[], $3::numeric[], $4::real[], $5::numeric[], $6::real[], $7::int[],
                $8::text[], $9::bool[])
         AS u(station_id, commodity, predicted_price, confidence, basis_price, change_pct, samples,
              alert_direction, alerted)
    RETURNING 1)
  SELECT count(*)::int AS n, now() AS at FROM ins`;

/** Per alerting market, its most recent traders of the last 24 h (market_tx_station_idx, one range per market). */
const RECIPIENTS_SQL = `
  SELECT m.station_id, m.commodity, r.player_ids
  FROM unnest($1::uuid[], $2::text[]) AS m(station_id, commodity)
  CROSS JOIN LATERAL (
    SELECT coalesce(array_agg(x.player_id::text ORDER BY x.last_at DESC), '{}') AS player_ids
    FROM (SELECT mt.player_id, max(mt.created_at) AS last_at
          FROM market_transactions mt
          WHERE mt.station_id = m.station_id AND mt.commodity = m.commodity
            AND mt.created_at > now() - interval '24 hours'
          GROUP BY mt.player_id ORDER BY last_at DESC LIMIT $3) x) r`;

interface TrendRow {
  station_id: string;
  commodity: string;
  slope: number | null;
  r2: number | null;
  samples: number;
  span: number;
  buy_price: number;
  sell_price: number;
  previous_alert: AlertDirection | null;
}

interface Prediction {
  stationId: string;
  commodity: string;
  mid: number;
  samples: number;
  forecast: Forecast;
  direction: AlertDirection | null;
  raise: boolean;
}

/**
 * ARIA's market predictions, one node at a time (transaction-scoped advisory try-lock: the others skip the tick).
 * Every ARIA_PREDICTION_SECONDS: one aggregate query fits each market's trend over the window, forecast() decides,
 * one insert writes every prediction, predictions past their retention are purged; the markets whose new
 * prediction raised an alert (alertOf) get their recipients in one query, and after the commit an
 * AriaAlertRaisedEvent each. A failed pass writes nothing and the next tick tries again.
 */
@Injectable()
export class AriaPredictionService implements OnApplicationBootstrap {
  private readonly logger = new Logger(AriaPredictionService.name);
  private predicting = false;

  constructor(
    private readonly dataSource: DataSource,
    private readonly scheduler: SchedulerRegistry,
    private readonly database: DatabaseAvailability,
    private readonly eventBus: EventBus,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    if (this.config.ariaPredictionSeconds > 0)
      addTick(this.scheduler, 'aria-prediction', this.config.ariaPredictionSeconds * 1000, () =>
        this.predict(),
      );
  }

  /** One prediction pass. Returns the predictions written, or null when another node had the tick (or it failed). */
  async predict(): Promise<number | null> {
    if (this.predicting || !this.dataSource.isInitialized) return null;
    this.predicting = true;
    try {
      const pass = await onOneNode(this.dataSource, PREDICTION_LOCK_KEY, async (m) => {
        await m.query(
          `DELETE FROM ai_market_predictions WHERE created_at < now() - make_interval(hours => $1::int)`,
          [this.config.ariaPredictionRetentionHours],
        );
        const trends: TrendRow[] = await m.query(TRENDS_SQL, [
          this.config.ariaPredictionWindowMinutes,
          MIN_SAMPLES,
        ]);
        const predictions = trends.flatMap((r) => this.decide(r));
        if (predictions.length === 0) return { written: 0, alerts: [] };
        const [{ n, at }] = await m.query(INSERT_SQL, [
          predictions.map((p) => p.stationId),
          predictions.map((p) => p.commodity),
          predictions.map((p) => p.forecast.predicted_price),
          predictions.map((p) => p.forecast.confidence),
          predictions.map((p) => p.mid),
          predictions.map((p) => p.forecast.change_pct),
          predictions.map((p) => p.samples),
          predictions.map((p) => p.direction),
          predictions.map((p) => p.raise),
          this.config.ariaPredictionHorizonMinutes,
        ]);
        const raised = predictions.filter((p) => p.raise);
        const recipients = new Map<string, string[]>();
        if (raised.length > 0) {
          const rows: Array<{ station_id: string; commodity: string; player_ids: string[] }> = await m.query(
            RECIPIENTS_SQL,
            [raised.map((p) => p.stationId), raised.map((p) => p.commodity), ALERT_RECIPIENTS_PER_MARKET],
          );
          for (const r of rows) recipients.set(`${r.station_id}:${r.commodity}`, r.player_ids);
        }
        const predictedAt = new Date(at).toISOString();
        const alerts = raised.map(
          (p) =>
            new AriaAlertRaisedEvent(
              this.alertFor(p, predictedAt),
              recipients.get(`${p.stationId}:${p.commodity}`) ?? [],
            ),
        );
        return { written: n as number, alerts };
      });
      if (pass === null) return null;
      for (const event of pass.alerts) this.eventBus.publish(event);
      return pass.written;
    } catch (err) {
      if (!this.database.skipIfUnavailable('aria.prediction', err))
        this.logger.warn({ err }, 'ARIA prediction pass failed; will retry next tick');
      return null;
    } finally {
      this.predicting = false;
    }
  }

  /** The forecast and alert decision of one market's trend; none for too little data. */
  private decide(r: TrendRow): Prediction[] {
    if (!isCommodity(r.commodity)) return [];
    const mid = (r.buy_price + r.sell_price) / 2;
    const f = forecast(
      {
        commodity: r.commodity,
        slopePerMinute: r.slope,
        r2: r.r2,
        samples: r.samples,
        spanMinutes: r.span,
        midPrice: mid,
      },
      this.config.ariaPredictionHorizonMinutes,
    );
    if (!f) return [];
    const alert = alertOf(f, r.previous_alert, {
      minChangePct: this.config.ariaAlertMinChangePct,
      minConfidence: this.config.ariaAlertMinConfidence,
    });
    return [
      {
        stationId: r.station_id,
        commodity: r.commodity,
        mid,
        samples: r.samples,
        forecast: f,
        direction: alert.direction,
        raise: alert.raise,
      },
    ];
  }

  private alertFor(p: Prediction, predictedAt: string): AriaAlert {
    return {
      station_id: p.stationId,
      commodity: p.commodity,
      direction: p.direction!,
      current_price: p.mid,
      predicted_price: p.forecast.predicted_price,
      change_pct: p.forecast.change_pct,
      confidence: p.forecast.confidence,
      horizon_minutes: this.config.ariaPredictionHorizonMinutes,
      predicted_at: predictedAt,
    };
  }
}
