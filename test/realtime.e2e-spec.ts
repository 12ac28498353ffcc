import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { EventBus } from '@nestjs/cqrs';
import { createHmac, randomUUID } from 'node:crypto';
import type { Envelope } from '../src/infrastructure/websocket/envelope.js';
import { PresenceService } from '../src/infrastructure/presence/presence.service.js';
import { RealtimeHub } from '../src/infrastructure/websocket/realtime-hub.service.js';
import { PlayerChannel } from '../src/modules/realtime/player-channel.service.js';
import { TradeExecutedEvent } from '../src/modules/trading/events/trade-executed.event.js';
import { loginAs, registerPlayer, type Session } from './support/factories.js';
import {
  connectMultiplexed,
  connectSocket,
  craftToken,
  refusedHandshake,
  type TestSocket,
} from './support/socket-client.js';
import { eventually, startTestApp, type TestApp } from './support/test-app.js';

// jest.config's per-project testTimeout is not applied (jest 30); app start-up needs more than 5 s on a busy machine.
jest.setTimeout(60_000);

type PlayerUpdate = { player_id: string; update_type: string; data: Record<string, unknown> };
const update = (e: Envelope) => e.data as PlayerUpdate;

/**
 * The namespaces and what the shared tests need of each: a role it admits, the roles it refuses, an event with
 * a validated body (and a bad body for it), and a subscription that joins a room (to check it is left).
 */
interface NamespaceCase {
  ns: string;
  admits: 'admin' | 'player';
  refuses: ('player' | 'auditor' | 'moderator' | 'admin')[];
  invalid?: { event: string; body: unknown };
  join?: { event: string; body: (playerId: string) => unknown; room: (playerId: string) => string };
}
const NAMESPACES: NamespaceCase[] = [
  {
    ns: '/admin',
    admits: 'admin',
    refuses: ['player', 'auditor'],
    invalid: { event: 'subscribe', body: { players: 'everyone' } },
    join: {
      event: 'subscribe',
      body: (id) => ({ players: [id] }),
      room: (id) => `watch:player:${id}`,
    },
  },
  { ns: '/player', admits: 'player', refuses: ['admin', 'moderator'] },
  {
    ns: '/market',
    admits: 'player',
    refuses: [],
    invalid: { event: 'market_subscribe', body: { commodities: ['spice'] } },
    join: { event: 'market_subscribe', body: () => ({ commodities: ['ore'] }), room: () => 'market:ore' },
  },
  {
    ns: '/trading',
    admits: 'player',
    refuses: ['admin', 'moderator'],
    invalid: { event: 'trading_command', body: { quantity: 0 } },
  },
  { ns: '/aria', admits: 'player', refuses: ['admin', 'moderator'] },
];
const code = (e: Envelope) => (e.data as { code: string }).code;

