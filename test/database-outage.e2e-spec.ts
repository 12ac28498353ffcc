import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import {
  createTestDatabase,
  eventually,
  lockWaiter,
  startTestApp,
  type TestApp,
  type TestDatabase,
} from './support/test-app.js';
import { registerPlayer, type Session } from './support/factories.js';
import {
  createStation,
  economyFingerprint,
  holdMarketRow,
  type StationFixture,
} from './support/market-factories.js';
import { connectSocket, refusedHandshake, type TestSocket } from './support/socket-client.js';
import { tcpRelay, type TcpRelay } from './support/tcp-relay.js';
import { QUERY_READ_TIMEOUT, TimedPgClient } from '../src/infrastructure/database/timed-pg-client.js';

jest.setTimeout(60_000);

/**
 * A bad day for the database: Postgres restarts, fails over or drops off the network while players trade.
 * Runs where the app's database is a real Postgres server it reaches over TCP (TEST_DATABASE_URL): the
 * embedded PGlite lives in the app's own process and cannot go away on its own. The app reaches its database
 * through a relay the test takes down and brings back; the test checks the data over a direct connection.
 */
const onPostgres = Boolean(process.env.TEST_DATABASE_URL);

const key = () => `outage-${randomUUID()}`;

(onPostgres ? describe : describe.skip)('when Postgres goes away', () => {
  let database: TestDatabase;
  let relay: TcpRelay;
  let redisRelay: TcpRelay | undefined;
  let t: TestApp;
  let direct: pg.Client;
  let station: StationFixture;
  const sockets: TestSocket[] = [];

  beforeAll(async () => {
    database = await createTestDatabase('outage');
    relay = await tcpRelay(database.url!, 5432);
    if (process.env.TEST_REDIS_URL) redisRelay = await tcpRelay(process.env.TEST_REDIS_URL, 6379);
    t = await startTestApp(
      {
        DATABASE_URL: relay.url,
        ...(redisRelay ? { REDIS_URL: redisRelay.url } : {}),
        MARKET_REGEN_SECONDS: '0',
        PRICE_SNAPSHOT_SECONDS: '0',
        TRADE_RATE_LIMIT: '10000',
        DB_CONNECT_TIMEOUT_MS: '2000',
        DB_QUERY_TIMEOUT_MS: '3000',
      },
      { database },
    );
    direct = new pg.Client({ connectionString: database.url });
    await direct.connect();
    station = await createStation(t, {
      markets: { luxury_goods: { capacity: 1000, stock: 500 } },
    });
  });
  afterAll(async () => {
    for (const s of sockets) s.close();
    await relay?.up();
    await redisRelay?.up();
    await t?.close();
    await direct?.end();
    await relay?.close();
    await redisRelay?.close();
    await database?.drop();
  });

  const buy = (quantity: number) => ({
    station_id: station.id,
    commodity: 'luxury_goods',
    action: 'buy',
    quantity,
    max_unit_price: 1000,
  });
  const trade = (s: Session, body: Record<string, unknown>, idempotencyKey: string) =>
    t.http().post('/api/v1/trading/trades').set(s.auth).set('Idempotency-Key', idempotencyKey).send(body);
  const ledgerRows = async (playerId: string) => {
    const { rows } = await direct.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM market_transactions WHERE player_id = $1',
      [playerId],
    );
    return rows[0]!.n;
  };
  const expectUnavailable = (res: {
    status: number;
    headers: Record<string, string>;
    body: Record<string, unknown>;
  }) => {
    expect(res.status).toBe(503);
    expect(res.body.error).toBe('DATABASE_UNAVAILABLE');
    expect(res.body.retry_after_seconds).toBe(2);
    expect(res.headers['retry-after']).toBe('2');
    // What the client needs, and nothing of the server's insides.
    expect(String(res.body.detail)).toMatch(/Idempotency-Key/);
    expect(JSON.stringify(res.body)).not.toMatch(/ECONN|terminat|at .*\.js/i);
  };

  it('a trade whose connection dies under it: 503 DATABASE_UNAVAILABLE, nothing written; its key then runs it once', async () => {
    const player = await registerPlayer(t);
    const k = key();
    const before = await economyFingerprint(t);

    // Hold the market row, so that the trade's write waits on it; then end that waiting backend, as a
    // restart or failover ends every connection.
    await holdMarketRow(direct, station.id);
    const pending = trade(player, buy(5), k).then((r) => r);
    const victim = await lockWaiter(direct);
    await direct.query('SELECT pg_terminate_backend($1)', [victim]);
    await direct.query('ROLLBACK');

    expectUnavailable(await pending);
    expect(await economyFingerprint(t)).toBe(before);
    expect(await ledgerRows(player.playerId!)).toBe(0);

    // The player retries with the same key: it runs now, and a second retry replays it.
    const retried = await trade(player, buy(5), k).expect(201);
    expect(retried.headers['idempotent-replayed']).toBeUndefined();
    const again = await trade(player, buy(5), k).expect(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body.data).toEqual(retried.body.data);
    expect(await ledgerRows(player.playerId!)).toBe(1);
  });

  it('a trade whose network drops mid-statement: 503 DATABASE_UNAVAILABLE, the node lives, its key runs it once', async () => {
    const player = await registerPlayer(t);
    const k = key();
    const before = await economyFingerprint(t);

    // The trade's single statement runs on a connection it borrowed from the pool; the link under it ends
    // (a cable, a proxy restart) while the statement waits on a held row, with no word from Postgres.
    await holdMarketRow(direct, station.id);
    const pending = trade(player, buy(3), k).then((r) => r);
    const orphan = await lockWaiter(direct);
    await relay.down();
    try {
      expectUnavailable(await pending);
    } finally {
      await direct.query('ROLLBACK');
      await relay.up();
    }

    // Postgres did not hear the link go while the statement waited, so it may have run once the row was free:
    // the client cannot know, which is why the 503 says to retry with the same key. The retry answers the
    // one trade either way, and a second retry replays it.
    await eventually(async () => {
      const { rowCount } = await direct.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [orphan]);
      return rowCount === 0 ? true : undefined;
    });
    await eventually(async () => ((await t.http().get('/health/ready')).status === 200 ? true : undefined));
    const landed = await ledgerRows(player.playerId!);
    expect([0, 1]).toContain(landed);
    if (landed === 0) expect(await economyFingerprint(t)).toBe(before);
    const retried = await trade(player, buy(3), k).expect(201);
    expect(retried.headers['idempotent-replayed']).toBe(landed === 1 ? 'true' : undefined);
    const again = await trade(player, buy(3), k).expect(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body.data).toEqual(retried.body.data);
    expect(await ledgerRows(player.playerId!)).toBe(1);
  });

  it('Postgres unreachable: REST and Socket.IO answer DATABASE_UNAVAILABLE, readiness fails, and service resumes by itself', async () => {
    const player = await registerPlayer(t);
    const socket = await connectSocket(t.url, '/trading', player.token);
    sockets.push(socket);
    const before = await economyFingerprint(t);
    const k = key();

    await relay.down();
    try {
      expectUnavailable(await trade(player, buy(2), k));
      expectUnavailable(await t.http().get('/api/v1/trading/trades').set(player.auth));
      const ack = (await socket.request('trading_command', {
        ...buy(2),
        idempotency_key: key(),
      })) as unknown as {
        success: boolean;
        error: { code: string; retry_after_seconds: number };
      };
      expect(ack.success).toBe(false);
      expect(ack.error.code).toBe('DATABASE_UNAVAILABLE');
      expect(ack.error.retry_after_seconds).toBe(2);
      // A player connecting now is told why, and that it may retry (the handshake reads the player's standing).
      const refused = await refusedHandshake(t.url, '/player', player.token);
      expect(refused.data).toMatchObject({ code: 'DATABASE_UNAVAILABLE', retry_after_seconds: 2 });
      // The load balancer takes the node out of rotation; the process itself is alive and needs no restart.
      const ready = await t.http().get('/health/ready');
      expect(ready.status).toBe(503);
      expect(ready.body.error).toBe('HEALTH.NOT_READY');
      await t.http().get('/health/live').expect(200);
    } finally {
      await relay.up();
    }

    // Back: the pool reconnects on its own, the node is ready again, and the same key runs the trade once.
    await eventually(async () => ((await t.http().get('/health/ready')).status === 200 ? true : undefined));
    expect(await economyFingerprint(t)).toBe(before); // nothing was written while it was away
    await t.http().get('/api/v1/trading/trades').set(player.auth).expect(200);
    await trade(player, buy(2), k).expect(201);
    const ack = (await socket.request('trading_command', {
      ...buy(2),
      idempotency_key: key(),
    })) as unknown as {
      success: boolean;
    };
    expect(ack.success).toBe(true);
    expect(await ledgerRows(player.playerId!)).toBe(2);
  });

  it('Postgres silent (a partition): a request gets a 503 within seconds instead of hanging', async () => {
    const player = await registerPlayer(t);
    relay.blackhole();
    try {
      const started = Date.now();
      // On a pooled connection the statement's answer never comes: after DB_QUERY_TIMEOUT_MS (3 s here) the
      // connection is dropped, DATABASE_UNAVAILABLE. A request that needs a new connection (the background
      // work holds the others, hanging the same way) waits DB_CONNECT_TIMEOUT_MS for one: DATABASE_BUSY.
      const res = await t.http().get('/api/v1/trading/trades').set(player.auth);
      expect(res.status).toBe(503);
      expect(['DATABASE_UNAVAILABLE', 'DATABASE_BUSY']).toContain(res.body.error);
      expect(res.headers['retry-after']).toBe('2');
      expect(Date.now() - started).toBeLessThan(10_000);
    } finally {
      await relay.up();
    }
    await eventually(
      async () => ((await t.http().get('/health/ready')).status === 200 ? true : undefined),
      20_000,
    );
    await t.http().get('/api/v1/trading/trades').set(player.auth).expect(200);
  });

  it('a connection whose answer never came is dropped, not handed out again', async () => {
    // The pool's own client class, on a relay of its own.
    const own = await tcpRelay(database.url!, 5432);
    const client = new TimedPgClient({ connectionString: own.url, query_timeout: 500 });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('SELECT 1');
      const ended = new Promise<string>((resolve) => client.once('end', () => resolve('dropped')));
      own.blackhole();
      await expect(client.query('SELECT 1')).rejects.toThrow(QUERY_READ_TIMEOUT);
      // node-postgres alone would keep this connection open, still waiting; the pool would reuse it.
      let timer: NodeJS.Timeout | undefined;
      const outcome = await Promise.race([
        ended,
        new Promise<string>((resolve) => (timer = setTimeout(() => resolve('still open'), 5000))),
      ]);
      clearTimeout(timer);
      expect(outcome).toBe('dropped');
    } finally {
      await own.close();
    }
  });

  (process.env.TEST_REDIS_URL ? it : it.skip)(
    'Redis unreachable: trades go on (rate limits fall back to each node), the node stays ready naming Redis, and it recovers',
    async () => {
      const player = await registerPlayer(t);
      await redisRelay!.down();
      try {
        await trade(player, buy(1), key()).expect(201);
        await t.http().get('/api/v1/trading/trades').set(player.auth).expect(200);
        // Only the database decides readiness (test/redis-outage.e2e-spec.ts has the rest of a Redis outage).
        const ready = await t.http().get('/health/ready');
        expect(ready.status).toBe(200);
        expect(ready.body).toMatchObject({ status: 'degraded', error: { redis: { status: 'down' } } });
        await t.http().get('/health/live').expect(200);
      } finally {
        await redisRelay!.up();
      }
      await eventually(async () =>
        (await t.http().get('/health/ready')).body.status === 'ok' ? true : undefined,
      );
      await trade(player, buy(1), key()).expect(201);
      expect(await ledgerRows(player.playerId!)).toBe(2);
    },
  );

  (process.env.TEST_REDIS_URL ? it : it.skip)(
    'Redis silent (a partition: connections open, nothing answers): trades still answer within seconds',
    async () => {
      const player = await registerPlayer(t);
      redisRelay!.blackhole();
      try {
        // The first request waits out one REDIS_COMMAND_TIMEOUT_MS (2 s), or two when its auto-pipelined batch
        // queues behind one already on the wire (ioredis runs one batch at a time; the player's login message is
        // often that one); rate limits then count in memory for a while, so the next one does not wait at all.
        let started = Date.now();
        await trade(player, buy(1), key()).expect(201);
        expect(Date.now() - started).toBeLessThan(2 * 2000 + 1500);
        started = Date.now();
        await trade(player, buy(1), key()).expect(201);
        expect(Date.now() - started).toBeLessThan(1000);
        const ready = await t.http().get('/health/ready');
        expect(ready.status).toBe(200);
        expect(ready.body.status).toBe('degraded');
      } finally {
        await redisRelay!.up();
      }
      await eventually(async () =>
        (await t.http().get('/health/ready')).body.status === 'ok' ? true : undefined,
      );
      await trade(player, buy(1), key()).expect(201);
      expect(await ledgerRows(player.playerId!)).toBe(3);
    },
  );

  it('every pooled connection taken: 503 DATABASE_BUSY with Retry-After, and the trade holding it still completes once', async () => {
    // A node of its own on the same database, with one pooled connection and a short wait for it.
    const small = await startTestApp(
      {
        MARKET_REGEN_SECONDS: '0',
        PRICE_SNAPSHOT_SECONDS: '0',
        DB_POOL_SIZE: '1',
        DB_CONNECT_TIMEOUT_MS: '1000',
      },
      { database },
    );
    try {
      const player = await registerPlayer(small);
      const k = key();
      await holdMarketRow(direct, station.id);
      let pending: Promise<{ status: number; body: { data?: unknown } }>;
      try {
        // The trade takes the node's only connection and waits on the row lock with it.
        pending = small
          .http()
          .post('/api/v1/trading/trades')
          .set(player.auth)
          .set('Idempotency-Key', k)
          .send(buy(3))
          .then((r) => r);
        await lockWaiter(direct);
        const busy = await small.http().get('/api/v1/trading/trades').set(player.auth);
        expect(busy.status).toBe(503);
        expect(busy.body.error).toBe('DATABASE_BUSY');
        expect(busy.headers['retry-after']).toBe('2');
      } finally {
        await direct.query('ROLLBACK');
      }
      // Nothing was lost: the waiting trade went through once the lock went, exactly once.
      expect((await pending).status).toBe(201);
      expect(await ledgerRows(player.playerId!)).toBe(1);
      await small.http().get('/api/v1/trading/trades').set(player.auth).expect(200);
    } finally {
      await small.close();
    }
  });
});
