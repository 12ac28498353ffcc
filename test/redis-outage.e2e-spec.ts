import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { Redis } from 'ioredis';
import { randomBytes, randomUUID } from 'node:crypto';
import type { Envelope } from '../src/infrastructure/websocket/envelope.js';
import { loginAs, registerPlayer, type Session } from './support/factories.js';
import { createStation, type StationFixture } from './support/market-factories.js';
import { connectSocket, type TestSocket } from './support/socket-client.js';
import { tcpRelay, type TcpRelay } from './support/tcp-relay.js';
import {
  createTestDatabase,
  eventually,
  startTestApp,
  type TestApp,
  type TestDatabase,
} from './support/test-app.js';

jest.setTimeout(60_000);

/**
 * A bad day for Redis: it restarts, or drops off the network, while players trade and staff watch. Node A
 * reaches Redis through a relay the test takes down, silences and brings back; node B, on the same database
 * and key space, keeps its own Redis connection, so that what crosses nodes (and what does not) shows. Runs
 * where both are real servers (TEST_REDIS_URL, TEST_DATABASE_URL): two nodes cannot share an embedded PGlite.
 *
 * Jest fails the running test (or, from afterAll, every test) on an unhandled rejection: a command nobody
 * awaited, or a timer firing into a closed client, during the outage or while the nodes close, fails the suite.
 */
const clustered = Boolean(process.env.TEST_REDIS_URL && process.env.TEST_DATABASE_URL);

/** REDIS_COMMAND_TIMEOUT_MS on node A: the lowest the config takes (above the adapter's 1 s blocking read). */
const COMMAND_TIMEOUT_MS = 1500;
/**
 * The longest a request may wait on a silent Redis: a command whose auto-pipelined batch waits for the batch
 * already on the wire to time out, then times out itself (ioredis runs one batch at a time), plus slack for
 * this busy 2-core machine.
 */
const SILENT_REDIS_BOUND_MS = 2 * COMMAND_TIMEOUT_MS + 1000;
const TRADE_LIMIT = 3;

type PlayerUpdate = { player_id: string; update_type: string; data: Record<string, unknown> };
const update = (e: Envelope) => e.data as PlayerUpdate;
const key = () => `redis-outage-${randomUUID()}`;

