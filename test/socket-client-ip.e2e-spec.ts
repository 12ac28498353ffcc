import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Socket } from 'socket.io';
import { RealtimeHub } from '../src/infrastructure/websocket/realtime-hub.service.js';
import { sessionOf } from '../src/infrastructure/websocket/ws-session.js';
import { registerPlayer, type Session } from './support/factories.js';
import { connectSocket, refusedHandshake, type TestSocket } from './support/socket-client.js';
import { startTestApp, type TestApp } from './support/test-app.js';

/**
 * The client address Socket.IO records (audit rows of refused handshakes and denied messages, the actor of socket
 * commands) follows TRUST_PROXY as HTTP's request.ip does. The test client connects from loopback: with
 * TRUST_PROXY=loopback it plays the proxy in front, which appends the client it saw (198.51.100.7) to whatever
 * the client itself sent (203.0.113.66, a forgery); without TRUST_PROXY it is a client forging the whole header.
 */
const FORGED = '203.0.113.66';
const CLIENT = '198.51.100.7';
const viaProxy = { 'X-Forwarded-For': `${FORGED}, ${CLIENT}` };

describe('the client address of Socket.IO connections', () => {
  const sockets: TestSocket[] = [];

  /** One app a block, started in its beforeAll (two embedded databases booting in one hook can outlast it). */
  const appFor = (env: Record<string, string>) => {
    const holder: { t?: TestApp } = {};
    beforeAll(async () => {
      holder.t = await startTestApp(env);
    });
    afterAll(async () => {
      for (const s of sockets.splice(0)) s.close();
      await holder.t?.close();
    });
    return () => holder.t!;
  };

  /** The client_ip of the player's denied `WS /admin connect` rows, oldest first. */
  const refusalIps = async (t: TestApp, player: Session) =>
    (
      await t.db.query(
        `SELECT client_ip FROM audit_log WHERE actor_id = $1 AND action = 'WS /admin connect' AND outcome = 'denied'
          ORDER BY id`,
        [player.userId],
      )
    ).map((r: { client_ip: string }) => r.client_ip);
  /** The client address the server keeps in the session of `player`'s socket on `namespace`. */
  const sessionIp = (t: TestApp, namespace: string, player: Session) => {
    const sockets = [...(t.app.get(RealtimeHub).namespace(namespace)?.sockets.values() ?? [])] as Socket[];
    return sockets.map((s) => sessionOf(s)).find((s) => s.user.userId === player.userId)?.clientIp;
  };

  describe('TRUST_PROXY unset', () => {
    const app = appFor({});

    it('without TRUST_PROXY, X-Forwarded-For is ignored: the audit row names the peer, whatever the client wrote', async () => {
      const player = await registerPlayer(app());
      for (const transports of [['websocket'], ['polling']] as const) {
        const refused = await refusedHandshake(app().url, '/admin', player.token, {
          transports: [...transports],
          headers: viaProxy,
        });
        expect(refused.data?.code).toBe('AUTH.FORBIDDEN');
      }
      expect(await refusalIps(app(), player)).toEqual(['127.0.0.1', '127.0.0.1']);
      sockets.push(await connectSocket(app().url, '/trading', player.token, { headers: viaProxy }));
      expect(sessionIp(app(), '/trading', player)).toBe('127.0.0.1');
    });
  });

  describe('TRUST_PROXY=loopback', () => {
    const app = appFor({ TRUST_PROXY: 'loopback' });

    it('behind a trusted proxy (TRUST_PROXY=loopback), the client the proxy saw, as for HTTP; a forged entry before it is not believed', async () => {
      const player = await registerPlayer(app());
      for (const transports of [['websocket'], ['polling']] as const) {
        await refusedHandshake(app().url, '/admin', player.token, {
          transports: [...transports],
          headers: viaProxy,
        });
      }
      // Straight from the proxy's own host, with no header: the peer is the client.
      await refusedHandshake(app().url, '/admin', player.token);
      expect(await refusalIps(app(), player)).toEqual([CLIENT, CLIENT, '127.0.0.1']);

      // The same request over HTTP is audited with the same address.
      await app().http().get('/api/v1/admin/players/enhanced').set(player.auth).set(viaProxy).expect(403);
      const [http] = await app().db.query(
        `SELECT client_ip FROM audit_log WHERE actor_id = $1 AND outcome = 'denied' AND action LIKE 'GET %'`,
        [player.userId],
      );
      expect(http.client_ip).toBe(CLIENT);

      // A connected socket's session (the actor of its commands and of its denied messages) carries it too.
      sockets.push(await connectSocket(app().url, '/trading', player.token, { headers: viaProxy }));
      expect(sessionIp(app(), '/trading', player)).toBe(CLIENT);
    });
  });
});
