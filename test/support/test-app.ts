import { expect } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import pg from 'pg';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { loadConfig, type AppConfig } from '../../src/config/app-config.js';
import { createApp } from '../../src/bootstrap.js';
import type { CapturedLogs } from './captured-logs.js';

/**
 * One running app per suite, on a database of its own:
 *  - by default a fresh in-memory PGlite (the embedded mode);
 *  - with TEST_DATABASE_URL, a new database created on that Postgres and dropped afterwards;
 *  - with TEST_REDIS_URL, Redis (cache, rate limits, presence, Socket.IO) under a key prefix of its own.
 */
export interface TestApp {
  app: NestFastifyApplication;
  config: AppConfig;
  url: string;
  db: DataSource;
  http: () => ReturnType<typeof request>;
  close: () => Promise<void>;
}

export const TEST_JWT_SECRET = 'e2e-test-secret-that-is-long-enough-0123456789';

const SAFE_DB_NAME = /^sw_e2e_[a-z0-9_]+$/;

export interface TestDatabase {
  url: string | undefined;
  drop: () => Promise<void>;
}

/** A fresh database on TEST_DATABASE_URL's server, or undefined for embedded PGlite. */
export async function createTestDatabase(label = 'suite'): Promise<TestDatabase> {
  const adminUrl = process.env.TEST_DATABASE_URL;
  if (!adminUrl) return { url: undefined, drop: async () => undefined };
  const name = `sw_e2e_${label.replace(/[^a-z0-9]/gi, '').toLowerCase()}_${randomBytes(4).toString('hex')}`;
  // Guard: only ever create or drop databases this harness named.
  if (!SAFE_DB_NAME.test(name)) throw new Error(`refusing database name ${name}`);
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

export function testEnv(
  databaseUrl: string | undefined,
  extra: Record<string, string> = {},
  redisPrefix?: string,
) {
  const env: Record<string, string> = {
    NODE_ENV: 'test',
    JWT_SECRET: TEST_JWT_SECRET,
    PGLITE_DATA_DIR: 'memory://',
    DB_POOL_SIZE: '10',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    SEED_DEMO: 'false',
    THROTTLE_LIMIT: '100000',
    AUTH_THROTTLE_LIMIT: '100000',
    WS_HANDSHAKE_RATE_LIMIT: '100000',
    AUDIT_VERIFY_RATE_LIMIT: '100000',
    CORS_ORIGINS: 'http://localhost:3000',
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
    ...(process.env.TEST_REDIS_URL
      ? {
          REDIS_URL: process.env.TEST_REDIS_URL,
          REDIS_KEY_PREFIX: redisPrefix ?? `sw-e2e-${randomBytes(4).toString('hex')}:`,
        }
      : {}),
  };
  return { ...env, ...extra };
}

/** `logs`: where the app's JSON logs go (set LOG_LEVEL in `extraEnv`; the default is silent). */
export async function startTestApp(
  extraEnv: Record<string, string> = {},
  shared?: { database: TestDatabase; redisPrefix?: string },
  logs?: CapturedLogs,
): Promise<TestApp> {
  const database =
    shared?.database ?? (await createTestDatabase(expect.getState().testPath?.split('/').pop() ?? 'suite'));
  const config = loadConfig(testEnv(database.url, extraEnv, shared?.redisPrefix));
  const app = await createApp(config, logs);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.getHttpServer().address() as { port: number };
  const url = `http://127.0.0.1:${address.port}`;
  return {
    app,
    config,
    url,
    db: app.get(DataSource),
    http: () => request(url),
    close: async () => {
      await app.close();
      if (!shared) await database.drop();
    },
  };
}

/** Polls until `check` returns a value (not undefined), or fails after the deadline. No fixed sleeps. */
export async function eventually<T>(
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`condition not met within ${timeoutMs} ms${lastError ? `: ${String(lastError)}` : ''}`);
}

/**
 * Waits until a backend of `client`'s database other than its own waits on a lock (the app's statement blocked
 * behind a row the test holds); returns that backend's pid.
 */
export async function lockWaiter(client: pg.Client): Promise<number> {
  return eventually(async () => {
    const { rows } = await client.query<{ pid: number }>(
      `SELECT pid FROM pg_stat_activity
        WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()`,
    );
    return rows[0]?.pid;
  });
}
