import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { PresenceService } from '../src/infrastructure/presence/presence.service.js';
import { startWalk, untilTightly, walkProgress } from './support/audit-walks.js';
import { CapturedLogs, hasStack, LEVEL, ofRequest, type LogLine } from './support/captured-logs.js';
import { expectErrorBody, loginAs, registerPlayer, type Session } from './support/factories.js';
import { connectSocket } from './support/socket-client.js';
import { tcpRelay, type TcpRelay } from './support/tcp-relay.js';
import { eventually, startTestApp, type TestApp } from './support/test-app.js';

jest.setTimeout(60_000);

/**
 * What the operator on call reads of the 503s a node answers by design while a dependency is away or busy
 * (other than the database's, see database-outage-logs.e2e-spec.ts), in the app's own JSON log lines at
 * LOG_LEVEL debug: the client gets its 503, code and retry hint; the log gets no stack and nothing at error,
 * one warning per code a minute at most (none for PRESENCE.UNAVAILABLE while the "Redis connection lost" line
 * has told it), the rest debug lines, and unavailable_responses_total counts each.
 */
const quietEnv = { LOG_LEVEL: 'debug', MARKET_REGEN_SECONDS: '0', PRICE_SNAPSHOT_SECONDS: '0' };

/** Every app's lines (one logger per file, see CapturedLogs). */
const logs = new CapturedLogs();

const from = (lines: LogLine[], context: string) => lines.filter((l) => l.context === context);
const atLeast = (lines: LogLine[], level: number) => lines.filter((l) => l.level >= level);

async function answeredCount(t: TestApp, code: string, transport: string): Promise<number> {
  const text = (await t.http().get('/metrics').expect(200)).text;
  const line = text
    .split('\n')
    .find((l) => l.startsWith(`unavailable_responses_total{code="${code}",transport="${transport}"} `));
  return line ? Number(line.split(' ')[1]) : 0;
}

/** The lines of the requests (by x-request-id) and of the filter and UnavailableResponses: none at error or with a stack. */
function expectNoErrorsOrStacks(lines: LogLine[], requestIds: string[]) {
  const own = [
    ...requestIds.flatMap((id) => ofRequest(lines, id)),
    ...from(lines, 'HttpExceptionFilter'),
    ...from(lines, 'UnavailableResponses'),
  ];
  expect(own.length).toBeGreaterThan(0);
  expect(atLeast(own, LEVEL.error)).toEqual([]);
  expect(own.filter(hasStack)).toEqual([]);
  expect(from(lines, 'HttpExceptionFilter')).toEqual([]);
}

