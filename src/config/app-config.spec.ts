import { describe, expect, it } from '@jest/globals';
import { ConfigError, loadConfig } from './app-config.js';

const SECRET = 'x'.repeat(32);

describe('loadConfig', () => {
  it('runs the embedded demo with no environment at all, generating a JWT secret', () => {
    const c = loadConfig({});
    expect(c.databaseUrl).toBeUndefined();
    expect(c.pgliteDataDir).toBe('./data/pglite');
    expect(c.jwtSecretGenerated).toBe(true);
    expect(Buffer.byteLength(c.jwtSecret)).toBeGreaterThanOrEqual(32);
    expect(c.seedDemo).toBe(true);
  });

  it('requires a JWT_SECRET of 32+ bytes once DATABASE_URL is set', () => {
    expect(() => loadConfig({ DATABASE_URL: 'postgres://localhost/db' })).toThrow(/JWT_SECRET is required/);
    expect(() => loadConfig({ DATABASE_URL: 'postgres://localhost/db', JWT_SECRET: 'short' })).toThrow(
      /JWT_SECRET must be at least 32 bytes/,
    );
    expect(loadConfig({ DATABASE_URL: 'postgres://localhost/db', JWT_SECRET: SECRET }).seedDemo).toBe(false);
  });

  it('names every bad variable in one error', () => {
    try {
      loadConfig({
        PORT: 'eighty',
        REDIS_URL: 'http://x',
        MIGRATIONS_RUN: 'perhaps',
        SEED_ADMIN_USERNAME: 'root',
      });
      throw new Error('expected a ConfigError');
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const message = (err as Error).message;
      for (const name of [
        'PORT',
        'REDIS_URL',
        'MIGRATIONS_RUN',
        'SEED_ADMIN_USERNAME and SEED_ADMIN_PASSWORD',
      ]) {
        expect(message).toContain(name);
      }
    }
  });

  it('rejects a weak seeded admin password and a malformed CORS origin', () => {
    expect(() => loadConfig({ SEED_ADMIN_USERNAME: 'ops', SEED_ADMIN_PASSWORD: 'short' })).toThrow(
      /at least 12/,
    );
    expect(() => loadConfig({ CORS_ORIGINS: 'example.com' })).toThrow(/CORS_ORIGINS/);
  });
});
