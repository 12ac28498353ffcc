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

  it('trusts X-Forwarded-For from nobody, everybody, or the listed proxies only', () => {
    expect(loadConfig({}).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: 'true' }).trustProxy).toBe(true);
    expect(loadConfig({ TRUST_PROXY: '0' }).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: '10.0.0.5, 172.16.0.0/12,uniquelocal,::1' }).trustProxy).toBe(
      '10.0.0.5,172.16.0.0/12,uniquelocal,::1',
    );
    expect(() => loadConfig({ TRUST_PROXY: '10.0.0.0/33,nginx' })).toThrow(
      /TRUST_PROXY .*"10.0.0.0\/33", "nginx"/,
    );
  });

  it('rejects a weak seeded admin password and a malformed CORS origin', () => {
    expect(() => loadConfig({ SEED_ADMIN_USERNAME: 'ops', SEED_ADMIN_PASSWORD: 'short' })).toThrow(
      /at least 12/,
    );
    expect(() => loadConfig({ CORS_ORIGINS: 'example.com' })).toThrow(/CORS_ORIGINS/);
  });

  it('keeps the read timeout above the statement timeout, so that only a silent server reaches it', () => {
    expect(loadConfig({})).toMatchObject({ dbStatementTimeoutMs: 30_000, dbQueryTimeoutMs: 35_000 });
    expect(loadConfig({ DB_STATEMENT_TIMEOUT_MS: '5000', DB_QUERY_TIMEOUT_MS: '8000' })).toMatchObject({
      dbStatementTimeoutMs: 5000,
      dbQueryTimeoutMs: 8000,
    });
    expect(loadConfig({ DB_STATEMENT_TIMEOUT_MS: '60000', DB_QUERY_TIMEOUT_MS: '0' }).dbQueryTimeoutMs).toBe(
      0,
    );
    // Unset, the statement timeout stays below a read timeout set lower.
    expect(loadConfig({ DB_QUERY_TIMEOUT_MS: '3000' }).dbStatementTimeoutMs).toBe(2000);
    expect(loadConfig({ DB_QUERY_TIMEOUT_MS: '1000' }).dbStatementTimeoutMs).toBe(500);
    expect(() => loadConfig({ DB_STATEMENT_TIMEOUT_MS: '35000' })).toThrow(
      /DB_QUERY_TIMEOUT_MS must be above DB_STATEMENT_TIMEOUT_MS/,
    );
  });

  it('limits chain walks below the pool, and per user within the node', () => {
    const pg = { DATABASE_URL: 'postgres://localhost/db', JWT_SECRET: SECRET };
    expect(loadConfig(pg)).toMatchObject({ auditVerifyMaxWalks: 2, auditVerifyWalksPerUser: 1 });
    expect(loadConfig({ ...pg, DB_POOL_SIZE: '2' }).auditVerifyMaxWalks).toBe(1);
    expect(() => loadConfig({ ...pg, DB_POOL_SIZE: '4', AUDIT_VERIFY_MAX_WALKS: '4' })).toThrow(
      /AUDIT_VERIFY_MAX_WALKS must be below DB_POOL_SIZE/,
    );
    expect(() => loadConfig({ AUDIT_VERIFY_WALKS_PER_USER: '3' })).toThrow(
      /AUDIT_VERIFY_WALKS_PER_USER must not exceed AUDIT_VERIFY_MAX_WALKS/,
    );
    expect(() => loadConfig({ AUDIT_VERIFY_CHUNK_ROWS: '5' })).toThrow(/AUDIT_VERIFY_CHUNK_ROWS/);
  });
});