(clustered ? describe : describe.skip)('when Redis goes away', () => {
  let database: TestDatabase;
  let relay: TcpRelay;
  let a: TestApp;
  let b: TestApp;
  let direct: Redis;
  let prefix: string;
  let station: StationFixture;
  let admin: Session;
  const sockets: TestSocket[] = [];

  beforeAll(async () => {
    database = await createTestDatabase('redisoutage');
    relay = await tcpRelay(process.env.TEST_REDIS_URL!, 6379);
    prefix = `sw-e2e-${randomBytes(4).toString('hex')}:`;
    const env = {
      MARKET_REGEN_SECONDS: '0',
      PRICE_SNAPSHOT_SECONDS: '0',
      // A small limit over a long window: the (limit+1)th trade is refused however slow the machine.
      TRADE_RATE_LIMIT: String(TRADE_LIMIT),
      TRADE_RATE_WINDOW_SECONDS: '600',
      REDIS_COMMAND_TIMEOUT_MS: String(COMMAND_TIMEOUT_MS),
      // Presence renewed every ~1.7 s, so that a lost entry comes back within the test.
      PRESENCE_SOCKET_TTL_SECONDS: '5',
    };
    a = await startTestApp({ ...env, REDIS_URL: relay.url }, { database, redisPrefix: prefix });
    b = await startTestApp(env, { database, redisPrefix: prefix });
    direct = new Redis(process.env.TEST_REDIS_URL!);
    station = await createStation(a, { markets: { luxury_goods: { capacity: 1000, stock: 500 } } });
    admin = await loginAs(a, 'admin');
  });
  afterAll(async () => {
    for (const s of sockets) s.close();
    await relay?.up();
    await a?.close();
    await b?.close();
    await direct?.quit();
    await relay?.close();
    await database?.drop();
  });

  const connect = async (node: TestApp, namespace: string, token: string) => {
    const s = await connectSocket(node.url, namespace, token);
    sockets.push(s);
    return s;
  };
  const trade = (node: TestApp, s: Session, idempotencyKey: string) =>
    node.http().post('/api/v1/trading/trades').set(s.auth).set('Idempotency-Key', idempotencyKey).send({
      station_id: station.id,
      commodity: 'luxury_goods',
      action: 'buy',
      quantity: 1,
      max_unit_price: 1000,
    });
  /** The request's answer, or a failure as soon as it has taken `boundMs`: nothing hangs on Redis. */
  const promptly = async <T>(request: PromiseLike<T>, boundMs = SILENT_REDIS_BOUND_MS): Promise<T> => {
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        request,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${boundMs} ms`)), boundMs);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  };
  /** Redis down (nothing listens): the node knows at once, and no request waits for a command timeout. */
  const atOnce = <T>(request: PromiseLike<T>) => promptly(request, COMMAND_TIMEOUT_MS);
  const ledgerRows = async (s: Session) => {
    const [{ n }] = await a.db.query(
      'SELECT count(*)::int AS n FROM market_transactions WHERE player_id = $1',
      [s.playerId],
    );
    return n as number;
  };
  const redisUp = async (node: TestApp) =>
    Number(/^redis_up (\S+)$/m.exec((await node.http().get('/metrics').expect(200)).text)?.[1]);
  const expectDegraded = (ready: { status: number; body: unknown }) => {
    expect(ready.status).toBe(200); // still in the load balancer: the database decides
    expect(ready.body).toMatchObject({
      status: 'degraded',
      info: { database: { status: 'up' } },
      error: { redis: { status: 'down', message: expect.any(String) } },
      details: { database: { status: 'up' }, redis: { status: 'down' } },
    });
  };
  /** Node A ready and talking to Redis again (its client reconnected on its own). */
  const redisBackOnA = () =>
    eventually(async () => {
      const ready = await a.http().get('/health/ready');
      return ready.status === 200 && ready.body.status === 'ok' ? ready.body : undefined;
    }, 15_000);
  /**
   * Node A counts rate limits in Redis again (it leaves Redis alone for 5 s after a failure): a request's counter
   * shows up there.
   */
  const limitsInRedisOnA = (s: Session) =>
    eventually(async () => {
      const counter = `${prefix}rl:http:user:${s.userId}`;
      await direct.del(counter);
      await a.http().get('/api/v1/players/me').set(s.auth).expect(200);
      return (await direct.exists(counter)) === 1 ? true : undefined;
    }, 15_000);
  /** Deletes every key of the suite's key space, as a Redis restarted without persistence has none. */
  const wipeRedis = async () => {
    const keys = await direct.keys(`${prefix}*`);
    if (keys.length > 0) await direct.del(...keys);
  };

  it('Redis down: trades commit once and answer at once, reads answer, a key replays from the database, and the trade limit holds on this node', async () => {
    const player = await registerPlayer(a);
    const k = key();
    await relay.down();
    try {
      const first = await atOnce(trade(a, player, k));
      expect(first.status).toBe(201);
      const again = await atOnce(trade(a, player, k));
      expect(again.status).toBe(201);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(again.body.data).toEqual(first.body.data);
      expect(await ledgerRows(player)).toBe(1);

      // The player's and the console's reads; presence, which lives in Redis, is unknown (null), not false.
      const own = await atOnce(a.http().get('/api/v1/trading/trades').set(player.auth));
      expect(own.status).toBe(200);
      expect(own.body.data.trades.map((x: { trade_id: string }) => x.trade_id)).toEqual([
        first.body.data.trade_id,
      ]);
      // The first read of the players' count cache since boot (its store used to hold this request).
      const page = await atOnce(
        a.http().get('/api/v1/admin/players/enhanced').query({ limit: 100 }).set(admin.auth),
      );
      expect(page.status).toBe(200);
      const listed = page.body.data.players.find((p: { id: string }) => p.id === player.playerId);
      expect(listed).toMatchObject({ credits: first.body.data.credits_after, online: null });
      const detailed = await atOnce(
        a.http().get(`/api/v1/admin/players/${player.playerId}/detailed`).set(admin.auth),
      );
      expect(detailed.status).toBe(200);
      expect(detailed.body.data.player).toMatchObject({ id: player.playerId, online: null });
      expect(detailed.body.data.recent_trades).toHaveLength(1);
      const realtime = await atOnce(
        a.http().get('/api/v1/admin/players/analytics/real-time').set(admin.auth),
      );
      expect(realtime.status).toBe(200);
      expect(realtime.body.data.players_online).toBeNull();
      // Filtering by presence cannot be answered: said so, with when to retry (not everyone "offline").
      const filtered = await atOnce(
        a.http().get('/api/v1/admin/players/enhanced').query({ online: 'false' }).set(admin.auth),
      );
      expect(filtered.status).toBe(503);
      expect(filtered.body).toMatchObject({ error: 'PRESENCE.UNAVAILABLE', retry_after_seconds: 5 });
      expect(filtered.headers['retry-after']).toBe('5');
      // Nor can a bulk operation over "offline players" be ordered: it would target everyone. Nothing written.
      const bulk = await atOnce(
        a
          .http()
          .post('/api/v1/admin/players/bulk-operations')
          .set(admin.auth)
          .send({
            operation_type: 'adjust_credits',
            parameters: { amount: 5 },
            target: { filter: { online: false } },
            reason: 'reward the offline ones',
          }),
      );
      expect(bulk.status).toBe(503);
      expect(bulk.body.error).toBe('PRESENCE.UNAVAILABLE');
      expect((await a.db.query('SELECT count(*)::int AS n FROM admin_bulk_operations'))[0].n).toBe(0);

      // The node stays in the load balancer, says what is missing, and the gauge to alert on says 0.
      expectDegraded(await atOnce(a.http().get('/health/ready')));
      await a.http().get('/health/live').expect(200);
      expect(await redisUp(a)).toBe(0);
      expect(await redisUp(b)).toBe(1);

      // The per-player trade limit still holds, counted in this node's memory (the replay gave its point back).
      await trade(a, player, key()).expect(201);
      await trade(a, player, key()).expect(201);
      const limited = await atOnce(trade(a, player, key()));
      expect(limited.status).toBe(429);
      expect(limited.body).toMatchObject({ error: 'RATE_LIMITED', retry_after_seconds: expect.any(Number) });
      expect(limited.headers['retry-after']).toBe(String(limited.body.retry_after_seconds));
      expect(await ledgerRows(player)).toBe(3);
      // Past the limit the committed key still replays.
      const replayed = await atOnce(trade(a, player, k));
      expect(replayed.status).toBe(201);
      expect(replayed.body.data).toEqual(first.body.data);
      // ...on this node only: node B counts in Redis, which never saw these trades.
      await trade(b, player, key()).expect(201);
      expect(await ledgerRows(player)).toBe(4);
    } finally {
      await relay.up();
    }
  });

  it('Redis down: sockets connected before keep their connection and their own messages; a new handshake succeeds', async () => {
    const player = await registerPlayer(a);
    const playerSocket = await connect(a, '/player', player.token);
    const watcher = await connect(a, '/admin', admin.token);
    await watcher.request('subscribe', { players: [player.playerId] });
    await relay.down();
    try {
      const done = (await atOnce(trade(a, player, key()))).body.data;
      expect(done.trade_id).toEqual(expect.any(String));
      const assets = await playerSocket.next(
        'assets_changed',
        (e) => (e.data as { trade?: { trade_id: string } }).trade?.trade_id === done.trade_id,
      );
      expect(assets.data).toMatchObject({ kind: 'trade', credits: done.credits_after });
      const seen = await watcher.next(
        'player_update',
        (e) => update(e).update_type === 'trade' && update(e).data.trade_id === done.trade_id,
      );
      expect(update(seen).player_id).toBe(player.playerId);
      const heartbeat = (await playerSocket.request('heartbeat')) as Envelope;
      expect(heartbeat.type).toBe('heartbeat_ack');

      // A player connecting now is let in: the handshake's rate limit counts in memory and its standing comes
      // from the database; presence is written at the next renewal after Redis is back.
      const late = await atOnce(connect(a, '/player', player.token));
      expect(late.socket.connected).toBe(true);
      const lateAdmin = await atOnce(connect(a, '/admin', admin.token));
      // Its first picture has what the database knows, and presence as unknown.
      const initial = (await lateAdmin.next('initial_state')).data as {
        online: { players_online: number | null };
      };
      expect(initial.online.players_online).toBeNull();

      for (const s of [playerSocket, watcher, late, lateAdmin]) {
        expect(s.socket.connected).toBe(true);
        expect(s.disconnectReason).toBeUndefined();
        expect(s.badSignatures).toBe(0);
      }
    } finally {
      await relay.up();
    }
  });

  it('Redis down: the node logs the outage once as it starts and once as it ends, not once per player, heartbeat or reconnect', async () => {
    // The test before lets Redis back in without waiting for node A to reconnect: an outage still ending when
    // this one starts would be the same outage to A (no second "lost" line).
    await redisBackOnA();
    const players = await Promise.all([1, 2, 3, 4, 5].map(() => registerPlayer(a)));
    const playerSockets = await Promise.all(players.map((p) => connect(a, '/player', p.token)));
    const lines: { level: string; context: string | undefined; message: string }[] = [];
    const spies = (['warn', 'log', 'debug', 'error'] as const).map((level) =>
      jest.spyOn(Logger.prototype, level).mockImplementation(function (this: Logger, ...args: unknown[]) {
        const message = args.find((x): x is string => typeof x === 'string') ?? '';
        lines.push({ level, context: (this as unknown as { context?: string }).context, message });
      }),
    );
    const printed: string[] = [];
    spies.push(
      jest.spyOn(console, 'error').mockImplementation((...args: unknown[]) => {
        printed.push(args.map(String).join(' '));
      }) as never,
    );
    const presenceFailures = () =>
      lines.filter((l) => l.context === 'PlayerPresenceTracker' && l.message === 'Could not renew presence');
    try {
      await relay.down();
      // Every player's heartbeat and the node's renewals of every local player (PRESENCE_SOCKET_TTL_SECONDS 5: one
      // every ~1.7 s) fail while Redis is down; so do the client's reconnects meanwhile.
      for (const s of playerSockets) await s.request('heartbeat');
      await eventually(() => (presenceFailures().length >= 3 * players.length ? true : undefined), 15_000);
      await relay.up();
      await eventually(() =>
        lines.some(
          (l) => l.context === 'RedisAvailability' && l.message.startsWith('Redis connection is back'),
        )
          ? true
          : undefined,
      );
    } finally {
      spies.forEach((spy) => spy.mockRestore());
      await relay.up();
    }
    const warnings = lines.filter((l) => l.level === 'warn' || l.level === 'error');
    expect(warnings.filter((l) => l.context === 'PlayerPresenceTracker')).toEqual([]);
    expect(presenceFailures().every((l) => l.level === 'debug')).toBe(true);
    expect(
      warnings.filter(
        (l) => l.context === 'RedisAvailability' && l.message.startsWith('Redis connection lost'),
      ),
    ).toHaveLength(1);
    expect(
      lines.filter(
        (l) => l.context === 'RedisAvailability' && l.message.startsWith('Redis connection is back'),
      ),
    ).toHaveLength(1);
    // Nothing outside the JSON logs: ioredis prints a failed reconnect to stderr when nobody listens for it.
    expect(printed.filter((p) => p.includes('[ioredis]'))).toEqual([]);
    await redisBackOnA();
  });

  it('Redis down: a kick given on node A reaches the player on node B once Redis is back, and spares a session opened after it', async () => {
    const player = await registerPlayer(a);
    const onB = await connect(b, '/player', player.token);
    const marketOnB = await connect(b, '/market', player.token);
    const warned: string[] = [];
    const spy = jest.spyOn(Logger.prototype, 'warn').mockImplementation((...args: unknown[]) => {
      warned.push(args.find((x): x is string => typeof x === 'string') ?? '');
    });
    await relay.down();
    let later: TestSocket;
    try {
      const kick = await atOnce(
        a
          .http()
          .post(`/api/v1/admin/players/${player.playerId}/emergency/kick`)
          .set(admin.auth)
          .send({ reason: 'incident response' }),
      );
      expect(kick.status).toBe(200);
      // An outage longer than a blip: the client gave up the commands it held for a reconnect (the kick's
      // messages to the other nodes among them), which fail together with the kick's count of sockets.
      await eventually(() =>
        warned.some((m) => m.startsWith('Could not count the player sockets across nodes'))
          ? true
          : undefined,
      );
      // A kick revokes the refresh tokens; the access token may still open a session: this one stays.
      later = await connect(b, '/player', player.token);
    } finally {
      spy.mockRestore();
      await relay.up();
    }
    // Without Redis the kick went nowhere beyond node A; once it is back, node A sends it again.
    const kicked = await onB.next('kicked', () => true, 15_000);
    expect(kicked.data).toMatchObject({ reason: 'incident response' });
    await eventually(() => (onB.socket.connected || marketOnB.socket.connected ? undefined : true));
    expect(onB.disconnectReason).toBe('io server disconnect');
    expect(later.socket.connected).toBe(true);
    expect(later.of('kicked')).toEqual([]);
    await redisBackOnA();
  });

  it('Redis silent (a partition: connections open, nothing answers): requests answer within a command timeout or two, readiness within 1 s', async () => {
    const player = await registerPlayer(a);
    const playerSocket = await connect(a, '/player', player.token);
    // The partition cuts live, ready connections that the node is using.
    await limitsInRedisOnA(player);
    relay.blackhole();
    try {
      // The first command waits out REDIS_COMMAND_TIMEOUT_MS; then the node leaves Redis alone for a while.
      const res = await promptly(trade(a, player, key()));
      expect(res.status).toBe(201);
      expect(
        (await playerSocket.next('assets_changed', (e) => (e.data as { kind: string }).kind === 'trade'))
          .data,
      ).toMatchObject({ credits: res.body.data.credits_after });
      expect((await promptly(a.http().get('/api/v1/trading/trades').set(player.auth))).status).toBe(200);
      const page = await promptly(a.http().get('/api/v1/admin/players/enhanced').set(admin.auth));
      expect(page.status).toBe(200);
      const detailed = await promptly(
        a.http().get(`/api/v1/admin/players/${player.playerId}/detailed`).set(admin.auth),
      );
      expect(detailed.status).toBe(200);
      expect(detailed.body.data.player.online).toBeNull();
      // Readiness and the gauge ask Redis now (a PING, whatever came before), and wait at most 0.5 s for it:
      // the node answers its load balancer within a probe's usual 1 s deadline.
      const ready = await promptly(a.http().get('/health/ready'), 1000);
      expectDegraded(ready);
      expect(ready.body.error.redis.message).toBe('No PONG within 500 ms');
      expect(await promptly(redisUp(a), 1000)).toBe(0);
      const late = await promptly(connect(a, '/player', player.token));
      expect(late.socket.connected).toBe(true);
      expect(playerSocket.socket.connected).toBe(true);
    } finally {
      await relay.up();
    }
    await redisBackOnA();
  });

  it('Redis restarts (its data gone): the node takes it up again by itself, with shared rate limits, presence and cross-node messages', async () => {
    const player = await registerPlayer(a);
    const other = await registerPlayer(b);
    const playerSocket = await connect(a, '/player', player.token);
    const watcherOnA = await connect(a, '/admin', admin.token);
    const watcherOnB = await connect(b, '/admin', admin.token);
    for (const w of [watcherOnA, watcherOnB])
      await w.request('subscribe', { players: [player.playerId, other.playerId] });
    const tradeSeen = (watcher: TestSocket, tradeId: string, timeoutMs = 5000) =>
      watcher.next(
        'player_update',
        (e) => update(e).update_type === 'trade' && update(e).data.trade_id === tradeId,
        timeoutMs,
      );
    const onlineOnB = async (s: Session) =>
      (await b.http().get(`/api/v1/admin/players/${s.playerId}/detailed`).set(admin.auth).expect(200)).body
        .data.player.online as boolean | null;
    // Online through its socket on A (written once A uses Redis again after the previous outage).
    await eventually(async () => ((await onlineOnB(player)) === true ? true : undefined), 15_000);

    await relay.down();
    let lostFromA: string;
    let lostFromB: string;
    try {
      await wipeRedis();
      // Node A cannot write presence: node B, reading Redis, no longer sees the player.
      expect(await onlineOnB(player)).toBe(false);
      // Each node's messages reach its own sockets, and not the other node's.
      lostFromA = (await trade(a, player, key()).expect(201)).body.data.trade_id;
      lostFromB = (await trade(b, other, key()).expect(201)).body.data.trade_id;
      await tradeSeen(watcherOnA, lostFromA);
      await tradeSeen(watcherOnB, lostFromB);
    } finally {
      await relay.up();
    }

    // Back without a restart: ready, and the gauge says so.
    const ready = await redisBackOnA();
    expect(ready.details.redis).toEqual({ status: 'up' });
    await eventually(async () => ((await redisUp(a)) === 1 ? true : undefined));

    // Presence: the player's socket on A is written again by the next renewal, and node B sees it.
    await eventually(async () => ((await onlineOnB(player)) === true ? true : undefined), 15_000);

    // Socket.IO across nodes again: an admin's change made through B reaches the watcher on A (polled: A's
    // subscriber connection reconnects on its own schedule)...
    let credits = 20_000;
    await eventually(async () => {
      credits += 1;
      const [{ version }] = await b.db.query('SELECT version FROM players WHERE id = $1', [other.playerId]);
      await b
        .http()
        .put(`/api/v1/admin/players/${other.playerId}/comprehensive`)
        .set(admin.auth)
        .send({ reason: 'redis outage e2e', version, credits })
        .expect(200);
      const after = String(credits);
      const got = await watcherOnA
        .next(
          'player_update',
          (e) => update(e).update_type === 'credits' && update(e).data.after === after,
          1000,
        )
        .catch(() => undefined);
      return got ? true : undefined;
    }, 15_000);
    // ...and a trade through A reaches the watcher on B.
    const fromA = (await trade(a, player, key()).expect(201)).body.data.trade_id;
    await tradeSeen(watcherOnB, fromA);
    // What was published while A was cut off never crossed, and never will: its pub/sub messages are gone.
    const trades = (s: TestSocket) =>
      s
        .of('player_update')
        .filter((e) => update(e).update_type === 'trade')
        .map((e) => update(e).data.trade_id);
    expect(trades(watcherOnA)).not.toContain(lostFromB!);
    expect(trades(watcherOnB)).not.toContain(lostFromA!);
    // The socket connected before the outage never dropped and still hears its own trades.
    const assets = await playerSocket.next(
      'assets_changed',
      (e) => (e.data as { trade?: { trade_id: string } }).trade?.trade_id === fromA,
    );
    expect(assets.data).toMatchObject({ kind: 'trade' });
    expect(playerSocket.disconnectReason).toBeUndefined();

    // Rate limits count in Redis again (A asks it again at most 5 s after its last failure): one limit across
    // both nodes, where during the outage each node counted its own.
    const trader = await registerPlayer(b);
    await limitsInRedisOnA(trader);
    await trade(a, trader, key()).expect(201);
    await trade(b, trader, key()).expect(201);
    await trade(a, trader, key()).expect(201);
    const limited = await trade(b, trader, key()).expect(429);
    expect(limited.body.error).toBe('RATE_LIMITED');
    expect(await direct.get(`${prefix}rl:trades:${trader.playerId}`)).toBe(String(TRADE_LIMIT + 1));
  });
});