describe('AUDIT.VERIFY_BUSY in the log: a capacity answer, not a bug', () => {
  /** Statements of 10 rows over a 20,000-row chain: a walk runs long enough to be caught holding the slot. */
  const env = {
    ...quietEnv,
    AUDIT_VERIFY_MAX_WALKS: '1',
    AUDIT_VERIFY_WALKS_PER_USER: '1',
    AUDIT_VERIFY_CHUNK_ROWS: '10',
  };
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp(env, undefined, logs);
    await t.db.query(
      `INSERT INTO audit_log (action, prev_hash, hash) SELECT 'test.filler', '', '' FROM generate_series(1, 20000)`,
    );
  });
  afterAll(async () => {
    await t?.close();
  });

  it('a client retrying against full slots gets its 503s with Retry-After; the log has one warning, the rest debug, no stack', async () => {
    const [walker, retrier] = [await loginAs(t, 'auditor'), await loginAs(t, 'superadmin')];
    const before = await answeredCount(t, 'AUDIT.VERIFY_BUSY', 'http');
    const walk = await startWalk(t, walker);
    const mark = logs.lines.length;
    const requestIds: string[] = [];
    try {
      for (let i = 0; i < 5; i++) {
        const id = `busy-${randomUUID()}`;
        requestIds.push(id);
        const res = await t
          .http()
          .get('/api/v1/audit/verify')
          .query({ limit: 1 })
          .set(retrier.auth)
          .set('x-request-id', id);
        expect(res.status).toBe(503);
        expectErrorBody(res.body, 'AUDIT.VERIFY_BUSY');
        expect(res.headers['retry-after']).toMatch(/^\d+$/);
        expect(res.body.retry_after_seconds).toBe(Number(res.headers['retry-after']));
      }
    } finally {
      walk.hangUp(); // still walking: every refusal above was answered while the slot was taken
      await untilTightly(async () => (await walkProgress(t)).running === 0);
    }
    const lines = logs.since(mark);
    expectNoErrorsOrStacks(lines, requestIds);
    const told = from(lines, 'UnavailableResponses');
    const warnings = atLeast(told, LEVEL.warn);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({
      level: LEVEL.warn,
      code: 'AUDIT.VERIFY_BUSY',
      transport: 'http',
      route: '/api/v1/audit/verify',
      reqId: requestIds[0],
      answeredSinceLastLine: 1,
    });
    expect(warnings[0]!.msg).toMatch(/^Answering 503 AUDIT\.VERIFY_BUSY: /);
    expect(
      told
        .filter((l) => l.level === LEVEL.debug && l.msg === 'Answered AUDIT.VERIFY_BUSY')
        .map((l) => l.reqId),
    ).toEqual(requestIds.slice(1));
    expect((await answeredCount(t, 'AUDIT.VERIFY_BUSY', 'http')) - before).toBe(5);
  });
});

const withRedis = Boolean(process.env.TEST_REDIS_URL);

/**
 * Redis taken away from the node through a relay (as in redis-outage.e2e-spec.ts): a console read that filters
 * by who is online cannot answer (PRESENCE.UNAVAILABLE). Runs where Redis is a real server (TEST_REDIS_URL);
 * without it presence lives in memory and is never unavailable.
 */
