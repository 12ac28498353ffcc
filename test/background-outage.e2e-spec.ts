import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { CapturedLogs, hasStack, LEVEL, type LogLine } from './support/captured-logs.js';
import { insertPlayers, playerRow } from './support/adminops-fixtures.js';
import { loginAs, type Session } from './support/factories.js';
import { tcpRelay, type TcpRelay } from './support/tcp-relay.js';
import {
  createTestDatabase,
  eventually,
  startTestApp,
  type TestApp,
  type TestDatabase,
} from './support/test-app.js';

jest.setTimeout(90_000);

/**
 * The node's own work while Postgres is away: the scheduled ticks (market regeneration and snapshots, ARIA,
 * the ban sweep, the analytics refresh, metrics_update) and the bulk worker. What the operator on call reads
 * is the outage, once each way, whatever found it (here no request does); no job logs a warning or a stack per
 * tick for it, and the "back" line counts what each job skipped. A bulk operation cut off mid-run waits for the
 * database and goes on, each player changed once. The outage is a relay in front of a real Postgres
 * (TEST_DATABASE_URL), as in database-outage-logs.e2e-spec.ts; the embedded PGlite cannot go away on its own.
 */
const onPostgres = Boolean(process.env.TEST_DATABASE_URL);

/** Every tick each second (the metrics every half second), the bulk worker polling often, no background noise. */
const busyTicks = {
  LOG_LEVEL: 'debug',
  MARKET_REGEN_SECONDS: '1',
  PRICE_SNAPSHOT_SECONDS: '1',
  ARIA_PREDICTION_SECONDS: '1',
  BAN_SWEEP_SECONDS: '1',
  ANALYTICS_REFRESH_SECONDS: '1',
  REALTIME_METRICS_INTERVAL_MS: '500',
  BULK_POLL_MS: '100',
  DB_CONNECT_TIMEOUT_MS: '2000',
  DB_QUERY_TIMEOUT_MS: '3000',
};

const starting = (lines: LogLine[], prefix: string) => lines.filter((l) => l.msg.startsWith(prefix));
const API = '/api/v1/admin/players/bulk-operations';

