import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { CapturedLogs, hasStack, LEVEL, type LogLine } from './support/captured-logs.js';
import { insertPlayers, playerRow } from './support/adminops-fixtures.js';
import { loginAs, registerPlayer } from './support/factories.js';
import {
  createStation,
  economyFingerprint,
  holdMarketRow,
  type StationFixture,
} from './support/market-factories.js';
import { connectSocket, type TestSocket } from './support/socket-client.js';
import { eventually, lockWaiter, startTestApp, type TestApp } from './support/test-app.js';

jest.setTimeout(60_000);

/**
 * A database that answers but does not finish: a row held far too long (an operator's open transaction, a
 * migration's lock) makes every statement that needs it wait until statement_timeout (DB_STATEMENT_TIMEOUT_MS,
 * 1 s here) cancels it. Requests are refused 503 DATABASE_TIMEOUT with a retry hint and nothing written, over
 * REST and Socket.IO; the node stays ready; the log tells it once a minute with the cause and where, not as a
 * 500 with a stack per request. Postgres only: the embedded PGlite is one session, where no lock can be held
 * against the app.
 */
const onPostgres = Boolean(process.env.TEST_DATABASE_URL);

(onPostgres ? describe : describe.skip)('statements past statement_timeout', () => {
  const logs = new CapturedLogs();
  let t: TestApp;
  let station: StationFixture;
  let direct: pg.Client;
  let socket: TestSocket | undefined;

  beforeAll(async () => {
    t = await startTestApp(
      {
        LOG_LEVEL: 'debug',
        DB_STATEMENT_TIMEOUT_MS: '1000',
        DB_QUERY_TIMEOUT_MS: '5000',
        MARKET_REGEN_SECONDS: '0',
        PRICE_SNAPSHOT_SECONDS: '0',
        TRADE_RATE_LIMIT: '1000',
      },
      undefined,
      logs,
    );
    station = await createStation(t, { markets: { luxury_goods: { capacity: 1000, stock: 500 } } });
    direct = new pg.Client({ connectionString: t.config.databaseUrl });
    await direct.connect();
  });
  afterAll(async () => {
    socket?.close();
    await direct?.end();
    await t?.close();
  });

  const body = () => ({
    station_id: station.id,
    commodity: 'luxury_goods',
    action: 'buy',
    quantity: 2,
    max_unit_price: 1000,
  });
  const refusedCount = async (transport: string) => {
    const text = (await t.http().get('/metrics').expect(200)).text;
    const m = text.match(
      new RegExp(
        `^database_refused_requests_total\\{code="DATABASE_TIMEOUT",transport="${transport}"\\} (\\S+)$`,
        'm',
      ),
    );
    return m ? Number(m[1]) : 0;
  };

  it('a trade waiting on a row held too long: 503 DATABASE_TIMEOUT over REST and Socket.IO, nothing written, told once; its key runs it once after', async () => {
    const player = await registerPlayer(t);
    socket = await connectSocket(t.url, '/trading', player.token);
    const key = `timeout-${randomUUID()}`;
    const trade = () =>
      t.http().post('/api/v1/trading/trades').set(player.auth).set('Idempotency-Key', key).send(body());
    const before = await economyFingerprint(t);
    const [httpBefore, socketBefore] = [await refusedCount('http'), await refusedCount('socket')];
    const mark = logs.lines.length;

    await holdMarketRow(direct, station.id);
    let lines: LogLine[];
    try {
      for (let i = 0; i < 2; i++) {
        const res = await trade();
        expect(res.status).toBe(503);
        expect(res.body).toMatchObject({ error: 'DATABASE_TIMEOUT', retry_after_seconds: 2 });
        expect(res.headers['retry-after']).toBe('2');
        expect(JSON.stringify(res.body)).not.toMatch(/statement timeout|canceling|at .*\.js/i);
      }
      const ack = (await socket.request('trading_command', {
        ...body(),
        idempotency_key: `timeout-${randomUUID()}`,
      })) as unknown as { success: boolean; error: { code: string; retry_after_seconds: number } };
      expect(ack).toMatchObject({
        success: false,
        error: { code: 'DATABASE_TIMEOUT', retry_after_seconds: 2 },
      });
      // The node answers everything else meanwhile, and stays in the load balancer.
      await t.http().get('/api/v1/trading/trades').set(player.auth).expect(200);
      await t.http().get('/health/ready').expect(200);
      lines = logs.since(mark);
    } finally {
      await direct.query('ROLLBACK');
    }

    expect(await economyFingerprint(t)).toBe(before);
    expect((await refusedCount('http')) - httpBefore).toBe(2);
    expect((await refusedCount('socket')) - socketBefore).toBe(1);

    const told = lines.filter((l) => l.msg.startsWith('Database statements ran past statement_timeout'));
    expect(told).toHaveLength(1);
    expect(told[0]).toMatchObject({
      level: LEVEL.warn,
      context: 'DatabaseAvailability',
      cause: { code: '57014', message: expect.stringMatching(/statement timeout/) },
      where: { transport: 'http', route: '/api/v1/trading/trades' },
      refusedSinceLastLine: 1,
    });
    expect(lines.filter((l) => l.msg === 'Refused with DATABASE_TIMEOUT')).toHaveLength(3);
    expect(lines.filter((l) => l.level >= LEVEL.error)).toEqual([]);
    expect(lines.filter(hasStack)).toEqual([]);
    expect(lines.filter((l) => l.level >= LEVEL.warn && l !== told[0])).toEqual([]);

    // The refused trade wrote nothing, so its key is free: the retry runs it, a second replays it.
    const done = await trade().expect(201);
    expect(done.headers['idempotent-replayed']).toBeUndefined();
    const again = await trade().expect(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body.data.trade_id).toBe(done.body.data.trade_id);
  });

  it('a statement that is only slow is not cut short below the limit', async () => {
    const player = await registerPlayer(t);
    await holdMarketRow(direct, station.id);
    const pending = t
      .http()
      .post('/api/v1/trading/trades')
      .set(player.auth)
      .set('Idempotency-Key', `slow-${randomUUID()}`)
      .send(body())
      .then((r) => r);
    try {
      await lockWaiter(direct);
      await new Promise((r) => setTimeout(r, 300));
    } finally {
      await direct.query('ROLLBACK');
    }
    expect((await pending).status).toBe(201);
  });

  it('a bulk batch cut off by the timeout fails the operation after its retries, saying why, instead of waiting for ever', async () => {
    const admin = await loginAs(t, 'admin');
    const ids = await insertPlayers(t, 5, { credits: 1000 });
    // One target's row held for longer than three statement timeouts: every try of the batch waits on it.
    await direct.query('BEGIN');
    await direct.query('SELECT 1 FROM players WHERE id = $1 FOR UPDATE', [ids[2]]);
    let done: { status: string; error?: string; counts: { processed: number; succeeded: number } };
    try {
      const created = await t
        .http()
        .post('/api/v1/admin/players/bulk-operations')
        .set(admin.auth)
        .send({
          operation_type: 'adjust_credits',
          parameters: { amount: 7 },
          target: { player_ids: ids },
          reason: 'timeout drill',
        })
        .expect(202);
      const opId = created.body.data.operation_id as string;
      done = await eventually(async () => {
        const s = (
          await t
            .http()
            .get(`/api/v1/admin/players/bulk-operations/${opId}/status`)
            .set(admin.auth)
            .expect(200)
        ).body.data as typeof done;
        return s.status === 'running' || s.status === 'pending' ? undefined : s;
      }, 20_000);
    } finally {
      await direct.query('ROLLBACK');
    }
    // Failed, saying why; the batches of other slices committed and are counted, the cut-off one wrote nothing.
    expect(done).toMatchObject({ status: 'failed', error: expect.stringMatching(/statement timeout/) });
    const credits = await Promise.all(ids.map(async (id) => (await playerRow(t, id)).credits));
    expect(credits[2]).toBe('1000');
    expect(credits.filter((c) => c === '1007')).toHaveLength(done.counts.succeeded);
    expect(credits.filter((c) => c !== '1007' && c !== '1000')).toEqual([]);
    expect(done.counts.processed).toBeLessThan(5);
  });
});
