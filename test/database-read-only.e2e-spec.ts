import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { CapturedLogs, hasStack, LEVEL, type LogLine } from './support/captured-logs.js';
import { registerPlayer, type Session } from './support/factories.js';
import { createStation, type StationFixture } from './support/market-factories.js';
import {
  createTestDatabase,
  eventually,
  startTestApp,
  type TestApp,
  type TestDatabase,
} from './support/test-app.js';

jest.setTimeout(60_000);

/**
 * A Postgres that answers but takes no writes: what a node meets when it still reaches the old primary, now a
 * standby, during a failover (SQLSTATE 25006, read_only_sql_transaction). Here the database is made read-only
 * for new sessions (default_transaction_read_only) and the app's sessions are ended, as a failover ends them.
 * Writes are refused 503 DATABASE_READ_ONLY with a retry hint and nothing written, reads are served, the node
 * stays ready, and the log tells it once, with the cause, not as a 500 with a stack per write. Postgres only.
 */
const onPostgres = Boolean(process.env.TEST_DATABASE_URL);

const starting = (lines: LogLine[], prefix: string) => lines.filter((l) => l.msg.startsWith(prefix));
const from = (lines: LogLine[], context: string) => lines.filter((l) => l.context === context);

(onPostgres ? describe : describe.skip)('a database that takes no writes', () => {
  const logs = new CapturedLogs();
  let database: TestDatabase;
  let t: TestApp;
  let player: Session;
  let station: StationFixture;
  let name: string;
  const admin = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });

  /** Sets the database's read-only default, then ends the app's sessions so that new ones take it. */
  const readOnly = async (on: boolean) => {
    await admin.query(
      on
        ? `ALTER DATABASE ${name} SET default_transaction_read_only = on`
        : `ALTER DATABASE ${name} RESET default_transaction_read_only`,
    );
    await admin.query(
      'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
      [name],
    );
  };
  const refusedCount = async () => {
    const text = (await t.http().get('/metrics').expect(200)).text;
    const m = text.match(
      /^database_refused_requests_total\{code="DATABASE_READ_ONLY",transport="http"\} (\S+)$/m,
    );
    return m ? Number(m[1]) : 0;
  };
  const trade = (key: string) =>
    t.http().post('/api/v1/trading/trades').set(player.auth).set('Idempotency-Key', key).send({
      station_id: station.id,
      commodity: 'luxury_goods',
      action: 'buy',
      quantity: 2,
      max_unit_price: 1000,
    });
  /**
   * Until a write (with a key of its own) is answered `outcome` (an error code, or 'executed'): the pool may still
   * hand out a session ended above, which answers DATABASE_UNAVAILABLE once.
   */
  const untilWrites = (outcome: string) =>
    eventually(async () => {
      const res = await trade(`probe-${randomUUID()}`);
      return (res.status === 201 ? 'executed' : res.body.error) === outcome ? true : undefined;
    });

  beforeAll(async () => {
    await admin.connect();
    database = await createTestDatabase('readonly');
    name = new URL(database.url!).pathname.slice(1);
    t = await startTestApp(
      {
        LOG_LEVEL: 'debug',
        MARKET_REGEN_SECONDS: '0',
        PRICE_SNAPSHOT_SECONDS: '0',
        // Ticks that write every second: each finds the database read-only too.
        BAN_SWEEP_SECONDS: '1',
        ANALYTICS_REFRESH_SECONDS: '1',
      },
      { database },
      logs,
    );
    player = await registerPlayer(t);
    station = await createStation(t, { markets: { luxury_goods: { capacity: 1000, stock: 500 } } });
  });
  afterAll(async () => {
    if (name) await readOnly(false).catch(() => undefined);
    await t?.close();
    await database?.drop();
    await admin.end();
  });

  it('writes are refused 503 DATABASE_READ_ONLY with nothing written and told once; reads are served, the node stays ready; the same Idempotency-Key runs once the database takes writes again', async () => {
    const key = `readonly-${randomUUID()}`;
    await readOnly(true);
    await untilWrites('DATABASE_READ_ONLY');
    const before = await refusedCount();
    const mark = logs.lines.length;
    for (let i = 0; i < 3; i++) {
      const res = await trade(key);
      expect(res.status).toBe(503);
      expect(res.body).toMatchObject({ error: 'DATABASE_READ_ONLY', retry_after_seconds: 2 });
      expect(res.headers['retry-after']).toBe('2');
    }
    // Reads go on: the player's own history, readiness.
    expect(
      (await t.http().get('/api/v1/trading/trades').set(player.auth).expect(200)).body.data.trades,
    ).toEqual([]);
    await t.http().get('/health/ready').expect(200);
    expect((await refusedCount()) - before).toBe(3);
    // Let a tick or two meet it as well.
    await new Promise((r) => setTimeout(r, 1500));
    const lines = logs.since(mark);
    await readOnly(false);
    await untilWrites('executed');

    const told = starting(logs.lines, 'Database refuses writes');
    expect(told).toHaveLength(1);
    expect(told[0]).toMatchObject({
      level: LEVEL.warn,
      context: 'DatabaseAvailability',
      cause: { code: '25006', message: expect.stringMatching(/read-only transaction/) },
    });
    expect(hasStack(told[0]!)).toBe(false);
    expect(lines.filter((l) => l.level >= LEVEL.error)).toEqual([]);
    expect(lines.filter(hasStack)).toEqual([]);
    expect(lines.filter((l) => l.level >= LEVEL.warn && l !== told[0])).toEqual([]);
    expect(
      from(lines, 'DatabaseAvailability').filter((l) => l.msg === 'Refused with DATABASE_READ_ONLY'),
    ).toHaveLength(3);
    // The one line came with the probe before `mark`, or with the first refusal after it: either way, one.
    expect(starting(lines, 'Database connection lost')).toEqual([]);

    // Nothing of the refused trades was written: the key is free, and now runs exactly once.
    const done = await trade(key).expect(201);
    expect(done.body.data).toMatchObject({ quantity: 2, action: 'buy' });
    expect((await trade(key).expect(201)).body.data.trade_id).toBe(done.body.data.trade_id);
    const ledger = await t.db.query(
      'SELECT count(*)::int AS n FROM market_transactions WHERE player_id = $1',
      [player.playerId],
    );
    // The probes' trades too: each probe key ran at most once, the refused ones not at all.
    const probes = await t.db.query(
      `SELECT count(*)::int AS n FROM trade_idempotency_keys WHERE key LIKE 'probe-%'`,
    );
    expect(ledger[0].n).toBe(1 + probes[0].n);
  });
});
