import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { EventBus } from '@nestjs/cqrs';
import { randomUUID } from 'node:crypto';
import { canonicalJson, sign, type Envelope } from '../src/infrastructure/websocket/envelope.js';
import { PresenceService } from '../src/infrastructure/presence/presence.service.js';
import { RealtimeHub } from '../src/infrastructure/websocket/realtime-hub.service.js';
import { PlayerChannel } from '../src/modules/realtime/player-channel.service.js';
import { TradeExecutedEvent } from '../src/modules/trading/events/trade-executed.event.js';
import { loginAs, registerPlayer, type Session } from './support/factories.js';
import { connectSocket, craftToken, refusedHandshake, type TestSocket } from './support/socket-client.js';
import { eventually, startTestApp, type TestApp } from './support/test-app.js';

// jest.config's per-project testTimeout is not applied (jest 30); app start-up needs more than 5 s on a busy machine.
jest.setTimeout(60_000);

type PlayerUpdate = { player_id: string; update_type: string; data: Record<string, unknown> };
const update = (e: Envelope) => e.data as PlayerUpdate;

describe('realtime (Socket.IO /admin and /player)', () => {
  let t: TestApp;
  let admin: Session;
  let moderator: Session;
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
  });
  afterEach(() => {
    while (open.length) open.pop()!.close();
  });
  afterAll(async () => {
    await t.close();
  });

  describe('handshake', () => {
    it('refuses a connection without a token, with a bad token, with an expired one', async () => {
      const none = await refusedHandshake(t.url, '/admin', undefined);
      expect(none.data?.code).toBe('AUTH.UNAUTHORIZED');
      const bad = await refusedHandshake(t.url, '/admin', 'not-a-jwt');
      expect(bad.data?.code).toBe('AUTH.TOKEN_INVALID');
      const forged = await refusedHandshake(
        t.url,
        '/admin',
        craftToken({ role: 'admin', pid: null }, { secret: 'another-secret-that-is-long-enough-000000' }),
      );
      expect(forged.data?.code).toBe('AUTH.TOKEN_INVALID');
      const wrongIssuer = await refusedHandshake(
        t.url,
        '/player',
        craftToken({ role: 'player' }, { issuer: 'someone-else' }),
      );
      expect(wrongIssuer.data?.code).toBe('AUTH.TOKEN_INVALID');
      const expired = await refusedHandshake(
        t.url,
        '/admin',
        craftToken({ role: 'admin', pid: null }, { expiresInSeconds: -10 }),
      );
      expect(expired.data?.code).toBe('AUTH.TOKEN_EXPIRED');
      expect(typeof expired.data?.detail).toBe('string');
    });

    it('refuses roles a namespace is not for: a player or an auditor on /admin, staff on /player', async () => {
      const player = await registerPlayer(t);
      expect((await refusedHandshake(t.url, '/admin', player.token)).data?.code).toBe('AUTH.FORBIDDEN');
      const auditor = await loginAs(t, 'auditor');
      expect((await refusedHandshake(t.url, '/admin', auditor.token)).data?.code).toBe('AUTH.FORBIDDEN');
      expect((await refusedHandshake(t.url, '/player', admin.token)).data?.code).toBe('AUTH.FORBIDDEN');
    });

    it('checks Origin on WebSocket upgrades and on polling', async () => {
      for (const transports of [['websocket'], ['polling']] as const) {
        const refused = await refusedHandshake(t.url, '/admin', admin.token, {
          transports: [...transports],
          origin: 'http://evil.example',
        });
        expect(refused.data).toBeUndefined(); // refused before Socket.IO: no handshake at all
        const ok = await connect('/admin', admin.token, {
          transports: [...transports],
          origin: 'http://localhost:3000',
        });
        expect(ok.socket.connected).toBe(true);
      }
    });

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
  });

  describe('envelope and signatures', () => {
    it('hands out a session key and signs every message verifiably', async () => {
      const s = await connect('/admin', admin.token);
      const established = await s.next('connection_established');
      expect(established).toMatchObject({ type: 'connection_established', session_id: expect.any(String) });
      const data = established.data as { session_id: string; session_key: string };
      expect(data.session_id).toBe(established.session_id);
      expect(Buffer.from(data.session_key, 'base64url')).toHaveLength(32);
      await s.next('initial_state');
      // Recompute one signature by hand, exactly as docs/realtime.md describes it.
      const initial = s.of('initial_state')[0]!;
      const key = Buffer.from(data.session_key, 'base64url');
      expect(initial.signature).toBe(sign(key, initial.type, initial.timestamp, canonicalJson(initial.data)));
      expect(initial.signature).toMatch(/^[0-9a-f]{64}$/);
      // A tampered payload does not verify.
      const tampered = { ...(initial.data as object), injected: true };
      expect(initial.signature).not.toBe(sign(key, initial.type, initial.timestamp, canonicalJson(tampered)));
      expect(s.badSignatures).toBe(0);
    });

    it('gives each session its own key', async () => {
      const a = await connect('/admin', admin.token);
      const b = await connect('/admin', admin.token);
      expect(a.sessionKey!.equals(b.sessionKey!)).toBe(false);
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

    it('answers heartbeat with heartbeat_ack (event and ack)', async () => {
      const s = await connect('/admin', admin.token);
      s.socket.emit('heartbeat');
      const ack = await s.next('heartbeat_ack');
      expect(ack.data).toEqual({ server_time: expect.any(String) });
      const viaAck = await s.request('heartbeat');
      expect(viaAck.type).toBe('heartbeat_ack');
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
      await s.request('subscribe', { players: [watched.playerId], topics: ['credits'] });
      await setPlayer(other.playerId!, { credits: 1 });
      await setPlayer(watched.playerId!, { turns: 7 }); // an 'assets' update: filtered out by topic
      await setPlayer(watched.playerId!, { credits: 2 });
      await s.next('player_update', (e) => update(e).player_id === watched.playerId);
      const updates = s.of('player_update').map(update);
      expect(updates).toEqual([
        expect.objectContaining({ player_id: watched.playerId, update_type: 'credits' }),
      ]);

      const unsub = await s.request('unsubscribe', { players: [watched.playerId] });
      expect(unsub.data).toMatchObject({ all: false, players: [] });
      await setPlayer(watched.playerId!, { credits: 3 });
      // A later message proves ordering: nothing for the unsubscribed player arrived before it.
      await s.request('heartbeat');
      expect(s.of('player_update')).toHaveLength(1);
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

  describe('bad messages and abuse', () => {
    it('answers an invalid body with an error event and an ack carrying the code, and stays up', async () => {
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

      s.socket.emit('subscribe', 'not an object');
      await s.next('error', (e) => (e.data as { detail: string }).detail.includes('JSON object'));
      s.socket.emit('subscribe', [1, 2, 3]);
      s.socket.emit('no_such_event', {});
      const unknown = await s.next('error', (e) => (e.data as { code: string }).code === 'WS.UNKNOWN_EVENT');
      expect(unknown.data).toMatchObject({ detail: expect.stringContaining('no_such_event') });
      expect((await s.request('heartbeat')).type).toBe('heartbeat_ack');
      expect(s.socket.connected).toBe(true);
    });

    it('refuses a player on /player any admin message', async () => {
      const p = await registerPlayer(t);
      const s = await connect('/player', p.token);
      const ack = await s.request('subscribe', { players: 'all' });
      expect(ack.data).toMatchObject({ code: 'WS.UNKNOWN_EVENT' });
    });

    it('rate-limits at 100 messages per second and disconnects a flood', async () => {
      const s = await connect('/admin', admin.token);
      for (let i = 0; i < 150; i++) s.socket.emit('heartbeat');
      const limited = await s.next('error', (e) => (e.data as { code: string }).code === 'RATE_LIMITED');
      expect(limited.data).toMatchObject({ retry_after_seconds: 1 });
      await eventually(() => (s.of('heartbeat_ack').length === 100 ? true : undefined));
      expect(s.socket.connected).toBe(true);

      for (let i = 0; i < 400; i++) s.socket.emit('heartbeat');
      await s.waitDisconnected();
      expect(s.of('error').map((e) => (e.data as { code: string }).code)).toContain('WS.ABUSE_DISCONNECT');
      expect(s.disconnectReason).toBe('io server disconnect');
    });
  });

  describe('lifecycle', () => {
    it('disconnects a socket when its token expires', async () => {
      const p = await registerPlayer(t);
      const token = craftToken(
        { sub: p.userId, usr: p.username, role: 'player', pid: p.playerId },
        { expiresInSeconds: 2 },
      );
      const s = await connect('/player', token);
      await s.waitDisconnected(6000);
      expect(s.of('error').map((e) => (e.data as { code: string }).code)).toEqual(['AUTH.TOKEN_EXPIRED']);
    });

    it('recovers a dropped connection: same session and subscriptions, a fresh initial state', async () => {
      const p = await registerPlayer(t);
      const s = await connect('/admin', admin.token, { reconnection: true });
      const established = await s.next('connection_established');
      await s.request('subscribe', { players: [p.playerId], topics: ['credits'] });
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

    it('cleans up rooms, subscriptions and timers on disconnect', async () => {
      const hub = t.app.get(RealtimeHub);
      // Earlier tests' sockets were closed in afterEach; wait until the server has settled them.
      const before = await eventually(() => (hub.stats().sockets === 0 ? hub.stats() : undefined));
      const p = await registerPlayer(t);
      const a = await connect('/admin', admin.token);
      await a.request('subscribe', { players: [p.playerId] });
      const ps = await connect('/player', p.token);
      expect(hub.stats().timers).toBe(before.timers + 2);
      const adminNsp = hub.namespace('/admin')!;
      const playerNsp = hub.namespace('/player')!;
      expect(adminNsp.adapter.rooms.get(`watch:player:${p.playerId}`)?.size).toBe(1);
      expect(playerNsp.adapter.rooms.get(`player:${p.playerId}`)?.size).toBe(1);
      a.close();
      ps.close();
      await eventually(() => (hub.stats().timers === before.timers ? true : undefined));
      expect(hub.stats().sockets).toBe(before.sockets);
      expect(adminNsp.adapter.rooms.has(`watch:player:${p.playerId}`)).toBe(false);
      expect(playerNsp.adapter.rooms.has(`player:${p.playerId}`)).toBe(false);
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

    it('kicks: kicked, then disconnected, on every socket of the player', async () => {
      const p = await registerPlayer(t);
      const a = await connect('/player', p.token);
      const b = await connect('/player', p.token);
      const count = await t.app.get(PlayerChannel).disconnect(p.playerId!, 'moderator kick');
      expect(count).toBe(2);
      for (const s of [a, b]) {
        const kicked = await s.next('kicked');
        expect(kicked.data).toEqual({ reason: 'moderator kick' });
        expect(await s.waitDisconnected()).toBe('io server disconnect');
      }
    });

    it('a ban sends account_status banned, then kicks', async () => {
      const p = await registerPlayer(t);
      const s = await connect('/player', p.token);
      await setPlayer(p.playerId!, { status: 'banned' });
      expect((await s.next('account_status')).data).toMatchObject({ status: 'banned', change: 'banned' });
      expect((await s.next('kicked')).data).toEqual({ reason: 'banned' });
      await s.waitDisconnected();
    });
  });
});
