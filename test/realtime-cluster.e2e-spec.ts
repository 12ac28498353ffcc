import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { EventBus } from '@nestjs/cqrs';
import type { Redis } from 'ioredis';
import { randomBytes, randomUUID } from 'node:crypto';
import type { Socket as TcpSocket } from 'node:net';
import type { Envelope } from '../src/infrastructure/websocket/envelope.js';
import { RealtimeHub } from '../src/infrastructure/websocket/realtime-hub.service.js';
import { PresenceService } from '../src/infrastructure/presence/presence.service.js';
import { REDIS } from '../src/infrastructure/redis/redis.module.js';
import { AutomationExecutor } from '../src/modules/trading/automation/automation-executor.service.js';
import { MarketUpdatesRelay } from '../src/modules/trading/gateways/market-updates.relay.js';
import { PlayerChannel } from '../src/modules/realtime/player-channel.service.js';
import { TradeExecutedEvent } from '../src/modules/trading/events/trade-executed.event.js';
import { loginAs, registerPlayer, type Session } from './support/factories.js';
import { createStation, marketRow, setCargo, type StationFixture } from './support/market-factories.js';
import { connectMultiplexed, connectSocket, type TestSocket } from './support/socket-client.js';
import { tcpRelay, type TcpRelay } from './support/tcp-relay.js';
import {
  createTestDatabase,
  eventually,
  startTestApp,
  type TestApp,
  type TestDatabase,
} from './support/test-app.js';

// jest.config's per-project testTimeout is not applied (jest 30); app start-up needs more than 5 s on a busy machine.
jest.setTimeout(60_000);

type PlayerUpdate = { player_id: string; update_type: string; data: Record<string, unknown> };
type Tick = { tick: { at: string; node_id: string; sequence: number } };
const update = (e: Envelope) => e.data as PlayerUpdate;

// Two nodes need one shared Postgres and one Redis; CI sets both. Embedded PGlite is one process's own.
const clustered = Boolean(process.env.TEST_REDIS_URL && process.env.TEST_DATABASE_URL);
if (!clustered) {
  console.warn(
    'realtime-cluster.e2e-spec: SKIPPED. The two-node test needs TEST_REDIS_URL and TEST_DATABASE_URL ' +
      '(e.g. redis://127.0.0.1:6379 and postgres://postgres@127.0.0.1:5432/postgres).',
  );
}
const TICK_MS = 400;
/** MARKET_UPDATE_COALESCE_MS here: wide enough that a receipt's scheduling noise cannot pass for a window. */
const COALESCE_MS = 250;
/** PRESENCE_SOCKET_TTL_SECONDS of the node that dies: the minimum the config accepts. */
const PRESENCE_TTL_S = 5;

/** Every TCP connection a node's HTTP server accepts (REST and Socket.IO, before and after the upgrade). */
function trackConnections(node: TestApp): Set<TcpSocket> {
  const open = new Set<TcpSocket>();
  node.app.getHttpServer().on('connection', (s: TcpSocket) => {
    open.add(s);
    s.on('close', () => open.delete(s));
  });
  return open;
}