(withRedis ? describe : describe.skip)('PRESENCE.UNAVAILABLE in the log while Redis is away', () => {
  let relay: TcpRelay;
  let t: TestApp;
  let admin: Session;

  beforeAll(async () => {
    relay = await tcpRelay(process.env.TEST_REDIS_URL!, 6379);
    t = await startTestApp(
      { ...quietEnv, REDIS_URL: relay.url, REDIS_COMMAND_TIMEOUT_MS: '1500' },
      undefined,
      logs,
    );
    admin = await loginAs(t, 'admin');
  });
  afterAll(async () => {
    await relay?.up();
    await t?.close();
    await relay?.close();
  });

  const starting = (lines: LogLine[], prefix: string) => lines.filter((l) => l.msg.startsWith(prefix));
  /** Readiness says Redis is up and the node uses it again (RedisAvailability skips it 5 s after a failure). */
  const redisBack = (mark: number) =>
    eventually(async () => {
      if (starting(logs.since(mark), 'Redis connection is back').length === 0) return undefined;
      const ready = await t.http().get('/health/ready');
      return ready.status === 200 && ready.body.status === 'ok' ? true : undefined;
    }, 15_000);
  /** `n` reads filtered by presence, each answered 503 PRESENCE.UNAVAILABLE with its retry hint; their ids. */
  const filteredReads = async (n: number) => {
    const requestIds: string[] = [];
    for (let i = 0; i < n; i++) {
      const id = `presence-${randomUUID()}`;
      requestIds.push(id);
      const res = await t
        .http()
        .get('/api/v1/admin/players/enhanced')
        .query({ online: 'true' })
        .set(admin.auth)
        .set('x-request-id', id);
      expect(res.status).toBe(503);
      expectErrorBody(res.body, 'PRESENCE.UNAVAILABLE');
      expect(res.body.retry_after_seconds).toBe(5);
      expect(res.headers['retry-after']).toBe('5');
    }
    return requestIds;
  };

  /**
   * Takes Redis away with `cut` (given the log mark), makes `n` filtered reads, brings Redis back and waits for
   * the node to use it again; checks that nothing of the reads is at error or has a stack, and returns the lines
   * logged meanwhile, the reads' ids and the lines of UnavailableResponses.
   */
  const whileRedisAway = async (cut: (mark: number) => Promise<unknown>, n: number) => {
    const mark = logs.lines.length;
    let requestIds: string[];
    await cut(mark);
    try {
      requestIds = await filteredReads(n);
    } finally {
      await relay.up();
    }
    await redisBack(mark);
    const lines = logs.since(mark);
    expectNoErrorsOrStacks(lines, requestIds);
    return { lines, requestIds, told: from(lines, 'UnavailableResponses') };
  };

  it('Redis down: the "Redis connection lost" line tells it; each PRESENCE.UNAVAILABLE is a debug line only', async () => {
    const before = await answeredCount(t, 'PRESENCE.UNAVAILABLE', 'http');
    const { lines, requestIds, told } = await whileRedisAway(async (mark) => {
      await relay.down();
      await eventually(() => starting(logs.since(mark), 'Redis connection lost')[0]);
    }, 5);
    expect(starting(lines, 'Redis connection lost')).toHaveLength(1);
    expect(atLeast(told, LEVEL.info)).toEqual([]);
    expect(told.map((l) => [l.level, l.msg, l.reqId, l.route])).toEqual(
      requestIds.map((id) => [
        LEVEL.debug,
        'Answered PRESENCE.UNAVAILABLE (Redis is lost, as told)',
        id,
        '/api/v1/admin/players/enhanced',
      ]),
    );
    expect((await answeredCount(t, 'PRESENCE.UNAVAILABLE', 'http')) - before).toBe(5);
  });

  it('Redis down: players logging in and connecting are served, and their presence writes are debug lines, not a warning with a stack each', async () => {
    const players = [await registerPlayer(t), await registerPlayer(t), await registerPlayer(t)];
    // Their registrations' own logins are done with Redis (presence written, fan-outs sent) before it goes.
    const presence = t.app.get(PresenceService);
    await eventually(async () => {
      for (const p of players) if (!(await presence.isOnline(p.playerId!))) return undefined;
      return true;
    });
    const mark = logs.lines.length;
    await relay.down();
    try {
      await eventually(() => starting(logs.since(mark), 'Redis connection lost')[0]);
      for (const p of players) {
        await t
          .http()
          .post('/api/v1/auth/login')
          .send({ username: p.username, password: p.password })
          .expect(200);
        const socket = await connectSocket(t.url, '/player', p.token);
        socket.close();
      }
    } finally {
      await relay.up();
    }
    await redisBack(mark);
    const lines = logs.since(mark);
    expect(starting(lines, 'Redis connection lost')).toHaveLength(1);
    // Each login's presence write failed, and said so at debug only.
    expect(from(lines, 'PresenceOnLoginHandler').map((l) => [l.level, l.msg, hasStack(l)])).toEqual(
      players.map(() => [LEVEL.debug, 'Could not record presence on login', false]),
    );
    expect(atLeast(lines, LEVEL.warn).filter((l) => l.context !== 'RedisAvailability')).toEqual([]);
    expect(lines.filter(hasStack)).toEqual([]);
  });

  it('Redis silent (the connection still up, nothing told lost): one warning with the cause, the rest debug', async () => {
    const { requestIds, told } = await whileRedisAway(async () => relay.blackhole(), 4);
    const warnings = atLeast(told, LEVEL.warn);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({
      code: 'PRESENCE.UNAVAILABLE',
      transport: 'http',
      route: '/api/v1/admin/players/enhanced',
      reqId: requestIds[0],
      // The Redis failure behind it: the command that timed out, or the window RedisAvailability skips Redis after.
      cause: { message: expect.stringMatching(/^Command timed out$|^Redis is unavailable: skipped for 5 s/) },
    });
    expect(told.filter((l) => l.level === LEVEL.debug).map((l) => l.reqId)).toEqual(requestIds.slice(1));
  });
});