describe('realtime (Socket.IO: every namespace, /admin and /player)', () => {
  let t: TestApp;
  let admin: Session;
  let moderator: Session;
  let auditor: Session;
  let player: Session;
  const tokenOf = (role: NamespaceCase['refuses'][number]) =>
    ({ admin, moderator, auditor, player })[role].token;
  const open: TestSocket[] = [];

  const connect = async (ns: string, token: string, opts = {}) => {
    const s = await connectSocket(t.url, ns, token, opts);
    open.push(s);
    return s;
  };
  const setPlayer = async (playerId: string, changes: Record<string, unknown>) => {
    const [{ version }] = await t.db.query('SELECT version FROM players WHERE id = $1', [playerId]);
    await t
      .http()
      .put(`/api/v1/admin/players/${playerId}/comprehensive`)
      .set(admin.auth)
      .send({ reason: 'realtime e2e', version, ...changes })
      .expect(200);
  };

  beforeAll(async () => {
    t = await startTestApp({ REALTIME_METRICS_INTERVAL_MS: '300' });
    admin = await loginAs(t, 'admin');
    moderator = await loginAs(t, 'moderator');
    auditor = await loginAs(t, 'auditor');
    player = await registerPlayer(t);
  });
  afterEach(() => {
    while (open.length) open.pop()!.close();
  });
  afterAll(async () => {
    await t.close();
  });

  describe.each(NAMESPACES)('every namespace: $ns', (c) => {
    it('refuses no token, a bad, forged, foreign or expired token, and the roles it is not for', async () => {
      const none = await refusedHandshake(t.url, c.ns, undefined);
      expect(none.data?.code).toBe('AUTH.UNAUTHORIZED');
      expect((await refusedHandshake(t.url, c.ns, 'not-a-jwt')).data?.code).toBe('AUTH.TOKEN_INVALID');
      const claims = { role: c.admits, pid: c.admits === 'player' ? player.playerId : null };
      const forged = craftToken(claims, { secret: 'another-secret-that-is-long-enough-000000' });
      expect((await refusedHandshake(t.url, c.ns, forged)).data?.code).toBe('AUTH.TOKEN_INVALID');
      const foreign = craftToken(claims, { issuer: 'someone-else' });
      expect((await refusedHandshake(t.url, c.ns, foreign)).data?.code).toBe('AUTH.TOKEN_INVALID');
      const expired = await refusedHandshake(t.url, c.ns, craftToken(claims, { expiresInSeconds: -10 }));
      expect(expired.data).toEqual({ code: 'AUTH.TOKEN_EXPIRED', detail: expect.any(String) });
      for (const role of c.refuses) {
        const refused = await refusedHandshake(t.url, c.ns, tokenOf(role));
        expect(refused.data?.code).toBe('AUTH.FORBIDDEN');
      }
    });

    it('checks Origin on WebSocket upgrades and on polling', async () => {
      for (const transports of [['websocket'], ['polling']] as const) {
        const refused = await refusedHandshake(t.url, c.ns, tokenOf(c.admits), {
          transports: [...transports],
          origin: 'http://evil.example',
        });
        expect(refused.data).toBeUndefined(); // refused before Socket.IO: no handshake at all
        const ok = await connect(c.ns, tokenOf(c.admits), {
          transports: [...transports],
          origin: 'http://localhost:3000',
        });
        expect(ok.socket.connected).toBe(true);
      }
    });

    it('hands out a session key of its own and signs every message verifiably', async () => {
      const s = await connect(c.ns, tokenOf(c.admits));
      const established = await s.next('connection_established');
      const data = established.data as { session_id: string; session_key: string; namespace: string };
      expect(data).toMatchObject({ namespace: c.ns, session_id: established.session_id });
      expect(Buffer.from(data.session_key, 'base64url')).toHaveLength(32);
      // Recompute one signature as a client would from docs/realtime.md alone: HMAC-SHA256 under the session
      // key of `type + "\n" + timestamp + "\n" + canonical JSON (keys sorted, no whitespace)`, lowercase hex.
      const ack = await s.request('heartbeat');
      expect(Object.keys(ack).sort()).toEqual(['data', 'session_id', 'signature', 'timestamp', 'type']);
      const key = Buffer.from(data.session_key, 'base64url');
      const sorted = (v: unknown): unknown =>
        v !== null && typeof v === 'object' && !Array.isArray(v)
          ? Object.fromEntries(
              Object.keys(v)
                .sort()
                .map((k) => [k, sorted((v as Record<string, unknown>)[k])]),
            )
          : Array.isArray(v)
            ? v.map(sorted)
            : v;
      const bySpec = (e: Envelope, d: unknown = e.data) =>
        createHmac('sha256', key)
          .update(`${e.type}\n${e.timestamp}\n${JSON.stringify(sorted(d))}`, 'utf8')
          .digest('hex');
      expect(ack.signature).toMatch(/^[0-9a-f]{64}$/);
      expect(ack.signature).toBe(bySpec(ack));
      expect(established.signature).toBe(bySpec(established)); // nested objects: user, signature
      expect(ack.signature).not.toBe(bySpec(ack, { ...(ack.data as object), injected: true }));
      const other = await connect(c.ns, tokenOf(c.admits));
      expect(other.sessionKey!.equals(s.sessionKey!)).toBe(false);
      expect(s.badSignatures + other.badSignatures).toBe(0);
    });

    it('answers heartbeat with heartbeat_ack, as an event and as the ack', async () => {
      const s = await connect(c.ns, tokenOf(c.admits));
      s.socket.emit('heartbeat');
      expect((await s.next('heartbeat_ack')).data).toEqual({ server_time: expect.any(String) });
      expect((await s.request('heartbeat')).type).toBe('heartbeat_ack');
    });

    it('answers a bad message with an error event and ack carrying a code, and stays up', async () => {
      const s = await connect(c.ns, tokenOf(c.admits));
      const unknown = await s.request('no_such_event', {});
      expect(unknown).toMatchObject({ type: 'error', data: { code: 'WS.UNKNOWN_EVENT' } });
      const event = await s.next('error', (e) => code(e) === 'WS.UNKNOWN_EVENT');
      expect(event.data).toMatchObject({ detail: expect.stringContaining('no_such_event') });
      if (c.invalid) {
        const invalid = await s.request(c.invalid.event, c.invalid.body);
        expect(invalid).toMatchObject({ type: 'error', data: { code: 'VALIDATION_FAILED' } });
        s.socket.emit(c.invalid.event, 'not an object');
        await s.next('error', (e) => (e.data as { detail: string }).detail.includes('JSON object'));
      }
      expect((await s.request('heartbeat')).type).toBe('heartbeat_ack');
      expect(s.socket.connected).toBe(true);
      expect(s.badSignatures).toBe(0);
    });

    it('rate-limits at 100 messages per second and disconnects a flood', async () => {
      const s = await connect(c.ns, tokenOf(c.admits));
      for (let i = 0; i < 150; i++) s.socket.emit('heartbeat');
      const limited = await s.next('error', (e) => code(e) === 'RATE_LIMITED');
      expect(limited.data).toMatchObject({ retry_after_seconds: 1 });
      await eventually(() => (s.of('heartbeat_ack').length === 100 ? true : undefined));
      expect(s.socket.connected).toBe(true);

      for (let i = 0; i < 400; i++) s.socket.emit('heartbeat');
      await s.waitDisconnected();
      expect(s.of('error').map(code)).toContain('WS.ABUSE_DISCONNECT');
      expect(s.disconnectReason).toBe('io server disconnect');
    });

    it('cleans up its rooms, subscriptions and timers on disconnect', async () => {
      const hub = t.app.get(RealtimeHub);
      // Earlier tests' sockets were closed in afterEach; wait until the server has settled them.
      const before = await eventually(() => (hub.stats().sockets === 0 ? hub.stats() : undefined));
      const p = await registerPlayer(t);
      const s = await connect(c.ns, c.admits === 'player' ? p.token : admin.token);
      const nsp = hub.namespace(c.ns)!;
      const rooms = c.admits === 'player' ? [`player:${p.playerId}`] : [];
      if (c.join) {
        expect((await s.request(c.join.event, c.join.body(p.playerId!))).type).not.toBe('error');
        rooms.push(c.join.room(p.playerId!));
      }
      expect(hub.stats()).toEqual({ timers: before.timers + 1, sockets: 1 });
      for (const room of rooms) expect(nsp.adapter.rooms.get(room)?.size).toBe(1);
      s.close();
      await eventually(() => (hub.stats().sockets === 0 ? true : undefined));
      expect(hub.stats().timers).toBe(before.timers);
      for (const room of rooms) expect(nsp.adapter.rooms.has(room)).toBe(false);
    });
  });

  it('disconnects a socket when its token expires, on every namespace', async () => {
    const claims = { sub: player.userId, usr: player.username, role: 'player', pid: player.playerId };
    const sockets = await Promise.all(
      NAMESPACES.map((c) =>
        connect(
          c.ns,
          c.admits === 'player'
            ? craftToken(claims, { expiresInSeconds: 2 })
            : craftToken({ sub: admin.userId, role: 'admin', pid: null }, { expiresInSeconds: 2 }),
        ),
      ),
    );
    for (const s of sockets) {
      await s.waitDisconnected(6000);
      expect(s.of('error').map(code)).toEqual(['AUTH.TOKEN_EXPIRED']);
    }
  });

  it('counts the 100 messages per second per connection: namespaces multiplexed on one share them', async () => {
    const sockets = await connectMultiplexed(t.url, ['/player', '/market', '/trading'], player.token);
    open.push(...sockets);
    for (let i = 0; i < 50; i++) for (const s of sockets) s.socket.emit('heartbeat');
    await eventually(() =>
      sockets.some((s) => s.of('error').some((e) => code(e) === 'RATE_LIMITED')) ? true : undefined,
    );
    await new Promise((r) => setTimeout(r, 200));
    const acked = sockets.map((s) => s.of('heartbeat_ack').length);
    // 150 sent within the second on one connection: 100 answered in all, whichever namespace sent them.
    expect(acked.reduce((a, b) => a + b)).toBe(100);
    // A separate connection of the same player has its own 100.
    const other = await connect('/player', player.token);
    for (let i = 0; i < 20; i++) other.socket.emit('heartbeat');
    await eventually(() => (other.of('heartbeat_ack').length === 20 ? true : undefined));
  });

  describe('handshake', () => {
    it('admits a moderator on /admin and a player on /player', async () => {
      const s = await connect('/admin', moderator.token);
      expect(s.socket.connected).toBe(true);
      const p = await registerPlayer(t);
      const ps = await connect('/player', p.token);
      const established = await ps.next('connection_established');
      expect(established.data).toMatchObject({
        namespace: '/player',
        user: { id: p.userId, role: 'player', player_id: p.playerId },
      });
    });

    it('audits the refusal of a signed-in user the namespace is not for, and not a handshake without a valid token', async () => {
      const p = await registerPlayer(t);
      const staff = await loginAs(t, 'auditor');
      const denials = async (ns: string) =>
        t.db.query(
          `SELECT actor_id, actor_role, action, outcome, target_type, target_id, reason, request_id, client_ip
             FROM audit_log WHERE action = $1 AND actor_id = ANY($2) ORDER BY id`,
          [`WS ${ns} connect`, [p.userId, staff.userId]],
        );
      const connectRows = async () =>
        (await t.db.query(`SELECT count(*)::int AS n FROM audit_log WHERE action = 'WS /admin connect'`))[0]
          .n;
      const before = await connectRows();
      for (const token of [
        undefined,
        'not-a-jwt',
        craftToken({ role: 'admin', pid: null }, { expiresInSeconds: -10 }),
      ])
        await refusedHandshake(t.url, '/admin', token);
      expect(await connectRows()).toBe(before);

      const refused = await refusedHandshake(t.url, '/admin', p.token);
      expect(refused.data).toEqual({
        code: 'AUTH.FORBIDDEN',
        detail: 'Your role (player) may not connect to /admin: it needs players:view',
      });
      await refusedHandshake(t.url, '/admin', staff.token);
      await refusedHandshake(t.url, '/player', staff.token);
      const row = (actor: Session, role: string, ns: string, needs: string) => ({
        actor_id: actor.userId,
        actor_role: role,
        action: `WS ${ns} connect`,
        outcome: 'denied',
        target_type: 'namespace',
        target_id: ns,
        reason: `Your role (${role}) may not connect to ${ns}: it needs ${needs}`,
        request_id: expect.any(String),
        client_ip: expect.any(String),
      });
      expect(await denials('/admin')).toEqual([
        row(p, 'player', '/admin', 'players:view'),
        row(staff, 'auditor', '/admin', 'players:view'),
      ]);
      expect(await denials('/player')).toEqual([row(staff, 'auditor', '/player', 'a player account')]);
      // An auditor reads them like any denied attempt.
      const listed = await t
        .http()
        .get('/api/v1/audit/logs')
        .query({ actor: p.userId, outcome: 'denied' })
        .set(staff.auth)
        .expect(200);
      expect(listed.body.data.items).toEqual([
        expect.objectContaining(row(p, 'player', '/admin', 'players:view')),
      ]);
    });
  });

  describe('/admin feed', () => {
    it('sends the initial state: real-time metrics and online counts', async () => {
      const s = await connect('/admin', admin.token);
      const initial = await s.next('initial_state');
      expect(initial.data).toMatchObject({
        metrics: { total_players: expect.any(Number), players_online: expect.any(Number) },
        online: { players_online: expect.any(Number), this_node: { admin_sockets: expect.any(Number) } },
        subscriptions: { all: false, players: [], topics: null },
        recovered: false,
      });
    });

    it('pushes player_update for credits, status, assets, trade and login to subscribers of all', async () => {
      const s = await connect('/admin', admin.token);
      const ack = await s.request('subscribe', { players: 'all' });
      expect(ack).toMatchObject({ type: 'subscribed', data: { all: true, players: [], topics: null } });
      const p = await registerPlayer(t);
      const id = p.playerId!;
      const isFor = (type: string) => (e: Envelope) =>
        update(e).player_id === id && update(e).update_type === type;

      await setPlayer(id, { credits: 12345 });
      const credits = await s.next('player_update', isFor('credits'));
      expect(update(credits).data).toMatchObject({
        before: '10000',
        after: '12345',
        delta: '2345',
        source: 'admin_update',
      });

      await setPlayer(id, { status: 'frozen' });
      const status = await s.next('player_update', isFor('status'));
      expect(update(status).data).toMatchObject({ from: 'active', to: 'frozen', reason: 'realtime e2e' });
      await setPlayer(id, { status: 'active', turns: 5 });
      const assets = await s.next('player_update', isFor('assets'));
      expect(update(assets).data).toMatchObject({ changes: { turns: { before: 1000, after: 5 } } });

      t.app
        .get(EventBus)
        .publish(
          new TradeExecutedEvent(
            randomUUID(),
            id,
            randomUUID(),
            'ore',
            'buy',
            10,
            20,
            '200',
            '12145',
            new Date(),
          ),
        );
      const trade = await s.next('player_update', isFor('trade'));
      expect(update(trade).data).toMatchObject({
        commodity: 'ore',
        action: 'buy',
        quantity: 10,
        total: '200',
      });

      await t
        .http()
        .post('/api/v1/auth/login')
        .send({ username: p.username, password: p.password })
        .expect(200);
      const login = await s.next(
        'player_update',
        (e) => isFor('login')(e) && update(e).data.source === 'http',
      );
      expect(update(login).data).toMatchObject({ username: p.username });
      expect(s.badSignatures).toBe(0);
    });

    it('delivers only the subscribed players and topics, and stops after unsubscribe', async () => {
      const s = await connect('/admin', moderator.token);
      const watched = await registerPlayer(t);
      const other = await registerPlayer(t);
      // An id in capitals names the same player (the update carries it in lower case).
      const sub = await s.request('subscribe', {
        players: [watched.playerId!.toUpperCase()],
        topics: ['credits'],
      });
      expect(sub.data).toMatchObject({ all: false, players: [watched.playerId] });
      await setPlayer(other.playerId!, { credits: 1 });
      await setPlayer(watched.playerId!, { turns: 7 }); // an 'assets' update: filtered out by topic
      await setPlayer(watched.playerId!, { credits: 2 });
      await s.next('player_update', (e) => update(e).player_id === watched.playerId);
      const updates = s.of('player_update').map(update);
      expect(updates).toEqual([
        expect.objectContaining({ player_id: watched.playerId, update_type: 'credits' }),
      ]);

      const unsub = await s.request('unsubscribe', { players: [watched.playerId!.toUpperCase()] });
      expect(unsub.data).toMatchObject({ all: false, players: [] });
      await setPlayer(watched.playerId!, { credits: 3 });
      // A later message proves ordering: nothing for the unsubscribed player arrived before it.
      await s.request('heartbeat');
      expect(s.of('player_update')).toHaveLength(1);
    });

    it('counts and times its fan-out on /metrics', async () => {
      const sample = async (name: string) => {
        const text = (await t.http().get('/metrics').expect(200)).text;
        const line = new RegExp(`^${name}\\{namespace="/admin",type="player_update"\\} (\\S+)$`, 'm').exec(
          text,
        );
        return Number(line?.[1] ?? 0);
      };
      const delivered = await sample('realtime_messages_delivered_total');
      const timed = await sample('realtime_delivery_seconds_count');
      const watchers = [await connect('/admin', admin.token), await connect('/admin', moderator.token)];
      for (const s of watchers) await s.request('subscribe', { players: 'all' });
      const p = await registerPlayer(t);
      await setPlayer(p.playerId!, { credits: 4242 });
      for (const s of watchers) await s.next('player_update', (e) => update(e).player_id === p.playerId);
      // At least the credits update to both sockets; other suites' players may add more.
      expect((await sample('realtime_messages_delivered_total')) - delivered).toBeGreaterThanOrEqual(2);
      expect((await sample('realtime_delivery_seconds_count')) - timed).toBeGreaterThanOrEqual(1);
    });

    it('counts the sockets this node holds per namespace on /metrics, as they come and go', async () => {
      const held = async (namespace: string) => {
        const text = (await t.http().get('/metrics').expect(200)).text;
        const line = new RegExp(
          `^realtime_connected_sockets\\{namespace="${namespace}"\\} (\\S+)$`,
          'm',
        ).exec(text);
        return line ? Number(line[1]) : undefined;
      };
      const before = (await held('/admin')) ?? -1;
      expect(before).toBeGreaterThanOrEqual(0);
      const s = await connect('/admin', admin.token);
      expect(await held('/admin')).toBe(before + 1); // connected: the server holds it already
      s.close();
      await eventually(async () => ((await held('/admin')) === before ? true : undefined));
      expect(await held('/player')).toEqual(expect.any(Number));
    });

    it('receives metrics_update on every tick', async () => {
      const s = await connect('/admin', admin.token);
      await s.next('metrics_update');
      const m = s.of('metrics_update')[0]!;
      expect(m.data).toMatchObject({
        total_players: expect.any(Number),
        players_online: expect.any(Number),
        tick: { at: expect.any(String), sequence: expect.any(Number) },
      });
    });
  });

  describe('/admin messages', () => {
    it('names every bad field of a subscribe, in the ack and the error event', async () => {
      const s = await connect('/admin', admin.token);
      const ack = await s.request('subscribe', { players: 'everyone', topics: ['nope'], extra: 1 });
      expect(ack.type).toBe('error');
      expect(ack.data).toMatchObject({ code: 'VALIDATION_FAILED', detail: expect.any(String) });
      expect(Object.keys((ack.data as { fields: object }).fields).sort()).toEqual([
        'extra',
        'players',
        'topics',
      ]);
      const event = await s.next('error');
      expect(event.data).toMatchObject({ code: 'VALIDATION_FAILED' });
      expect(s.socket.connected).toBe(true);
    });

    it('refuses a player on /player any admin message', async () => {
      const p = await registerPlayer(t);
      const s = await connect('/player', p.token);
      const ack = await s.request('subscribe', { players: 'all' });
      expect(ack.data).toMatchObject({ code: 'WS.UNKNOWN_EVENT' });
    });
  });

  describe('lifecycle', () => {
    it('recovers a dropped connection: same session and subscriptions, a fresh initial state', async () => {
      const p = await registerPlayer(t);
      const s = await connect('/admin', admin.token, { reconnection: true });
      const established = await s.next('connection_established');
      await s.request('subscribe', { players: [p.playerId], topics: ['credits'] });
      // With the Redis adapter a client can recover only once it holds a stream offset: the checkpoint goes
      // through Redis and may arrive after the subscribe answer.
      if (t.config.redisUrl) await s.next('session_checkpoint');
      const before = s.messages.length;
      s.socket.io.engine.close(); // the transport drops; the client reconnects with its session id and offset
      await eventually(() =>
        s.messages.slice(before).some((m) => m.event === 'connection_recovered') ? true : undefined,
      );
      expect(s.socket.recovered).toBe(true);
      const recovered = await s.next('connection_recovered');
      expect(recovered.session_id).toBe(established.session_id);
      const fresh = await s.next('initial_state', (e) => (e.data as { recovered: boolean }).recovered);
      expect(fresh.data).toMatchObject({
        subscriptions: { all: false, players: [p.playerId], topics: ['credits'] },
      });
      await setPlayer(p.playerId!, { credits: 31 });
      const u = await s.next('player_update');
      expect(update(u)).toMatchObject({ player_id: p.playerId, data: { after: '31' } });
      expect(s.badSignatures).toBe(0); // the recovered session kept its key
    });

    (process.env.TEST_REDIS_URL ? it.skip : it)(
      'one node: what is published while a dropped socket is away reaches it when it recovers, signed for its session',
      async () => {
        const p = await registerPlayer(t);
        const s = await connect('/player', p.token);
        await setPlayer(p.playerId!, { turns: 11 }); // one buffered packet gives the client an offset
        await s.next('assets_changed');
        s.socket.io.engine.close(); // dropped (no reconnection yet): its session waits for recovery
        await eventually(() => (t.app.get(RealtimeHub).localCount('/player') === 0 ? true : undefined));
        await setPlayer(p.playerId!, { credits: 7777 });
        await setPlayer(p.playerId!, { status: 'frozen' });
        const before = s.messages.length;
        s.socket.connect(); // with its session id and offset
        await eventually(() =>
          s.messages.slice(before).some((m) => m.event === 'connection_recovered') ? true : undefined,
        );
        const missed = await s.next(
          'assets_changed',
          (e) => (e.data as { credits?: string }).credits === '7777',
        );
        expect(missed.data).toMatchObject({ kind: 'credits' });
        expect((await s.next('account_status')).data).toMatchObject({ status: 'frozen' });
        expect(s.socket.recovered).toBe(true);
        expect(s.badSignatures).toBe(0);
        await setPlayer(p.playerId!, { status: 'active' });
      },
    );

    it('a session recovered under another user’s token starts afresh: none of the first user’s rooms or messages', async () => {
      const a = await registerPlayer(t);
      const b = await registerPlayer(t);
      const first = await connect('/player', a.token);
      const established = await first.next('connection_established');
      if (t.config.redisUrl) await first.next('session_checkpoint');
      else await setPlayer(a.playerId!, { turns: 11 }); // one buffered packet gives the client an offset
      const { _pid: pid, _lastOffset: offset } = first.socket as unknown as {
        _pid: string;
        _lastOffset: string;
      };
      expect(pid).toEqual(expect.any(String));
      first.socket.io.engine.close(); // dropped (no reconnection): its session waits for recovery
      await eventually(() => (t.app.get(RealtimeHub).localCount('/player') === 0 ? true : undefined));

      // B presents A's private session id and offset with B's own token.
      const intruder = await connect('/player', b.token, { auth: { token: b.token, pid, offset } });
      const fresh = await intruder.next('connection_established');
      expect(fresh.session_id).not.toBe(established.session_id);
      expect(fresh.data).toMatchObject({ user: { player_id: b.playerId } });
      expect(intruder.of('connection_recovered')).toHaveLength(0);
      await setPlayer(a.playerId!, { credits: 4242 });
      await setPlayer(b.playerId!, { credits: 4343 });
      const own = await intruder.next(
        'assets_changed',
        (e) => (e.data as { kind: string }).kind === 'credits',
      );
      expect(own.data).toMatchObject({ credits: '4343' });
      expect(
        intruder.of('assets_changed').filter((e) => (e.data as { credits?: string }).credits === '4242'),
      ).toHaveLength(0);
      // Everything from connection_established on is B's own, signed with B's key. (What Socket.IO replays
      // from the one-node recovery buffer comes before it, before any middleware can run: see README.)
      const start = intruder.messages.findIndex((m) => m.event === 'connection_established');
      expect(intruder.badSignatures).toBe(start);
    });

    it('a client whose session cannot be restored gets a new session and a fresh initial state', async () => {
      // What a client sends after the server lost its session (a restart, the window passed): pid and offset.
      const s = await connect('/admin', admin.token, {
        auth: { token: admin.token, pid: randomUUID(), offset: 'gone' },
      });
      expect(s.socket.recovered).toBe(false);
      const established = await s.next('connection_established');
      expect(established.data).toMatchObject({
        session_id: expect.any(String),
        session_key: expect.any(String),
      });
      const initial = await s.next('initial_state');
      expect(initial.data).toMatchObject({ recovered: false, subscriptions: { all: false, players: [] } });
      expect(s.badSignatures).toBe(0);
    });
  });

  describe('/player channel and presence', () => {
    it('marks the player online on connect and offline when its last socket leaves, telling /admin', async () => {
      const presence = t.app.get(PresenceService);
      const watcher = await connect('/admin', admin.token);
      await watcher.request('subscribe', { players: 'all', topics: ['login', 'logout'] });
      const p = await registerPlayer(t);
      await presence.remove(p.playerId!); // registration logged in over HTTP; start from offline
      const first = await connect('/player', p.token);
      const second = await connect('/player', p.token);
      // Registration published an HTTP login first; the socket connect is a login of its own.
      const login = await watcher.next(
        'player_update',
        (e) =>
          update(e).player_id === p.playerId && (update(e).data as { source?: string }).source === 'socket',
      );
      expect(update(login)).toMatchObject({ update_type: 'login', data: { source: 'socket' } });
      expect(await presence.isOnline(p.playerId!)).toBe(true);
      first.close();
      await second.request('heartbeat');
      expect(await presence.isOnline(p.playerId!)).toBe(true);
      second.close();
      await watcher.next(
        'player_update',
        (e) => update(e).player_id === p.playerId && update(e).update_type === 'logout',
      );
      expect(await presence.isOnline(p.playerId!)).toBe(false);
      // Two sockets, one socket login (the second socket joins a player already online).
      const socketLogins = watcher
        .of('player_update')
        .filter(
          (e) =>
            update(e).update_type === 'login' && (update(e).data as { source?: string }).source === 'socket',
        );
      expect(socketLogins).toHaveLength(1);
    });

    it('tells /admin when a presence expires (a dead node, an idle login): logout {source: expired}', async () => {
      const presence = t.app.get(PresenceService);
      const watcher = await connect('/admin', admin.token);
      const p = await registerPlayer(t);
      await watcher.request('subscribe', { players: [p.playerId], topics: ['logout'] });
      await presence.touch(p.playerId!, 150); // nobody renews it
      const logout = await watcher.next('player_update', (e) => update(e).update_type === 'logout');
      expect(update(logout)).toMatchObject({ player_id: p.playerId, data: { source: 'expired' } });
      expect(await presence.isOnline(p.playerId!)).toBe(false);
      expect(await presence.onlineIds()).not.toContain(p.playerId);
      // Swept once: later ticks send no second logout.
      await watcher.next(
        'metrics_update',
        (e) => Date.parse(e.timestamp) > Date.parse(logout.timestamp) + 700,
      );
      expect(watcher.of('player_update').filter((e) => update(e).update_type === 'logout')).toHaveLength(1);
    });

    it('tells the player about freezes, unfreezes and asset changes, and nobody else', async () => {
      const p = await registerPlayer(t);
      const bystander = await registerPlayer(t);
      const s = await connect('/player', p.token);
      const other = await connect('/player', bystander.token);
      await setPlayer(p.playerId!, { status: 'frozen' });
      const frozen = await s.next('account_status');
      expect(frozen.data).toMatchObject({ status: 'frozen', previous: 'active', change: 'frozen' });
      await setPlayer(p.playerId!, { status: 'active' });
      await s.next('account_status', (e) => (e.data as { change: string }).change === 'unfrozen');
      await setPlayer(p.playerId!, { credits: 500, turns: 3, risk_score: 90 });
      const credits = await s.next('assets_changed', (e) => (e.data as { kind: string }).kind === 'credits');
      expect(credits.data).toMatchObject({ credits: '500', delta: '-9500' });
      const profile = await s.next('assets_changed', (e) => (e.data as { kind: string }).kind === 'profile');
      expect(profile.data).toEqual({ kind: 'profile', changes: { turns: 3 } }); // no risk_score for players
      await other.request('heartbeat');
      expect(other.of('account_status')).toHaveLength(0);
      expect(other.of('assets_changed')).toHaveLength(0);
      expect(s.badSignatures + other.badSignatures).toBe(0);
    });

    it('kicks: kicked, then disconnected, on every socket of the player, in every namespace', async () => {
      const p = await registerPlayer(t);
      const a = await connect('/player', p.token);
      const b = await connect('/player', p.token);
      const others = await Promise.all(['/market', '/trading', '/aria'].map((ns) => connect(ns, p.token)));
      const count = await t.app.get(PlayerChannel).disconnect(p.playerId!, 'moderator kick');
      expect(count).toBe(2);
      for (const s of [a, b]) {
        const kicked = await s.next('kicked');
        expect(kicked.data).toEqual({ reason: 'moderator kick' });
        expect(await s.waitDisconnected()).toBe('io server disconnect');
      }
      for (const s of others) expect(await s.waitDisconnected()).toBe('io server disconnect');
    });

    it('kicks and bans a client whose namespaces share one connection: /player hears why before it closes', async () => {
      const kickedOne = await registerPlayer(t);
      const [personal, market, trading] = await connectMultiplexed(
        t.url,
        ['/player', '/market', '/trading'],
        kickedOne.token,
      );
      await t.app.get(PlayerChannel).disconnect(kickedOne.playerId!, 'moderator kick');
      expect((await personal.next('kicked')).data).toEqual({ reason: 'moderator kick' });
      for (const s of [personal, market, trading]) await s.waitDisconnected();

      const banned = await registerPlayer(t);
      const [own] = await connectMultiplexed(t.url, ['/player', '/trading', '/aria'], banned.token);
      await setPlayer(banned.playerId!, { status: 'banned' });
      expect((await own.next('account_status')).data).toMatchObject({ status: 'banned', change: 'banned' });
      expect((await own.next('kicked')).data).toEqual({ reason: 'banned' });
      await own.waitDisconnected();
      expect(own.badSignatures).toBe(0);
    });

    it('a ban sends account_status banned, then kicks', async () => {
      const p = await registerPlayer(t);
      const s = await connect('/player', p.token);
      await setPlayer(p.playerId!, { status: 'banned' });
      expect((await s.next('account_status')).data).toMatchObject({ status: 'banned', change: 'banned' });
      expect((await s.next('kicked')).data).toEqual({ reason: 'banned' });
      await s.waitDisconnected();
      // Its access token is still valid; the handshake refuses it on every namespace until the ban is lifted.
      for (const ns of ['/player', '/market', '/trading', '/aria']) {
        expect((await refusedHandshake(t.url, ns, p.token)).data).toEqual({
          code: 'AUTH.PLAYER_BANNED',
          detail: 'This player is banned permanently',
        });
      }
      await setPlayer(p.playerId!, { status: 'active' });
      await connect('/player', p.token);
    });
  });

  describe('handshake rate limit', () => {
    const LIMIT = 4;
    let limited: TestApp;

    beforeAll(async () => {
      limited = await startTestApp({ WS_HANDSHAKE_RATE_LIMIT: String(LIMIT) });
    });
    afterAll(async () => {
      await limited.close();
    });

    it('refuses a user past WS_HANDSHAKE_RATE_LIMIT per minute with RATE_LIMITED; other users still connect', async () => {
      const p = await registerPlayer(limited);
      const other = await registerPlayer(limited);
      const sockets: TestSocket[] = [];
      try {
        // Namespaces count together: a reconnect loop over any of them spends the same allowance.
        for (let i = 0; i < LIMIT; i++) {
          const s = await connectSocket(limited.url, i % 2 ? '/market' : '/player', p.token);
          sockets.push(s);
          s.close();
        }
        const refused = await refusedHandshake(limited.url, '/trading', p.token);
        expect(refused.data).toMatchObject({ code: 'RATE_LIMITED', retry_after_seconds: expect.any(Number) });
        expect(refused.data!.detail).toMatch(/connection attempts/);
        sockets.push(await connectSocket(limited.url, '/trading', other.token));
      } finally {
        for (const s of sockets) s.close();
      }
    });

    it('counts refused handshakes too: a user looping on a refusal writes at most the limit of audit rows', async () => {
      const p = await registerPlayer(limited);
      for (let i = 0; i < LIMIT; i++)
        expect((await refusedHandshake(limited.url, '/admin', p.token)).data?.code).toBe('AUTH.FORBIDDEN');
      for (let i = 0; i < 3; i++)
        expect((await refusedHandshake(limited.url, '/admin', p.token)).data?.code).toBe('RATE_LIMITED');
      const [{ n }] = await limited.db.query(
        `SELECT count(*)::int AS n FROM audit_log WHERE actor_id = $1 AND action = 'WS /admin connect'`,
        [p.userId],
      );
      expect(n).toBe(LIMIT);
    });
  });

  // The in-memory adapter's buffer (one node, no Redis); the Redis adapter keeps sessions in Redis instead.
  (process.env.TEST_REDIS_URL ? describe.skip : describe)('the embedded recovery buffer', () => {
    let small: TestApp;
    let staff: Session;
    const sockets: TestSocket[] = [];
    const scrape = async (name: string) => {
      const text = (await small.http().get('/metrics').expect(200)).text;
      const line = new RegExp(`^${name}\\{namespace="/admin"\\} (\\S+)$`, 'm').exec(text);
      return Number(line?.[1] ?? 0);
    };

    beforeAll(async () => {
      small = await startTestApp({ WS_RECOVERY_BUFFER_PACKETS: '100' });
      staff = await loginAs(small, 'admin');
    });
    afterAll(async () => {
      for (const s of sockets) s.close();
      await small.close();
    });

    it('stays under WS_RECOVERY_BUFFER_PACKETS; a client whose packets were dropped starts afresh', async () => {
      const away = await connectSocket(small.url, '/admin', staff.token);
      const present = await connectSocket(small.url, '/admin', staff.token);
      sockets.push(away, present);
      const first = await away.next('connection_established');
      const hub = small.app.get(RealtimeHub);
      away.socket.io.engine.close(); // dropped, not closed: the server keeps its session for recovery
      await eventually(() => (hub.localCount('/admin') === 1 ? true : undefined));

      // 150 packets while it is away, each buffered for recovery: more than the ceiling.
      for (let i = 0; i < 150; i++) hub.publish('/admin', { rooms: null, type: 'burst', data: { i } });
      await eventually(() => (present.of('burst').length === 150 ? true : undefined));
      const buffered = await scrape('realtime_recovery_buffer_packets');
      expect(buffered).toBeGreaterThan(0);
      expect(buffered).toBeLessThanOrEqual(100);
      expect(await scrape('realtime_recovery_evicted_total')).toBeGreaterThan(0);

      const before = away.messages.length;
      away.socket.connect(); // with its old session id and offset, which the buffer no longer holds
      await eventually(() =>
        away.messages.slice(before).some((m) => m.event === 'initial_state') ? true : undefined,
      );
      const events = away.messages.slice(before).map((m) => m.event);
      expect(events).not.toContain('connection_recovered');
      expect(events).not.toContain('burst');
      const fresh = away.messages.slice(before).find((m) => m.event === 'connection_established')!;
      expect(fresh.envelope.session_id).not.toBe(first.session_id);
      expect(away.socket.recovered).toBe(false);
    });
  });
});