(onPostgres ? describe : describe.skip)('background work while Postgres is away', () => {
  const logs = new CapturedLogs();
  let database: TestDatabase;
  let relay: TcpRelay;
  let t: TestApp;
  let admin: Session;

  beforeAll(async () => {
    database = await createTestDatabase('bgoutage');
    relay = await tcpRelay(database.url!, 5432);
    t = await startTestApp(
      {
        ...busyTicks,
        DATABASE_URL: relay.url,
        // Batches of 5 with a pause: the operation below is still running when the database goes.
        BULK_BATCH_SIZE: '5',
        BULK_BATCH_PAUSE_MS: '100',
        BULK_WORKER_CONCURRENCY: '1',
        BULK_SLICES: '1',
        // Longer than the whole test: an operation that only a lease's expiry could resume would not finish.
        BULK_LEASE_MS: '120000',
      },
      { database },
      logs,
    );
    admin = await loginAs(t, 'admin');
  });
  afterAll(async () => {
    await relay?.up();
    await t?.close();
    await relay?.close();
    await database?.drop();
  });

  const backLine = async (mark: number) =>
    eventually(() => starting(logs.since(mark), 'Database connection is back')[0], 20_000);
  const ready = () =>
    eventually(async () => ((await t.http().get('/health/ready')).status === 200 ? true : undefined));
  /** A few rounds of every tick against the missing database (3.5 s; the ticks are 1 s apart). */
  const outage = async () => {
    await relay.down();
    try {
      await new Promise((r) => setTimeout(r, 3500));
    } finally {
      await relay.up();
    }
  };

  it('a quiet node: its ticks find the outage, told once each way with no warning or stack of theirs; the "back" line counts the skipped runs by job', async () => {
    const mark = logs.lines.length;
    await outage();
    const back = await backLine(mark);
    await ready();

    const lines = logs.since(mark);
    const lost = starting(lines, 'Database connection lost');
    expect(lost).toHaveLength(1);
    expect(lost[0]).toMatchObject({ level: LEVEL.warn, context: 'DatabaseAvailability' });
    expect(hasStack(lost[0]!)).toBe(false);
    expect(back).toMatchObject({ level: LEVEL.info, refusedRequests: 0 });
    // What each job skipped while the database was away (at least once each: they tick every second).
    const skipped = back.skipped as Record<string, number>;
    for (const job of [
      'market.regeneration',
      'market.snapshot',
      'aria.prediction',
      'bans.expiry_sweep',
      'analytics.refresh',
      'realtime.metrics_tick',
      'bulk.claim',
    ])
      expect([job, skipped[job]]).toEqual([job, expect.any(Number)]);
    // Nothing else at warn or above, and no stack anywhere: before, each of those jobs warned with a stack at
    // every tick, and the outage itself went untold on a node no request reached.
    expect(lines.filter((l) => l.level >= LEVEL.warn && l !== lost[0])).toEqual([]);
    expect(lines.filter(hasStack)).toEqual([]);
    // The ticks work again once it is back: a regeneration pass, say, runs without being skipped.
    const after = logs.lines.length;
    await new Promise((r) => setTimeout(r, 2500));
    expect(starting(logs.since(after), 'Skipped')).toEqual([]);
  });

  it('a pool with no free connection is not an outage: the ticks it holds up are skipped, told by one "Database pool exhausted" warning, not a warning with a stack each', async () => {
    const small = await startTestApp(
      { ...busyTicks, DB_POOL_SIZE: '1', DB_CONNECT_TIMEOUT_MS: '300' },
      { database },
      logs,
    );
    try {
      const mark = logs.lines.length;
      // The node's only connection, taken for 1.5 s (below the 2 s statement timeout that DB_QUERY_TIMEOUT_MS
      // implies): every tick meanwhile waits 300 ms for it and gives up.
      await small.db.query('SELECT pg_sleep(1.5)');
      const lines = logs.since(mark);
      const exhausted = starting(lines, 'Database pool exhausted');
      expect(exhausted).toHaveLength(1);
      expect(exhausted[0]).toMatchObject({
        level: LEVEL.warn,
        context: 'DatabaseAvailability',
        skippedSinceLastLine: expect.any(Number),
      });
      expect(exhausted[0]!.skippedSinceLastLine).toBeGreaterThanOrEqual(1);
      expect(starting(lines, 'Database connection lost')).toEqual([]);
      expect(lines.filter((l) => l.level >= LEVEL.warn && l !== exhausted[0])).toEqual([]);
      expect(lines.filter(hasStack)).toEqual([]);
    } finally {
      await small.close();
    }
  });

  it('a bulk operation running when the database goes waits for it and completes once it is back, every player changed once, nothing failed', async () => {
    const ids = await insertPlayers(t, 60, { credits: 1000 });
    const created = await t
      .http()
      .post(API)
      .set(admin.auth)
      .send({
        operation_type: 'adjust_credits',
        parameters: { amount: 7 },
        target: { player_ids: ids },
        reason: 'compensation after an outage drill',
      })
      .expect(202);
    const opId = created.body.data.operation_id as string;
    const status = async () =>
      (await t.http().get(`${API}/${opId}/status`).set(admin.auth).expect(200)).body.data as {
        status: string;
        counts: { processed: number; succeeded: number; failed: number; skipped: number; total: number };
      };
    // Under way: some batches committed, most to come.
    await eventually(async () => {
      const s = await status();
      return s.counts.processed > 0 ? s : undefined;
    });
    const mark = logs.lines.length;
    await outage();
    const back = await backLine(mark);
    // A batch was tried while the database was away: the outage cut the operation off mid-run.
    expect((back.skipped as Record<string, number>)['bulk.batch']).toEqual(expect.any(Number));

    // Not marked failed, and not left to wait for its lease (longer than this test) to run out.
    const done = await eventually(async () => {
      const s = await status();
      return s.status === 'running' || s.status === 'pending' ? undefined : s;
    }, 30_000);
    expect(done).toMatchObject({
      status: 'completed',
      counts: { total: 60, processed: 60, succeeded: 60, failed: 0, skipped: 0 },
    });
    for (const id of ids) expect((await playerRow(t, id)).credits).toBe('1007');
    const lines = logs.since(mark);
    expect(lines.filter((l) => l.context === 'BulkOperationsWorker' && l.level >= LEVEL.warn)).toEqual([]);
    expect(lines.filter(hasStack)).toEqual([]);
  });
});
