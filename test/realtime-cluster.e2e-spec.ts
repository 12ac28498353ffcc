import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { EventBus } from '@nestjs/cqrs';
import { randomBytes, randomUUID } from 'node:crypto';
import type { Envelope } from '../src/infrastructure/websocket/envelope.js';
import { PresenceService } from '../src/infrastructure/presence/presence.service.js';
import { PlayerChannel } from '../src/modules/realtime/player-channel.service.js';
import { TradeExecutedEvent } from '../src/modules/trading/events/trade-executed.event.js';
import { loginAs, registerPlayer, type Session } from './support/factories.js';
import { connectSocket, type TestSocket } from './support/socket-client.js';
import { createTestDatabase, startTestApp, type TestApp, type TestDatabase } from './support/test-app.js';

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

(clustered ? describe : describe.skip)('realtime across two nodes (one Postgres, one Redis)', () => {
  let database: TestDatabase;
  let a: TestApp;
  let b: TestApp;
  let admin: Session;
  const open: TestSocket[] = [];

  const connect = async (node: TestApp, ns: string, token: string) => {
    const s = await connectSocket(node.url, ns, token);
    open.push(s);
    return s;
  };

  beforeAll(async () => {
    database = await createTestDatabase('cluster');
    const shared = { database, redisPrefix: `sw-e2e-${randomBytes(4).toString('hex')}:` };
    const env = { REALTIME_METRICS_INTERVAL_MS: String(TICK_MS) };
    a = await startTestApp(env, shared);
    b = await startTestApp(env, shared);
    admin = await loginAs(a, 'admin');
  });
  afterEach(() => {
    while (open.length) open.pop()!.close();
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
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

    b.app
      .get(EventBus)
      .publish(
        new TradeExecutedEvent(
          randomUUID(),
          p.playerId!,
          randomUUID(),
          'fuel',
          'sell',
          5,
          30,
          '150',
          '4392',
          new Date(),
        ),
      );
    const trade = await watcher.next('player_update', (e) => update(e).update_type === 'trade');
    expect(update(trade)).toMatchObject({
      player_id: p.playerId,
      data: { commodity: 'fuel', credits_after: '4392' },
    });
    expect(watcher.badSignatures).toBe(0);
  });

  it('a kick issued on node A disconnects the player socket on node B', async () => {
    const p = await registerPlayer(a);
    const onB = await connect(b, '/player', p.token);
    const count = await a.app.get(PlayerChannel).disconnect(p.playerId!, 'cluster kick');
    expect(count).toBe(1);
    expect((await onB.next('kicked')).data).toEqual({ reason: 'cluster kick' });
    expect(await onB.waitDisconnected()).toBe('io server disconnect');
    expect(onB.badSignatures).toBe(0);
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
    const deadline = Date.now() + 5000;
    while ((await presence.isOnline(p.playerId!)) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
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
});