(clustered ? describe : describe.skip)('realtime across two nodes (one Postgres, one Redis)', () => {
  let database: TestDatabase;
  let shared: { database: TestDatabase; redisPrefix: string };
  let a: TestApp;
  let b: TestApp;
  let admin: Session;
  let station: StationFixture;
  const eventsOnA: object[] = [];
  const open: TestSocket[] = [];
  const env = {
    REALTIME_METRICS_INTERVAL_MS: String(TICK_MS),
    MARKET_UPDATE_COALESCE_MS: String(COALESCE_MS),
  };
  // The third node of the dead-node test, and what severs it.
  let doomed: TestApp | undefined;
  let relay: TcpRelay | undefined;

  const connect = async (node: TestApp, ns: string, token: string) => {
    const s = await connectSocket(node.url, ns, token);
    open.push(s);
    return s;
  };

  beforeAll(async () => {
    database = await createTestDatabase('cluster');
    shared = { database, redisPrefix: `sw-e2e-${randomBytes(4).toString('hex')}:` };
    a = await startTestApp(env, shared);
    b = await startTestApp(env, shared);
    a.app.get(EventBus).subscribe((e: object) => eventsOnA.push(e));
    admin = await loginAs(a, 'admin');
    // Premium Tech (class 11) in sector 1, where registered players start: luxury_goods both ways.
    station = await createStation(a, {
      sector: 1,
      markets: { luxury_goods: { capacity: 1000, stock: 500 } },
    });
  });
  afterEach(() => {
    while (open.length) open.pop()!.close();
  });
  afterAll(async () => {
    // What is left of the dead node in this process (timers, its Postgres pool, its listener, Redis clients
    // waiting on the severed relay): let its clients reconnect, then close it like the others.
    if (doomed && relay) {
      await relay.up();
      const redis = doomed.app.get<Redis>(REDIS);
      await eventually(() => (redis.status === 'ready' ? true : undefined));
      await redis.ping(); // answered after every command it had queued or resent
      // Its disconnect handling asked the cluster who else holds the player (stuck on the severed link): let
      // that request complete or time out, or its timer outlives the suite.
      const hub = doomed.app.get(RealtimeHub);
      await eventually(() => {
        const pending = hub
          .namespaceNames()
          .reduce(
            (n, name) =>
              n +
              ((hub.namespace(name)?.adapter as unknown as { requests?: Map<string, unknown> }).requests
                ?.size ?? 0),
            0,
          );
        return pending === 0 ? true : undefined;
      }, 7000);
      await doomed.close();
    }
    await a?.close();
    await b?.close();
    await relay?.close();
    await database?.drop();
  });

  it('an admin on node A receives player_update for changes made through node B', async () => {
    const watcher = await connect(a, '/admin', admin.token);
    await watcher.request('subscribe', { players: 'all' });
    const p = await registerPlayer(b);
    const [{ version }] = await b.db.query('SELECT version FROM players WHERE id = $1', [p.playerId]);
    await b
      .http()
      .put(`/api/v1/admin/players/${p.playerId}/comprehensive`)
      .set(admin.auth)
      .send({ reason: 'cluster e2e', version, credits: 4242 })
      .expect(200);
    const credits = await watcher.next(
      'player_update',
      (e) => update(e).player_id === p.playerId && update(e).update_type === 'credits',
    );
    expect(update(credits).data).toMatchObject({ after: '4242' });

    // A real trade, made by the player through node B's REST API.
    const res = await b
      .http()
      .post('/api/v1/trading/trades')
      .set(p.auth)
      .set('Idempotency-Key', `k-${randomUUID()}`)
      .send({
        station_id: station.id,
        commodity: 'luxury_goods',
        action: 'buy',
        quantity: 5,
        max_unit_price: 1000,
      })
      .expect(201);
    const done = res.body.data;
    expect(done).toMatchObject({ quantity: 5, credits_after: String(4242 - 5 * done.unit_price) });
    const trade = await watcher.next(
      'player_update',
      (e) => update(e).update_type === 'trade' && update(e).data.trade_id === done.trade_id,
    );
    expect(update(trade)).toEqual({
      player_id: p.playerId,
      update_type: 'trade',
      data: expect.objectContaining({
        trade_id: done.trade_id,
        station_id: station.id,
        commodity: 'luxury_goods',
        action: 'buy',
        quantity: 5,
        unit_price: done.unit_price,
        total: done.total,
        credits_after: done.credits_after,
      }),
    });
    // It crossed nodes: the trade's event was published on B's bus only, never on A's.
    expect(eventsOnA.some((e) => e instanceof TradeExecutedEvent && e.tradeId === done.trade_id)).toBe(false);
    expect(watcher.badSignatures).toBe(0);
  });

  it('a kick issued on node A (admin API) disconnects the player sockets on node B', async () => {
    const p = await registerPlayer(a);
    const onB = await connect(b, '/player', p.token);
    const tradingOnB = await connect(b, '/trading', p.token);
    const res = await a
      .http()
      .post(`/api/v1/admin/players/${p.playerId}/emergency/kick`)
      .set(admin.auth)
      .send({ reason: 'cluster kick' })
      .expect(200);
    expect(res.body.data).toMatchObject({ player_id: p.playerId, action: 'kick', result_status: 'success' });
    expect((await onB.next('kicked')).data).toEqual({ reason: 'cluster kick' });
    expect(await onB.waitDisconnected()).toBe('io server disconnect');
    expect(await tradingOnB.waitDisconnected()).toBe('io server disconnect');
    expect(onB.badSignatures).toBe(0);
    const audit = await a.db.query(
      `SELECT actor_id, reason, after->>'emergency_action_id' AS action_id FROM audit_log
       WHERE action = 'emergency.kick' AND target_type = 'player' AND target_id = $1`,
      [p.playerId],
    );
    expect(audit).toEqual([
      { actor_id: admin.userId, reason: 'cluster kick', action_id: res.body.data.action_id },
    ]);
    // B settled the presence of its last socket of the player: offline for the whole cluster.
    await eventually(async () =>
      (await a.app.get(PresenceService).isOnline(p.playerId!)) ? undefined : true,
    );
  });

  it('a kick through either node reaches a client whose /player and /market share one connection on node B', async () => {
    for (const kicker of [a, b]) {
      const p = await registerPlayer(a);
      const [personal, market] = await connectMultiplexed(b.url, ['/player', '/market'], p.token);
      open.push(personal, market);
      await kicker.app.get(PlayerChannel).disconnect(p.playerId!, 'shared connection kick');
      expect((await personal.next('kicked')).data).toEqual({ reason: 'shared connection kick' });
      await personal.waitDisconnected();
      await market.waitDisconnected();
    }
  });

  it('an automation rule made on node A fires once on a trade through node B; A hears it', async () => {
    const market = await createStation(a, { markets: { luxury_goods: { capacity: 1000, stock: 500 } } });
    const owner = await registerPlayer(a);
    await setCargo(a, owner.playerId!, {}, 500);
    const ownerSocket = await connect(a, '/trading', owner.token);
    const { sell_price: price } = await marketRow(a, market.id, 'luxury_goods');
    const rules: string[] = [];
    for (const quantity of [2, 3, 4]) {
      const res = await a
        .http()
        .post('/api/v1/trading/automation-rules')
        .set(owner.auth)
        .send({
          station_id: market.id,
          commodity: 'luxury_goods',
          action: 'buy',
          quantity,
          max_unit_price: price - 1,
        })
        .expect(201);
      rules.push(res.body.data.rule_id);
    }
    // Another player's sale through node B brings the price under the limit; only B sees that change, and
    // both nodes also check the market at the same moment.
    const mover = await registerPlayer(b);
    await setCargo(b, mover.playerId!, { luxury_goods: 100 }, 500);
    await b
      .http()
      .post('/api/v1/trading/trades')
      .set(mover.auth)
      .set('Idempotency-Key', randomUUID())
      .send({
        station_id: market.id,
        commodity: 'luxury_goods',
        action: 'sell',
        quantity: 100,
        min_unit_price: 0,
      })
      .expect(201);
    const fireDue = (node: TestApp) => {
      const executor = node.app.get(AutomationExecutor) as unknown as {
        fireDue: (s: string, c: string) => Promise<boolean>;
      };
      return executor.fireDue(market.id, 'luxury_goods');
    };
    await Promise.all([fireDue(a), fireDue(b), fireDue(a), fireDue(b)]);
    for (const id of rules) {
      const rule = await eventually(async () => {
        const [r] = await a.db.query(`SELECT status, attempts FROM automation_rules WHERE id = $1`, [id]);
        return r.status === 'executed' ? r : undefined;
      });
      expect(rule.attempts).toBe(1); // claimed once: no node fired a rule another held
    }
    const keys = await a.db.query(
      `SELECT idempotency_key, count(*)::int AS n FROM market_transactions WHERE player_id = $1 GROUP BY 1`,
      [owner.playerId],
    );
    expect(keys.map((k: { idempotency_key: string }) => k.idempotency_key).sort()).toEqual(
      rules.map((id) => `automation:${id}`).sort(),
    );
    expect(keys.every((k: { n: number }) => k.n === 1)).toBe(true);
    // Whichever node fired them, the owner's socket on A hears each one's end.
    for (const id of rules) {
      await ownerSocket.next(
        'trading_signal',
        (e) =>
          (e.data as { rule?: { rule_id: string; status: string } }).rule?.rule_id === id &&
          (e.data as { rule: { status: string } }).rule.status === 'executed',
      );
    }
    expect(ownerSocket.badSignatures).toBe(0);
  });

  it('market_update: trades on one market through A and B in quick succession reach each subscriber at most once per window, ending on the database state, the version never going back', async () => {
    const market = await createStation(a, { markets: { luxury_goods: { capacity: 1000, stock: 500 } } });
    const subscribers = [await connect(a, '/market', admin.token), await connect(b, '/market', admin.token)];
    for (const s of subscribers)
      await s.request('market_subscribe', { commodities: ['luxury_goods'], station_ids: [market.id] });
    const traders = [await registerPlayer(a), await registerPlayer(b)];
    // Pairs of trades, one through each node at once: each node relays its own, the other's reach it by Redis.
    for (let round = 0; round < 8; round++) {
      await Promise.all(
        [a, b].map((node, i) =>
          node
            .http()
            .post('/api/v1/trading/trades')
            .set(traders[i]!.auth)
            .set('Idempotency-Key', randomUUID())
            .send({
              station_id: market.id,
              commodity: 'luxury_goods',
              action: 'buy',
              quantity: 1 + ((round + i) % 3),
              max_unit_price: 1000,
            })
            .expect(201),
        ),
      );
    }
    // Every change has been relayed and delivered once both nodes' coalescing windows (the relay's for what
    // it publishes, the hub's for what it delivers) have closed; then a marker published by each node comes
    // in behind everything that node sent (one Redis stream, in order).
    for (const node of [a, b]) {
      for (const coalescer of [node.app.get(MarketUpdatesRelay), node.app.get(RealtimeHub)]) {
        const { windows } = coalescer as unknown as { windows: Map<string, unknown> };
        await eventually(() => (windows.size === 0 ? true : undefined));
      }
      node.app
        .get(RealtimeHub)
        .publish('/market', { rooms: null, type: 'e2e_marker', data: { node: node.url } });
    }
    const row = await marketRow(a, market.id, 'luxury_goods');
    expect(row.version).toBe(16);
    for (const s of subscribers) {
      for (const node of [a, b])
        await s.next('e2e_marker', (e) => (e.data as { node: string }).node === node.url);
      const updates = s
        .of('market_update')
        .map((e) => e.data as { station_id: string; stock: number; version: number })
        .filter((u) => u.station_id === market.id);
      const versions = updates.map((u) => u.version);
      expect(versions).toEqual([...versions].sort((x, y) => x - y));
      expect(new Set(versions).size).toBe(versions.length); // each state once, whichever nodes sent it
      expect(updates.at(-1)).toMatchObject({
        stock: row.stock,
        buy_price: row.buy_price,
        sell_price: row.sell_price,
        version: row.version,
      });
      // Both nodes published the market's first change at once, and each its own later ones a window after:
      // what a subscriber's node hands it is still one per window (less the receipts' scheduling noise).
      const receipts = s.messages
        .filter(
          (m) =>
            m.event === 'market_update' &&
            (m.envelope.data as { station_id: string }).station_id === market.id,
        )
        .map((m) => m.at);
      expect(receipts.length).toBeGreaterThan(0);
      const gaps = receipts.slice(1).map((at, i) => at - receipts[i]!);
      for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(COALESCE_MS * 0.6);
      expect(s.badSignatures).toBe(0);
    }
  });

  it('market_halt: a halt and a resume through node A reach /market subscribers and admins on node B', async () => {
    const p = await registerPlayer(b);
    const onB = await connect(b, '/market', p.token);
    await onB.request('market_subscribe', { commodities: ['organics'] });
    const bystander = await connect(b, '/market', p.token);
    await bystander.request('market_subscribe', { commodities: ['fuel'] });
    const staffOnB = await connect(b, '/admin', admin.token);
    for (const [path, reason] of [
      ['halt', 'cluster halt'],
      ['resume', 'cluster resume'],
    ] as const) {
      const res = await a
        .http()
        .post(`/api/v1/admin/market/${path}`)
        .set(admin.auth)
        .send({ commodity: 'organics', reason })
        .expect(200);
      const expected = { scope: 'organics', halted: path === 'halt', reason, at: res.body.data.at };
      const match = (e: Envelope) => (e.data as { reason: string }).reason === reason;
      expect((await onB.next('market_halt', match)).data).toEqual(expected);
      expect((await staffOnB.next('market_halt', match)).data).toEqual({
        ...expected,
        actor_id: admin.userId,
      });
    }
    // Fuel's subscriber, not organics': B's delivery of each halt to onB would have reached it in the same pass.
    expect(bystander.of('market_halt')).toEqual([]);
    expect(onB.badSignatures + staffOnB.badSignatures).toBe(0);
  });

  it('counts presence across nodes: online while any node holds a socket, offline after the last', async () => {
    const p = await registerPlayer(a);
    await a.app.get(PresenceService).remove(p.playerId!);
    const onA = await connect(a, '/player', p.token);
    const onB = await connect(b, '/player', p.token);
    onA.close();
    await onB.request('heartbeat');
    await onB.request('heartbeat'); // the disconnect on A has been settled by now (it asked node B)
    expect(await b.app.get(PresenceService).isOnline(p.playerId!)).toBe(true);
    onB.close();
    const presence = a.app.get(PresenceService);
    await eventually(async () => ((await presence.isOnline(p.playerId!)) ? undefined : true), 5000);
  });

  it('its last sockets on the two nodes closing at once: one logout, not one per node', async () => {
    const watcher = await connect(a, '/admin', admin.token);
    await watcher.request('subscribe', { players: 'all', topics: ['logout'] });
    for (let round = 0; round < 3; round++) {
      const p = await registerPlayer(a);
      const onA = await connect(a, '/player', p.token);
      const onB = await connect(b, '/player', p.token);
      onA.close();
      onB.close();
      await eventually(async () =>
        (await a.app.get(PresenceService).isOnline(p.playerId!)) ? undefined : true,
      );
      const logouts = () =>
        watcher
          .of('player_update')
          .filter((e) => update(e).player_id === p.playerId && update(e).update_type === 'logout');
      await eventually(() => (logouts().length > 0 ? true : undefined));
      await watcher.request('heartbeat'); // a second logout, from the slower node, would be here by now
      await new Promise((r) => setTimeout(r, 300));
      expect(logouts()).toHaveLength(1);
    }
  });

  it('a node that shuts down drops its sockets recoverably and settles their presence before Redis closes', async () => {
    const leaving = await startTestApp({ REALTIME_METRICS_INTERVAL_MS: String(TICK_MS) }, shared);
    const p = await registerPlayer(a);
    await a.app.get(PresenceService).remove(p.playerId!); // online through the socket only
    const s = await connect(leaving, '/player', p.token);
    const presence = a.app.get(PresenceService);
    expect(await presence.isOnline(p.playerId!)).toBe(true);
    await leaving.close();
    // A transport close, not a server disconnect: the client reconnects (to another node) by itself...
    expect(await s.waitDisconnected()).toBe('transport close');
    // ...its session was stored for recovery while Redis was still up...
    const redis = a.app.get<Redis>(REDIS);
    const pid = (s.socket as unknown as { _pid?: string })._pid; // the private session id the client holds
    expect(pid).toEqual(expect.any(String));
    expect(await redis.exists(`${shared.redisPrefix}sio:session:${pid}`)).toBe(1);
    // ...and the player went offline at once, not on its 90 s socket TTL.
    expect(await presence.isOnline(p.playerId!)).toBe(false);
  });

  it('metrics_update arrives once per tick on every node, computed by one leader', async () => {
    const onA = await connect(a, '/admin', admin.token);
    const onB = await connect(b, '/admin', admin.token);
    const started = Date.now();
    await onA.next('metrics_update', (e) => (e.data as Tick).tick.sequence > 0);
    // Watch for about eight ticks.
    const windowMs = 8 * TICK_MS;
    await new Promise((r) => setTimeout(r, windowMs));
    const elapsed = Date.now() - started;
    const ticks = (s: TestSocket) => s.of('metrics_update').map((e) => (e.data as Tick).tick);
    for (const s of [onA, onB]) {
      const seen = ticks(s);
      const ids = seen.map((t) => `${t.node_id}:${t.sequence}`);
      expect(new Set(ids).size).toBe(ids.length); // no duplicates
      expect(new Set(seen.map((t) => t.node_id)).size).toBe(1); // one leader
      // Once per tick, not once per node: at most one per interval (plus one for phase).
      expect(seen.length).toBeLessThanOrEqual(Math.ceil(elapsed / TICK_MS) + 1);
      expect(seen.length).toBeGreaterThanOrEqual(Math.floor(windowMs / TICK_MS) - 2);
    }
    // Both nodes delivered the same ticks.
    const common = ticks(onA).filter((t) =>
      ticks(onB).some((u) => u.sequence === t.sequence && u.node_id === t.node_id),
    );
    expect(common.length).toBeGreaterThanOrEqual(Math.min(ticks(onA).length, ticks(onB).length) - 1);
  });

  // Last: the dead node stays in A's and B's adapter view (their cluster queries wait for it) until its Socket.IO
  // heartbeat times out, 10 s later.
  it('a node that dies without shutting down: its players stay online until the presence TTL, then drop', async () => {
    /*
     * How the node dies. A third node, C, runs in this process (a child `node dist/src/main.js` would need a
     * build, which CI does not run before the e2e tests); its Redis is reached through a relay. The crash, in
     * this order: the relay ends all of C's Redis connections on the Redis side (main client, the adapter's
     * stream and pub/sub clients, the cache's) and swallows whatever C sends from then on; then every TCP
     * connection C's HTTP server holds (REST and WebSocket) is destroyed. Nothing graceful runs: no app.close(),
     * so none of C's shutdown hooks (LeaderElection release, RedisLifecycle QUIT, the hub's cleanup, Socket.IO's
     * close disconnecting its sockets one by one, the adapter's CLOSE message to the cluster). C's code does see
     * its socket drop, and its presence tracker starts settling it (the cluster lookup, then ZREM), but only
     * after it has lost Redis: as for a dead process, nothing it does reaches shared state again, and its
     * players' presence entries stay in Redis until their TTL. The "still online right after the crash" check
     * below fails if any cleanup gets through (as it does when C is closed with c.close() instead).
     */
    relay = await tcpRelay(process.env.TEST_REDIS_URL!, 6379);
    doomed = await startTestApp(
      { ...env, REDIS_URL: relay.url, PRESENCE_SOCKET_TTL_SECONDS: String(PRESENCE_TTL_S) },
      shared,
    );
    const c = doomed;
    const link = relay;
    const connections = trackConnections(c);
    const crash = () => {
      link.blackhole();
      for (const s of connections) s.destroy();
    };

    const realtime = async () =>
      (await a.http().get('/api/v1/admin/players/analytics/real-time').set(admin.auth).expect(200)).body.data
        .players_online as number;
    const onlineOnA = async (playerId: string) =>
      (await a.http().get(`/api/v1/admin/players/${playerId}/detailed`).set(admin.auth).expect(200)).body.data
        .player.online as boolean;

    const p = await registerPlayer(a); // its login marks it online for 5 minutes...
    const onC = await connect(c, '/player', p.token); // ...which C's socket presence (5 s, renewed) replaces
    const connectedAt = Date.now();
    expect(await onlineOnA(p.playerId!)).toBe(true);

    // While C lives, it renews the entry: still online well past one TTL (a hold, checked every 200 ms).
    const presence = a.app.get(PresenceService);
    while (Date.now() - connectedAt < PRESENCE_TTL_S * 1000 + 1000) {
      expect(await presence.isOnline(p.playerId!)).toBe(true);
      await new Promise((r) => setTimeout(r, 200));
    }
    const onlineBefore = await realtime();
    expect(await onlineOnA(p.playerId!)).toBe(true);
    const watcherOnA = await connect(a, '/admin', admin.token);
    await watcherOnA.request('subscribe', { players: [p.playerId], topics: ['logout'] });

    crash();
    const crashedAt = Date.now();
    expect(await onC.waitDisconnected()).toBe('transport close'); // the client saw the connection die
    // C noticed its socket is gone (and ran its disconnect handling, which cannot reach Redis)...
    await eventually(() => (c.app.get(RealtimeHub).localCount('/player') === 0 ? true : undefined));
    // ...yet the player is still online: nothing removed the entry, it can only expire.
    expect(await onlineOnA(p.playerId!)).toBe(true);
    expect(await realtime()).toBe(onlineBefore);

    // It expires on its TTL: not before the last renewal's TTL (renewals every TTL/3), not much after it.
    await eventually(
      async () => ((await onlineOnA(p.playerId!)) ? undefined : true),
      PRESENCE_TTL_S * 1000 + 2000,
    );
    const droppedAfter = Date.now() - crashedAt;
    expect(droppedAfter).toBeGreaterThanOrEqual(PRESENCE_TTL_S * 1000 * (2 / 3) - 300);
    expect(droppedAfter).toBeLessThanOrEqual(PRESENCE_TTL_S * 1000 + 2000);

    // Every online count node A reports has dropped by that one player: REST, /admin initial_state, metrics.
    expect(await realtime()).toBe(onlineBefore - 1);
    const adminOnA = await connect(a, '/admin', admin.token);
    const initial = (await adminOnA.next('initial_state')).data as { online: { players_online: number } };
    expect(initial.online.players_online).toBe(onlineBefore - 1);
    const metrics = await adminOnA.next(
      'metrics_update',
      (e) => Date.parse((e.data as Tick).tick.at) > crashedAt + droppedAfter, // computed after the drop
    );
    expect((metrics.data as { players_online: number }).players_online).toBe(onlineBefore - 1);
    // And the admins heard it go, once, from whichever node leads the sweep.
    const logout = await watcherOnA.next('player_update', (e) => update(e).update_type === 'logout');
    expect(update(logout)).toMatchObject({ player_id: p.playerId, data: { source: 'expired' } });
    expect(watcherOnA.of('player_update').filter((e) => update(e).update_type === 'logout')).toHaveLength(1);
  });
});
