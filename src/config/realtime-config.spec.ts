import { describe, expect, it } from '@jest/globals';
import { ConfigError, loadConfig } from './app-config.js';

const base = { NODE_ENV: 'test', JWT_SECRET: 'x'.repeat(40) };

describe('realtime configuration', () => {
  it('defaults: 100 messages/s per socket, a 5 s metrics tick, 90 s socket presence, 50k recovery packets', () => {
    expect(loadConfig(base)).toMatchObject({
      wsRateLimitPerSecond: 100,
      wsRecoveryBufferPackets: 50_000,
      realtimeMetricsIntervalMs: 5000,
      presenceSocketTtlSeconds: 90,
    });
  });

  it('refuses out-of-range values', () => {
    expect(() => loadConfig({ ...base, WS_RATE_LIMIT: '0' })).toThrow(ConfigError);
    expect(() => loadConfig({ ...base, WS_RECOVERY_BUFFER_PACKETS: '10' })).toThrow(
      /WS_RECOVERY_BUFFER_PACKETS/,
    );
    expect(() => loadConfig({ ...base, REALTIME_METRICS_INTERVAL_MS: '10' })).toThrow(
      /REALTIME_METRICS_INTERVAL_MS/,
    );
  });
});
