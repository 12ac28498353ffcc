import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import jwt from 'jsonwebtoken';
import { startTestApp, TEST_JWT_SECRET, type TestApp } from './support/test-app.js';
import { expectErrorBody, loginAs, registerPlayer } from './support/factories.js';

describe('auth', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  describe('POST /auth/register', () => {
    it('creates a player with 10,000 credits, 1,000 turns and a ship, and logs it in', async () => {
      const s = await registerPlayer(t, 'first_pilot');
      const me = await t.http().get('/api/v1/players/me').set(s.auth).expect(200);
      expect(me.body.success).toBe(true);
      expect(me.body.data).toMatchObject({
        username: 'first_pilot',
        credits: '10000',
        turns: 1000,
        status: 'active',
      });
      expect(me.body.data).not.toHaveProperty('risk_score');
      const [user] = await t.db.query('SELECT password_hash, role FROM users WHERE id = $1', [s.userId]);
      expect(user.role).toBe('player');
      expect(user.password_hash).toMatch(/^\$argon2id\$/);
      const ships = await t.db.query('SELECT type, capacity FROM ships WHERE player_id = $1', [s.playerId]);
      expect(ships).toEqual([{ type: 'light_freighter', capacity: 500 }]);
    });

    it('rejects bad input with the error body and writes nothing', async () => {
      const before = await t.db.query('SELECT count(*)::int AS n FROM users');
      const res = await t
        .http()
        .post('/api/v1/auth/register')
        .send({ username: 'x', email: 'not-an-email', password: 'short', is_admin: true })
        .expect(400);
      expectErrorBody(res.body, 'VALIDATION_FAILED');
      expect(Object.keys(res.body.fields).sort()).toEqual(['email', 'is_admin', 'password', 'username']);
      const after = await t.db.query('SELECT count(*)::int AS n FROM users');
      expect(after[0].n).toBe(before[0].n);
    });

    it('refuses a taken username, whatever its case, with 409', async () => {
      await registerPlayer(t, 'Taken_Name');
      const res = await t
        .http()
        .post('/api/v1/auth/register')
        .send({ username: 'taken_name', email: 'other@example.test', password: 'long-enough-pw' })
        .expect(409);
      expectErrorBody(res.body, 'AUTH.USERNAME_TAKEN');
    });

    it('answers malformed JSON with a 400, not a 500', async () => {
      const res = await t
        .http()
        .post('/api/v1/auth/register')
        .set('content-type', 'application/json')
        .send('{"username": ')
        .expect(400);
      expectErrorBody(res.body, 'MALFORMED_JSON');
    });
  });

  describe('POST /auth/login', () => {
    it('returns tokens and the user with role and player id', async () => {
      const s = await registerPlayer(t);
      const res = await t
        .http()
        .post('/api/v1/auth/login')
        .send({ username: s.username, password: s.password })
        .expect(200);
      expect(res.body.data).toMatchObject({
        token_type: 'Bearer',
        expires_in: 900,
        user: { id: s.userId, username: s.username, role: 'player', player_id: s.playerId },
      });
      const claims = jwt.verify(res.body.data.access_token, TEST_JWT_SECRET, {
        algorithms: ['HS256'],
      }) as jwt.JwtPayload;
      expect(claims.sub).toBe(s.userId);
      expect(claims.exp! - claims.iat!).toBe(900);
      const [p] = await t.db.query('SELECT last_login FROM players WHERE id = $1', [s.playerId]);
      expect(p.last_login).not.toBeNull();
    });

    it('gives the same answer for an unknown user and a wrong password', async () => {
      const s = await registerPlayer(t);
      const wrong = await t
        .http()
        .post('/api/v1/auth/login')
        .send({ username: s.username, password: 'nope-nope-nope' })
        .expect(401);
      const unknown = await t
        .http()
        .post('/api/v1/auth/login')
        .send({ username: 'ghost_user', password: 'nope-nope-nope' })
        .expect(401);
      expectErrorBody(wrong.body, 'AUTH.INVALID_CREDENTIALS');
      expect(unknown.body.error).toBe(wrong.body.error);
      expect(unknown.body.detail).toBe(wrong.body.detail);
    });

    it('refuses a banned player', async () => {
      const s = await registerPlayer(t);
      await t.db.query(
        `UPDATE players SET status = 'banned', ban_until = now() + interval '1 day' WHERE id = $1`,
        [s.playerId],
      );
      const res = await t
        .http()
        .post('/api/v1/auth/login')
        .send({ username: s.username, password: s.password })
        .expect(403);
      expectErrorBody(res.body, 'AUTH.PLAYER_BANNED');
    });
  });

  describe('access tokens', () => {
    it('401s without a token, with a forged one, with alg none and with an expired one', async () => {
      const s = await registerPlayer(t);
      expectErrorBody((await t.http().get('/api/v1/players/me').expect(401)).body, 'AUTH.UNAUTHORIZED');

      const forged = jwt.sign(
        { sub: s.userId, role: 'superadmin', usr: 'x', pid: null },
        'another-secret-of-enough-length-000000',
        {
          algorithm: 'HS256',
          issuer: 'sectorwars-gameserver',
          audience: 'sectorwars-clients',
        },
      );
      const r1 = await t
        .http()
        .get('/api/v1/players/me')
        .set('Authorization', `Bearer ${forged}`)
        .expect(401);
      expectErrorBody(r1.body, 'AUTH.TOKEN_INVALID');

      const none = jwt.sign({ sub: s.userId, role: 'superadmin', usr: 'x', pid: null }, '', {
        algorithm: 'none',
        issuer: 'sectorwars-gameserver',
        audience: 'sectorwars-clients',
      });
      await t.http().get('/api/v1/admin/players/enhanced').set('Authorization', `Bearer ${none}`).expect(401);

      const expired = jwt.sign(
        { sub: s.userId, role: 'player', usr: s.username, pid: s.playerId },
        TEST_JWT_SECRET,
        {
          algorithm: 'HS256',
          issuer: 'sectorwars-gameserver',
          audience: 'sectorwars-clients',
          expiresIn: -10,
        },
      );
      const r2 = await t
        .http()
        .get('/api/v1/players/me')
        .set('Authorization', `Bearer ${expired}`)
        .expect(401);
      expectErrorBody(r2.body, 'AUTH.TOKEN_EXPIRED');
    });
  });

  describe('POST /auth/refresh', () => {
    it('rotates: the new refresh token works, the old one is spent', async () => {
      const s = await registerPlayer(t);
      const r1 = await t
        .http()
        .post('/api/v1/auth/refresh')
        .send({ refresh_token: s.refreshToken })
        .expect(200);
      const next = r1.body.data.refresh_token;
      expect(next).not.toBe(s.refreshToken);
      await t
        .http()
        .get('/api/v1/players/me')
        .set('Authorization', `Bearer ${r1.body.data.access_token}`)
        .expect(200);
      await t.http().post('/api/v1/auth/refresh').send({ refresh_token: next }).expect(200);
    });

    it('revokes the whole family when a spent token is replayed', async () => {
      const s = await registerPlayer(t);
      const r1 = await t
        .http()
        .post('/api/v1/auth/refresh')
        .send({ refresh_token: s.refreshToken })
        .expect(200);
      const replay = await t
        .http()
        .post('/api/v1/auth/refresh')
        .send({ refresh_token: s.refreshToken })
        .expect(401);
      expectErrorBody(replay.body, 'AUTH.REFRESH_REUSED');
      // The thief's replay also kills the token the legitimate client holds.
      const legit = await t
        .http()
        .post('/api/v1/auth/refresh')
        .send({ refresh_token: r1.body.data.refresh_token })
        .expect(401);
      expectErrorBody(legit.body, 'AUTH.REFRESH_REVOKED');
      // Another login of the same user is a different family and still works.
      const other = await t
        .http()
        .post('/api/v1/auth/login')
        .send({ username: s.username, password: s.password })
        .expect(200);
      await t
        .http()
        .post('/api/v1/auth/refresh')
        .send({ refresh_token: other.body.data.refresh_token })
        .expect(200);
    });

    it('rejects garbage and unknown tokens with 401 (and bad shape with 400)', async () => {
      await t.http().post('/api/v1/auth/refresh').send({ refresh_token: 'garbage' }).expect(401);
      await t
        .http()
        .post('/api/v1/auth/refresh')
        .send({ refresh_token: '00000000-0000-4000-8000-000000000000.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' })
        .expect(401);
      expectErrorBody(
        (await t.http().post('/api/v1/auth/refresh').send({}).expect(400)).body,
        'VALIDATION_FAILED',
      );
    });

    it('answers a token whose id is 36 characters but no UUID with 401, at refresh and at logout (not a 500)', async () => {
      const s = await registerPlayer(t);
      for (const id of ['-'.repeat(36), 'aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaa-', '0'.repeat(36)]) {
        const forged = `${id}.${'a'.repeat(43)}`;
        expectErrorBody(
          (await t.http().post('/api/v1/auth/refresh').send({ refresh_token: forged }).expect(401)).body,
          'AUTH.REFRESH_INVALID',
        );
        expectErrorBody(
          (await t.http().post('/api/v1/auth/logout').set(s.auth).send({ refresh_token: forged }).expect(401))
            .body,
          'AUTH.REFRESH_INVALID',
        );
      }
    });
  });

  describe('POST /auth/logout', () => {
    it('revokes the login so its refresh token no longer works', async () => {
      const s = await registerPlayer(t);
      await t
        .http()
        .post('/api/v1/auth/logout')
        .set(s.auth)
        .send({ refresh_token: s.refreshToken })
        .expect(200);
      const res = await t
        .http()
        .post('/api/v1/auth/refresh')
        .send({ refresh_token: s.refreshToken })
        .expect(401);
      expectErrorBody(res.body, 'AUTH.REFRESH_REVOKED');
    });

    it("needs an access token, and cannot revoke another user's login", async () => {
      const a = await registerPlayer(t);
      const b = await registerPlayer(t);
      await t.http().post('/api/v1/auth/logout').send({ refresh_token: a.refreshToken }).expect(401);
      await t
        .http()
        .post('/api/v1/auth/logout')
        .set(b.auth)
        .send({ refresh_token: a.refreshToken })
        .expect(401);
      await t.http().post('/api/v1/auth/refresh').send({ refresh_token: a.refreshToken }).expect(200);
    });
  });

  describe('players/:id object-level access', () => {
    it('lets a player read itself and nobody else; staff with players:view may read any', async () => {
      const a = await registerPlayer(t);
      const b = await registerPlayer(t);
      await t.http().get(`/api/v1/players/${a.playerId}`).set(a.auth).expect(200);
      expectErrorBody(
        (await t.http().get(`/api/v1/players/${b.playerId}`).set(a.auth).expect(404)).body,
        'PLAYERS.NOT_FOUND',
      );
      const mod = await loginAs(t, 'moderator');
      await t.http().get(`/api/v1/players/${b.playerId}`).set(mod.auth).expect(200);
      await t.http().get('/api/v1/players/not-a-uuid').set(a.auth).expect(400);
    });
  });

  it('rate-limits logins per client', async () => {
    const limited = await startTestApp({ AUTH_THROTTLE_LIMIT: '3' });
    try {
      for (let i = 0; i < 3; i++) {
        await limited
          .http()
          .post('/api/v1/auth/login')
          .send({ username: 'nobody_here', password: 'x' })
          .expect(401);
      }
      const res = await limited
        .http()
        .post('/api/v1/auth/login')
        .send({ username: 'nobody_here', password: 'x' })
        .expect(429);
      expectErrorBody(res.body, 'RATE_LIMITED');
    } finally {
      await limited.close();
    }
  });

  it('behind a trusted proxy, takes the address the proxy saw: a forged X-Forwarded-For entry neither escapes the login limit nor lands in the audit', async () => {
    // The test client connects from loopback: it plays the proxy, which appends the client it saw (198.51.100.7)
    // to whatever the client sent.
    const proxied = await startTestApp({ AUTH_THROTTLE_LIMIT: '3', TRUST_PROXY: '127.0.0.1' });
    try {
      const viaProxy = (forged: string) => ({ 'X-Forwarded-For': `${forged}, 198.51.100.7` });
      // Registering counts against the same limit (3): with it, two failed logins use the allowance up.
      const player = await registerPlayer(proxied, undefined, viaProxy('203.0.113.200'));
      for (let i = 0; i < 2; i++) {
        await proxied
          .http()
          .post('/api/v1/auth/login')
          .set(viaProxy(`203.0.113.${i}`))
          .send({ username: 'nobody_here', password: 'x' })
          .expect(401);
      }
      await proxied
        .http()
        .post('/api/v1/auth/login')
        .set(viaProxy('203.0.113.99'))
        .send({ username: 'nobody_here', password: 'x' })
        .expect(429);

      await proxied
        .http()
        .get('/api/v1/admin/players/enhanced')
        .set(player.auth)
        .set(viaProxy('203.0.113.201'))
        .expect(403);
      const [row] = await proxied.db.query(
        `SELECT client_ip FROM audit_log WHERE actor_id = $1 AND outcome = 'denied'`,
        [player.userId],
      );
      expect(row.client_ip).toBe('198.51.100.7');
    } finally {
      await proxied.close();
    }
  });

  it('counts refused requests against the caller’s limit: denied attempts (each audited) are not free', async () => {
    const limited = await startTestApp({ THROTTLE_LIMIT: '5' });
    try {
      const p = await registerPlayer(limited);
      const audited = async () =>
        Number(
          (await limited.db.query(`SELECT count(*)::int AS n FROM audit_log WHERE outcome = 'denied'`))[0].n,
        );
      for (let i = 0; i < 5; i++) {
        await limited.http().get('/api/v1/admin/market/halts').set(p.auth).expect(403);
      }
      expect(await audited()).toBe(5);
      const res = await limited.http().get('/api/v1/admin/market/halts').set(p.auth).expect(429);
      expectErrorBody(res.body, 'RATE_LIMITED');
      expect(await audited()).toBe(5);
    } finally {
      await limited.close();
    }
  });
});
