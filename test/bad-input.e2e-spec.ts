import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { startTestApp, TEST_JWT_SECRET, type TestApp } from './support/test-app.js';
import { expectErrorBody, loginAs, registerPlayer, type Session } from './support/factories.js';
import { addShip, insertPlayers } from './support/adminops-fixtures.js';
import { connectSocket, craftToken, refusedHandshake } from './support/socket-client.js';

// jest.config's per-project testTimeout is not applied (jest 30); app start-up needs more than 5 s on a busy machine.
jest.setTimeout(60_000);

/** `levels` nested arrays: a few KB of brackets, far below the body limit. */
const nested = (levels: number): unknown => {
  let v: unknown = 1;
  for (let i = 0; i < levels; i++) v = [v];
  return v;
};

/**
 * Input no DTO can describe (nesting thousands deep, NUL characters, lone surrogates, a URL the router cannot
 * take, a form post, a token whose claims are not the server's shape) and ids that differ only in case: each
 * is a 4xx with a stable code, on public routes too, and writes nothing.
 */
describe('bad input the DTOs cannot see', () => {
  let t: TestApp;
  let admin: Session;
  const auditRows = async () =>
    Number((await t.db.query('SELECT count(*)::int AS n FROM audit_log'))[0].n as number);
  const halts = async () => Number((await t.db.query('SELECT count(*)::int AS n FROM market_halts'))[0].n);

  beforeAll(async () => {
    t = await startTestApp();
    admin = await loginAs(t, 'admin');
  });
  afterAll(async () => {
    await t.close();
  });

  it('refuses a body nested thousands deep with 400 VALIDATION_FAILED, on public and admin routes', async () => {
    const login = await t
      .http()
      .post('/api/v1/auth/login')
      .send({ username: 'a', password: 'b', zz: nested(4000) })
      .expect(400);
    expectErrorBody(login.body, 'VALIDATION_FAILED');
    expect(login.body.fields.zz[0]).toMatch(/nested too deeply/);

    const before = { audit: await auditRows(), halts: await halts() };
    const halt = await t
      .http()
      .post('/api/v1/admin/market/halt')
      .set(admin.auth)
      .send({ reason: 'deep', commodity: 'ore', extra: nested(40) })
      .expect(400);
    expectErrorBody(halt.body, 'VALIDATION_FAILED');
    expect({ audit: await auditRows(), halts: await halts() }).toEqual(before);
  });

  it('refuses NUL characters and lone surrogates in text with 400 naming the field, and writes nothing', async () => {
    const login = await t
      .http()
      .post('/api/v1/auth/login')
      .send({ username: 'a\u0000b', password: 'x' })
      .expect(400);
    expectErrorBody(login.body, 'VALIDATION_FAILED');
    expect(login.body.fields).toEqual({ username: ['must not contain NUL characters'] });

    const name = `surrogate_${randomUUID().slice(0, 8)}`;
    const register = await t
      .http()
      .post('/api/v1/auth/register')
      .send({ username: name, email: 'a\ud800@example.com', password: 'PlayerPass123!' })
      .expect(400);
    expectErrorBody(register.body, 'VALIDATION_FAILED');
    expect(register.body.fields).toEqual({ email: ['must be well-formed Unicode'] });
    expect(await t.db.query('SELECT 1 FROM users WHERE username = $1', [name])).toHaveLength(0);

    const before = { audit: await auditRows(), halts: await halts() };
    const halt = await t
      .http()
      .post('/api/v1/admin/market/halt')
      .set(admin.auth)
      .send({ reason: 'ab\u0000cd', commodity: 'ore' })
      .expect(400);
    expect(halt.body.fields).toEqual({ reason: ['must not contain NUL characters'] });
    const search = await t
      .http()
      .get('/api/v1/admin/players/enhanced?search=a%00b')
      .set(admin.auth)
      .expect(400);
    expect(search.body.fields).toEqual({ search: ['must not contain NUL characters'] });
    expect({ audit: await auditRows(), halts: await halts() }).toEqual(before);
  });

  it('checks Socket.IO messages the same way: an error code in the ack, and the socket keeps working', async () => {
    const p = await registerPlayer(t);
    const socket = await connectSocket(t.url, '/market', p.token);
    try {
      const deep = await socket.request('market_subscribe', { commodities: ['ore'], zz: nested(3000) });
      expect(deep).toMatchObject({ success: false, error: { code: 'VALIDATION_FAILED' } });
      const nul = await socket.request('market_subscribe', { commodities: ['o\u0000re'] });
      expect(nul).toMatchObject({ success: false, error: { code: 'VALIDATION_FAILED' } });
      const ok = await socket.request('market_subscribe', { commodities: ['ore'] });
      expect(ok).toMatchObject({ success: true, data: { commodities: ['ore'] } });
    } finally {
      socket.close();
    }
  });

  it('answers URLs the router cannot take in the error body, without echoing them', async () => {
    const long = 'a'.repeat(150);
    const tooLong = await t.http().get(`/api/v1/market/stations/${long}`).set(admin.auth).expect(414);
    expectErrorBody(tooLong.body, 'URI_TOO_LONG');
    expect(JSON.stringify(tooLong.body)).not.toContain(long);

    const badUrl = await t.http().get('/api/v1/market/stations/%E0%A4%A').set(admin.auth).expect(400);
    expectErrorBody(badUrl.body, 'BAD_REQUEST');
    expect(JSON.stringify(badUrl.body)).not.toContain('%E0');
  });

  it('refuses query parameters on API routes that take none, as unknown body fields are; probes take any', async () => {
    const p = await registerPlayer(t);
    const me = await t.http().get('/api/v1/players/me?foo=1&bar=2').set(p.auth).expect(400);
    expectErrorBody(me.body, 'VALIDATION_FAILED');
    expect(me.body.fields).toEqual({
      foo: ['is not a parameter of this route'],
      bar: ['is not a parameter of this route'],
    });
    await t.http().get('/api/v1/players/me').set(p.auth).expect(200);
    // Routes with a query DTO keep their own rules: known parameters pass, unknown ones are named.
    await t.http().get('/api/v1/trading/trades?limit=5').set(p.auth).expect(200);
    expect((await t.http().get('/api/v1/trading/trades?foo=1').set(p.auth).expect(400)).body.error).toBe(
      'VALIDATION_FAILED',
    );
    await t.http().get('/health/live?_=123').expect(200);
    // Authentication still comes first.
    expectErrorBody((await t.http().get('/api/v1/players/me?foo=1').expect(401)).body, 'AUTH.UNAUTHORIZED');
  });

  it('refuses fields named like what every object inherits (toString, constructor, __proto__), as other unknown ones', async () => {
    const p = await registerPlayer(t);
    for (const name of ['toString', 'valueOf', 'hasOwnProperty', 'constructor', '__proto__']) {
      const query = await t.http().get(`/api/v1/trading/trades?${name}=1`).set(p.auth).expect(400);
      expectErrorBody(query.body, 'VALIDATION_FAILED');
      expect(query.body.fields).toEqual({ [name]: [`property ${name} should not exist`] });
      await t.http().get(`/api/v1/admin/players/enhanced?${name}=1`).set(admin.auth).expect(400);
    }
    // A body (Fastify refuses __proto__ in JSON itself), also nested, writes nothing.
    const [before] = await t.db.query('SELECT version, turns FROM players WHERE id = $1', [p.playerId]);
    const audits = await auditRows();
    for (const body of [
      { constructor: 'x', turns: 5 },
      { toString: 'x', turns: 5 },
      { valueOf: { a: 1 }, turns: 5 },
    ]) {
      const res = await t
        .http()
        .put(`/api/v1/admin/players/${p.playerId}/comprehensive`)
        .set(admin.auth)
        .send({ ...body, reason: 'inherited names', version: before.version })
        .expect(400);
      expectErrorBody(res.body, 'VALIDATION_FAILED');
      expect(Object.keys(res.body.fields)).toEqual([Object.keys(body)[0]]);
    }
    expect((await t.db.query('SELECT version, turns FROM players WHERE id = $1', [p.playerId]))[0]).toEqual(
      before,
    );
    expect(await auditRows()).toBe(audits);
    const nestedName = await t
      .http()
      .post(`/api/v1/admin/players/${p.playerId}/assets/transfer`)
      .set(admin.auth)
      .send({
        to_player_id: randomUUID(),
        reason: 'inherited names',
        cargo: { ship_id: randomUUID(), commodity: 'ore', quantity: 1, hasOwnProperty: 1 },
      })
      .expect(400);
    expect(nestedName.body.fields).toEqual({
      'cargo.hasOwnProperty': ['property cargo.hasOwnProperty should not exist'],
    });

    const socket = await connectSocket(t.url, '/market', p.token);
    try {
      for (const name of ['toString', 'constructor', '__proto__']) {
        const ack = await socket.request(
          'market_subscribe',
          JSON.parse(`{"${name}": "1", "commodities": ["ore"]}`),
        );
        expect(ack).toMatchObject({
          success: false,
          error: { code: 'VALIDATION_FAILED', fields: { [name]: expect.any(Array) } },
        });
      }
      expect(await socket.request('market_subscribe', { commodities: ['ore'] })).toMatchObject({
        success: true,
      });
    } finally {
      socket.close();
    }
  });

  it('takes JSON only: a form-encoded body is 415 UNSUPPORTED_MEDIA_TYPE and halts nothing', async () => {
    const before = await halts();
    const res = await t
      .http()
      .post('/api/v1/admin/market/halt')
      .set(admin.auth)
      .type('form')
      .send('reason=form%20post%20halt')
      .expect(415);
    expectErrorBody(res.body, 'UNSUPPORTED_MEDIA_TYPE');
    expect(await halts()).toBe(before);
  });

  it('refuses a validly signed token whose ids are not UUIDs (401 AUTH.TOKEN_INVALID, over REST and sockets)', async () => {
    const token = craftToken({ sub: 'not-a-uuid', role: 'player', pid: 'also-not' });
    expectErrorBody(
      (await t.http().get('/api/v1/players/me').set('Authorization', `Bearer ${token}`).expect(401)).body,
      'AUTH.TOKEN_INVALID',
    );
    const pidOnly = craftToken({ role: 'player', pid: 'x' });
    expectErrorBody(
      (await t.http().get('/api/v1/players/me').set('Authorization', `Bearer ${pidOnly}`).expect(401)).body,
      'AUTH.TOKEN_INVALID',
    );
    const refused = await refusedHandshake(t.url, '/trading', token);
    expect(refused.data?.code).toBe('AUTH.TOKEN_INVALID');
  });

  it('wants a real reason for an admin change: blank, punctuation-only or with control characters is a 400 (tabs and line breaks are fine), and it is stored trimmed', async () => {
    const before = { audit: await auditRows(), halts: await halts() };
    // Blank, punctuation only, or holding control characters (an escape sequence, the audit hash's separator).
    const refused = [
      '   ',
      '\t\n ',
      '\u00a0\u00a0\u00a0',
      '...',
      'market \u001b[2J panic',
      'a\u001fb\u001ec',
    ];
    for (const reason of refused) {
      const res = await t
        .http()
        .post('/api/v1/admin/market/halt')
        .set(admin.auth)
        .send({ commodity: 'ore', reason })
        .expect(400);
      expectErrorBody(res.body, 'VALIDATION_FAILED');
      expect(Object.keys(res.body.fields)).toEqual(['reason']);
    }
    expect({ audit: await auditRows(), halts: await halts() }).toEqual(before);

    await t
      .http()
      .post('/api/v1/admin/market/halt')
      .set(admin.auth)
      .send({ commodity: 'ore', reason: '  ore audit  ' })
      .expect(200);
    await t
      .http()
      .post('/api/v1/admin/market/resume')
      .set(admin.auth)
      .send({ commodity: 'ore', reason: 'ore audit over:\n\tall clear' })
      .expect(200);
    const [row] = await t.db.query(
      `SELECT reason FROM audit_log WHERE action = 'market.halt' ORDER BY id DESC LIMIT 1`,
    );
    expect(row.reason).toBe('ore audit');
  });

  it('refuses a token without an expiry over REST, as sockets do', async () => {
    const p = await registerPlayer(t);
    const me = await t.http().get('/api/v1/players/me').set(p.auth).expect(200);
    const forever = jwt.sign(
      { sub: p.userId, usr: p.username, role: 'player', pid: me.body.data.id },
      TEST_JWT_SECRET,
      { algorithm: 'HS256', issuer: 'sectorwars-gameserver', audience: 'sectorwars-clients' },
    );
    expectErrorBody(
      (await t.http().get('/api/v1/players/me').set('Authorization', `Bearer ${forever}`).expect(401)).body,
      'AUTH.TOKEN_INVALID',
    );
  });

  it('lets an allowed origin use every method of the API (CORS preflight)', async () => {
    const preflight = await t
      .http()
      .options('/api/v1/admin/players/x/comprehensive')
      .set('Origin', 'http://localhost:3000')
      .set('Access-Control-Request-Method', 'PUT')
      .expect(204);
    expect(preflight.headers['access-control-allow-methods']).toBe('GET, HEAD, POST, PUT, DELETE');
    expect(preflight.headers['access-control-allow-origin']).toBe('http://localhost:3000');
  });

  it('refuses the main namespace, which no gateway serves, with a code', async () => {
    const p = await registerPlayer(t);
    const refused = await refusedHandshake(t.url, '/', p.token);
    expect(refused.data?.code).toBe('WS.UNKNOWN_NAMESPACE');
    const anonymous = await refusedHandshake(t.url, '/', undefined);
    expect(anonymous.data?.code).toBe('WS.UNKNOWN_NAMESPACE');
  });

  it('treats an id in capitals as the same id: one emergency action per player, and path ids that work', async () => {
    const [a, b] = await insertPlayers(t, 2, { credits: 1000 });
    const res = await t
      .http()
      .post('/api/v1/admin/players/emergency/bulk')
      .set(admin.auth)
      .send({
        action: 'emergency_credits',
        amount: 5,
        player_ids: [a, a!.toUpperCase(), b],
        reason: 'one grant each',
      })
      .expect(200);
    expect(res.body.data).toMatchObject({ succeeded: 2, failed: 0 });
    const credits = await t.db.query('SELECT id, credits::text FROM players WHERE id = ANY($1) ORDER BY id', [
      [a, b],
    ]);
    expect(credits.map((r: { credits: string }) => r.credits)).toEqual(['1005', '1005']);

    // A path id in capitals names the same player as in lower case (it used to be a 404 here).
    await addShip(t, a!, { active: true });
    await addShip(t, b!, { active: true });
    const transfer = await t
      .http()
      .post(`/api/v1/admin/players/${a!.toUpperCase()}/assets/transfer`)
      .set(admin.auth)
      .send({ to_player_id: b, credits: 5, reason: 'case test transfer' })
      .expect(200);
    expect(transfer.body.data).toMatchObject({
      credits: { amount: 5, from_after: '1000', to_after: '1010' },
    });
    // So does an id in the body: the receiver in capitals is found, and the sender in capitals is itself.
    const back = await t
      .http()
      .post(`/api/v1/admin/players/${b}/assets/transfer`)
      .set(admin.auth)
      .send({ to_player_id: a!.toUpperCase(), credits: 5, reason: 'case test transfer back' })
      .expect(200);
    expect(back.body.data).toMatchObject({ credits: { amount: 5, from_after: '1005', to_after: '1005' } });
    const self = await t
      .http()
      .post(`/api/v1/admin/players/${a}/assets/transfer`)
      .set(admin.auth)
      .send({ to_player_id: a!.toUpperCase(), credits: 5, reason: 'to itself in capitals' })
      .expect(400);
    expectErrorBody(self.body, 'VALIDATION_FAILED');
    expect(self.body.fields).toEqual({ to_player_id: ['must differ from the source player'] });
  });

  it('never takes a bulk target that is not an object: an array is a 400, not every player', async () => {
    const [p] = await insertPlayers(t, 1);
    const count = async () =>
      Number((await t.db.query('SELECT count(*)::int AS n FROM admin_bulk_operations'))[0].n);
    const before = await count();
    for (const target of [[{ player_ids: [p] }], [], { filter: [] }, { player_ids: [p], filter: {} }]) {
      const res = await t
        .http()
        .post('/api/v1/admin/players/bulk-operations')
        .set(admin.auth)
        .send({ operation_type: 'adjust_turns', parameters: { amount: 1 }, target, reason: 'only one' });
      expect({ target, status: res.status }).toEqual({ target, status: 400 });
      expectErrorBody(res.body, 'VALIDATION_FAILED');
    }
    expect(await count()).toBe(before);
  });
});
