import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import pg from 'pg';
import { CapturedLogs, LEVEL } from './support/captured-logs.js';
import { tcpRelay, type TcpRelay } from './support/tcp-relay.js';
import { createTestDatabase, eventually, startTestApp, type TestDatabase } from './support/test-app.js';

jest.setTimeout(60_000);

/**
 * A node starting while its Redis cannot be reached: Redis restarting or failing over during a deploy, or
 * started beside the node (a compose file, a pod). The node waits for it (REDIS_START_TIMEOUT_MS) and starts
 * when it answers, instead of ending at once with ioredis' "Connection is closed." and a stack; a Redis that
 * stays away, or answers with an error, ends the start with one line naming REDIS_URL. Runs where Redis is a
 * real server (TEST_REDIS_URL), reached through a relay the test holds down.
 */
const withRedis = Boolean(process.env.TEST_REDIS_URL);

(withRedis ? describe : describe.skip)('a node starting while Redis is away', () => {
  const logs = new CapturedLogs();
  let database: TestDatabase;
  let relay: TcpRelay;

  beforeAll(async () => {
    database = await createTestDatabase('redis-start');
    relay = await tcpRelay(process.env.TEST_REDIS_URL!, 6379);
  });
  afterAll(async () => {
    await relay?.close();
    // A start that failed leaves its half-built app's pool behind, possibly mid-statement (TypeORM's checks
    // after connecting run on a connection it borrowed): ending those backends under it (the drop) would
    // fail this file on their unheard errors. A failed start ends the process outside tests.
    const direct = new pg.Client({ connectionString: database.url });
    await direct.connect();
    await eventually(async () => {
      const { rows } = await direct.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_stat_activity
          WHERE datname = current_database() AND pid <> pg_backend_pid() AND state <> 'idle'`,
      );
      return rows[0]!.n === 0 ? true : undefined;
    });
    await direct.end();
    await database?.drop();
  });

  it('waits for Redis, with one warning, and starts ready once it answers', async () => {
    await relay.down();
    const mark = logs.lines.length;
    const starting = startTestApp(
      { REDIS_URL: relay.url, MARKET_REGEN_SECONDS: '0', LOG_LEVEL: 'debug' },
      { database },
      logs,
    );
    // Well past ioredis' first refused attempts.
    await new Promise((r) => setTimeout(r, 1500));
    await relay.up();
    const t = await starting;
    try {
      const ready = await t.http().get('/health/ready').expect(200);
      expect(ready.body.status).toBe('ok');
      const waited = logs.since(mark).filter((l) => l.msg.startsWith('Redis is unreachable at start'));
      expect(waited).toHaveLength(1);
      expect(waited[0]).toMatchObject({ level: LEVEL.warn, waitingSeconds: 30 });
    } finally {
      await t.close();
    }
  });

  it('a Redis still away after REDIS_START_TIMEOUT_MS ends the start with one line naming REDIS_URL', async () => {
    await relay.down();
    const started = Date.now();
    try {
      await expect(
        startTestApp({ REDIS_URL: relay.url, REDIS_START_TIMEOUT_MS: '1000' }, { database }, logs),
      ).rejects.toMatchObject({
        name: 'RedisUnreachableError',
        message: expect.stringMatching(
          /^Cannot connect to Redis at REDIS_URL redis:\/\/127\.0\.0\.1:\d+\/? \(waited 1 s\): .+\. Check REDIS_URL/,
        ),
      });
      expect(Date.now() - started).toBeLessThan(15_000);
    } finally {
      await relay.up();
    }
  });

  it('a Redis that refuses the client (a wrong password) ends the start at once', async () => {
    const url = new URL(relay.url);
    url.username = 'nobody';
    url.password = 'not-the-password';
    const started = Date.now();
    await expect(startTestApp({ REDIS_URL: url.toString() }, { database }, logs)).rejects.toMatchObject({
      name: 'RedisUnreachableError',
      message: expect.stringMatching(
        /^Cannot connect to Redis at REDIS_URL redis:\/\/nobody:\*\*\*@127\.0\.0\.1:\d+\/?: WRONGPASS/,
      ),
    });
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});
