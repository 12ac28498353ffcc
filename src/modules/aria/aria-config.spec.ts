import { describe, expect, it } from '@jest/globals';
import { ConfigError, loadConfig } from '../../config/app-config.js';

const base = { NODE_ENV: 'test', JWT_SECRET: 'x'.repeat(40) };

describe('ARIA configuration', () => {
  it('defaults: a pass every 5 min over 3 h of history, 1 h ahead, kept 48 h; alerts at ±10 % and 0.6', () => {
    expect(loadConfig(base)).toMatchObject({
      ariaPredictionSeconds: 300,
      ariaPredictionWindowMinutes: 180,
      ariaPredictionHorizonMinutes: 60,
      ariaPredictionRetentionHours: 48,
      ariaAlertMinChangePct: 10,
      ariaAlertMinConfidence: 0.6,
    });
  });

  it('reads decimals and 0 (off) for the pass', () => {
    expect(
      loadConfig({
        ...base,
        ARIA_PREDICTION_SECONDS: '0',
        ARIA_ALERT_MIN_CHANGE_PCT: '7.5',
        ARIA_ALERT_MIN_CONFIDENCE: '.8',
      }),
    ).toMatchObject({ ariaPredictionSeconds: 0, ariaAlertMinChangePct: 7.5, ariaAlertMinConfidence: 0.8 });
  });

  it('refuses malformed and out-of-range values, naming each', () => {
    try {
      loadConfig({
        ...base,
        ARIA_PREDICTION_SECONDS: '-1',
        ARIA_PREDICTION_WINDOW_MINUTES: '5',
        ARIA_ALERT_MIN_CHANGE_PCT: 'ten',
        ARIA_ALERT_MIN_CONFIDENCE: '1.5',
      });
      throw new Error('expected a ConfigError');
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      for (const name of [
        'ARIA_PREDICTION_SECONDS',
        'ARIA_PREDICTION_WINDOW_MINUTES',
        'ARIA_ALERT_MIN_CHANGE_PCT must be a number',
        'ARIA_ALERT_MIN_CONFIDENCE',
      ]) {
        expect((err as Error).message).toContain(name);
      }
    }
    expect(() => loadConfig({ ...base, ARIA_ALERT_MIN_CONFIDENCE: '1e-1' })).toThrow(ConfigError);
    expect(() => loadConfig({ ...base, ARIA_PREDICTION_RETENTION_HOURS: '0' })).toThrow(ConfigError);
  });
});
