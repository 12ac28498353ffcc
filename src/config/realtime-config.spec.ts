import { describe, expect, it } from '@jest/globals';
import { ConfigError, loadConfig } from './app-config.js';

const base = { NODE_ENV: 'test', JWT_SECRET: 'x'.repeat(40) };

describe('realtime configuration', () => {
  it('defaults: 100 messages/s per socket, a 5 s metrics tick, 90 s socket presence', () => {
    expect(loadConfig(base)).toMatchObject({
      wsRateLimitPerSecond: 100,
      realtimeMetricsIntervalMs: 5000,
      presenceSocketTtlSeconds: 90,
    });
  });

  it('refuses out-of-range values', () => {
    expect(() => loadConfig({ ...base, WS_RATE_LIMIT: '0' })).toThrow(ConfigError);
    expect(() => loadConfig({ ...base, REALTIME_METRICS_INTERVAL_MS: '10' })).toThrow(
      /REALTIME_METRICS_INTERVAL_MS/,
    );
  });
});
