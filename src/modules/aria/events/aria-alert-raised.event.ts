import type { AlertDirection } from '../domain/forecast.js';

/** The ai_alert as the /trading trading_signal carries it. Prices in credits (mid prices), predicted_at ISO. */
export interface AriaAlert {
  station_id: string;
  commodity: string;
  direction: AlertDirection;
  current_price: number;
  predicted_price: number;
  change_pct: number;
  confidence: number;
  horizon_minutes: number;
  predicted_at: string;
}

/**
 * Published after a prediction pass commits, once per market whose new prediction raised an alert (see alertOf),
 * with the players who traded that market in the last 24 h (the most recent ALERT_RECIPIENTS_PER_MARKET).
 */
export class AriaAlertRaisedEvent {
  constructor(
    readonly alert: AriaAlert,
    readonly playerIds: readonly string[],
  ) {}
}
