import { describe, expect, it } from '@jest/globals';
import { redactQuery } from './logging.module.js';

describe('redactQuery (the URL an access log line carries)', () => {
  it('hides the values of secret-looking query parameters, whatever their case or escaping', () => {
    expect(redactQuery('/api/v1/players/me?token=eyJhbGciOi.x.y')).toBe(
      '/api/v1/players/me?token=[REDACTED]',
    );
    expect(redactQuery('/x?page=2&Access_Token=abc&limit=5')).toBe(
      '/x?page=2&Access_Token=[REDACTED]&limit=5',
    );
    expect(redactQuery('/x?pass%77ord=hunter2')).toBe('/x?pass%77ord=[REDACTED]');
    expect(redactQuery('/x?refresh_token=a&api-key=b&client_secret=c')).toBe(
      '/x?refresh_token=[REDACTED]&api-key=[REDACTED]&client_secret=[REDACTED]',
    );
  });

  it('leaves everything else as it came', () => {
    expect(redactQuery('/api/v1/market/realtime/ore?side=buys&min_sector=1')).toBe(
      '/api/v1/market/realtime/ore?side=buys&min_sector=1',
    );
    expect(redactQuery('/health/live')).toBe('/health/live');
    expect(redactQuery('/x?token')).toBe('/x?token'); // no value to hide
    expect(redactQuery('/x?%E0%A4%A=1&q=%zz')).toBe('/x?%E0%A4%A=1&q=%zz'); // malformed escapes
  });
});
