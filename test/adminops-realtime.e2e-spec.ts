import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { eventually, startTestApp, type TestApp } from './support/test-app.js';
import { loginAs, registerPlayer, type Session } from './support/factories.js';
import { buyOneLuxury, createStation, setCredits } from './support/market-factories.js';
import { connectSocket, type TestSocket } from './support/socket-client.js';

/** Admin operations reach the sockets: kicks disconnect everywhere, progress and changes reach /admin. */
describe('admin operations on the live feed', () => {
  let t: TestApp;
  let admin: Session;
  const sockets: TestSocket[] = [];
  const open = async (ns: string, token: string) => {
    const s = await connectSocket(t.url, ns, token);
    sockets.push(s);
    return s;
  };
  const payload = (e: { data: unknown }) => e.data as Record<string, unknown>;
  /** The admin adds turns to one player in bulk; resolves once `console` was told the operation completed. */
  const bulkAdjustTurns = async (playerId: string, console: TestSocket) => {
    const bulk = await t
      .http()
      .post('/api/v1/admin/players/bulk-operations')
      .set(admin.auth)
      .send({
        operation_type: 'adjust_turns',
        parameters: { amount: 5 },
        target: { player_ids: [playerId] },
        reason: 'event bonus',
      })
      .expect(202);
    const operationId = bulk.body.data.operation_id ?? bulk.body.data.id;
    const done = await console.next(
      'bulk_operation_progress',
      (e) => payload(e).operation_id === operationId && payload(e).status === 'completed',
      20_000,
    );
    return { operationId, done };
  };

  beforeAll(async () => {
    t = await startTestApp({
      MARKET_REGEN_SECONDS: '0',
      PRICE_SNAPSHOT_SECONDS: '0',
      TRADE_RATE_LIMIT: '1000',
    });
    admin = await loginAs(t, 'admin');
  });
  afterEach(() => {
    while (sockets.length) sockets.pop()!.close();
  });
  afterAll(async () => {
    await t.close();
  });

  it('a kick tells the player, disconnects its /player and /trading sockets, and reaches /admin', async () => {
    const p = await registerPlayer(t);
    const personal = await open('/player', p.token);
    const trading = await open('/trading', p.token);
    const console = await open('/admin', admin.token);
    await t
      .http()
      .post(`/api/v1/admin/players/${p.playerId}/emergency/kick`)
      .set(admin.auth)
      .send({ reason: 'griefing in Sol' })
      .expect((res) => expect(res.status).toBeLessThan(300));
    const kicked = await personal.next('kicked');
    expect(payload(kicked)).toMatchObject({ reason: 'griefing in Sol' });
    await personal.waitDisconnected();
    await trading.waitDisconnected();
    const action = await console.next('emergency_action', (e) => payload(e).player_id === p.playerId);
    expect(payload(action)).toMatchObject({ action: 'kick', reason: 'griefing in Sol' });
    // The kick also revoked the login.
    await t.http().post('/api/v1/auth/refresh').send({ refresh_token: p.refreshToken }).expect(401);
  });

  it('a transfer tells both players (assets_changed) and the admins (player_update assets)', async () => {
    const a = await registerPlayer(t);
    const b = await registerPlayer(t);
    const aSocket = await open('/player', a.token);
    const bSocket = await open('/player', b.token);
    const console = await open('/admin', admin.token);
    await console.request('subscribe', { players: 'all', topics: ['assets'] });
    await t
      .http()
      .post(`/api/v1/admin/players/${a.playerId}/assets/transfer`)
      .set(admin.auth)
      .send({ to_player_id: b.playerId, credits: 250, reason: 'refund split' })
      .expect(200);
    expect(await aSocket.next('assets_changed', (e) => payload(e).kind === 'transfer_out')).toBeDefined();
    expect(await bSocket.next('assets_changed', (e) => payload(e).kind === 'transfer_in')).toBeDefined();
    const update = await console.next('player_update', (e) => payload(e).player_id === b.playerId);
    expect(payload(update)).toMatchObject({ update_type: 'assets' });
    expect(aSocket.badSignatures + bSocket.badSignatures + console.badSignatures).toBe(0);
  });

  it('bulk progress and intervention changes reach /admin', async () => {
    const console = await open('/admin', admin.token);
    const p = await registerPlayer(t);
    const { done } = await bulkAdjustTurns(p.playerId!, console);
    expect(payload(done)).toMatchObject({ operation_type: 'adjust_turns', progress: 1 });

    const created = await t
      .http()
      .post('/api/v1/admin/interventions')
      .set(admin.auth)
      .send({
        reason: 'player report',
        player_id: p.playerId,
        priority: 'high',
        category: 'harassment',
        description: 'abuse in chat',
      })
      .expect(201);
    const change = await console.next(
      'intervention_update',
      (e) => payload(e).intervention_id === created.body.data.id,
    );
    expect(payload(change)).toMatchObject({ change: 'created', priority: 'high', automatic: false });
  });

  it('bulk progress reaches only the roles that may read bulk operations: an admin, not a moderator', async () => {
    const moderator = await loginAs(t, 'moderator');
    const modConsole = await open('/admin', moderator.token);
    const adminConsole = await open('/admin', admin.token);
    const p = await registerPlayer(t);
    const { operationId } = await bulkAdjustTurns(p.playerId!, adminConsole);
    // The moderator may not read it over REST either.
    await t
      .http()
      .get(`/api/v1/admin/players/bulk-operations/${operationId}/status`)
      .set(moderator.auth)
      .expect(403);
    // A message published after the operation finished reaches the moderator: anything about the operation
    // would have come before it.
    const created = await t
      .http()
      .post('/api/v1/admin/interventions')
      .set(moderator.auth)
      .send({ reason: 'report', player_id: p.playerId, category: 'fraud', description: 'odd trades' })
      .expect(201);
    await modConsole.next('intervention_update', (e) => payload(e).intervention_id === created.body.data.id);
    expect(modConsole.of('bulk_operation_progress')).toEqual([]);
    expect(modConsole.badSignatures + adminConsole.badSignatures).toBe(0);
  });

  it('a ban lifted back to frozen and an intervention handed back reach /admin as they now are', async () => {
    const console = await open('/admin', admin.token);
    await console.request('subscribe', { players: 'all', topics: ['status'] });
    const p = await registerPlayer(t);
    const emergency = (action: string, body: object) =>
      t
        .http()
        .post(`/api/v1/admin/players/${p.playerId}/emergency/${action}`)
        .set(admin.auth)
        .send(body)
        .expect(200);
    await emergency('freeze', { reason: 'under investigation' });
    await emergency('ban', { reason: 'chargebacks', duration_hours: 24 });
    await emergency('unban', { reason: 'appeal upheld' });
    const lifted = await console.next(
      'player_update',
      (e) => payload(e).player_id === p.playerId && (payload(e).data as { from: string }).from === 'banned',
    );
    expect(payload(lifted)).toMatchObject({
      update_type: 'status',
      data: { from: 'banned', to: 'frozen', reason: 'appeal upheld' },
    });

    const created = await t
      .http()
      .post('/api/v1/admin/interventions')
      .set(admin.auth)
      .send({
        reason: 'report',
        player_id: p.playerId,
        category: 'fraud',
        description: 'chargebacks',
        assigned_to: admin.userId,
      })
      .expect(201);
    await t
      .http()
      .put(`/api/v1/admin/interventions/${created.body.data.id}`)
      .set(admin.auth)
      .send({ reason: 'off shift', version: 1, status: 'open' })
      .expect(200);
    const back = await console.next(
      'intervention_update',
      (e) => payload(e).intervention_id === created.body.data.id && payload(e).change === 'updated',
    );
    expect(payload(back)).toMatchObject({ status: 'open', assigned_to: null, version: 2 });
  });

  it('repeated rejected trades raise an automatic intervention', async () => {
    const station = await createStation(t);
    const p = await registerPlayer(t);
    await setCredits(t, p.playerId!, 0);
    for (let i = 0; i < 12; i++) {
      await buyOneLuxury(t, p, station.id).expect(409);
    }
    const [row] = await eventually(async () => {
      const rows = await t.db.query(`SELECT cause, automatic FROM admin_interventions WHERE player_id = $1`, [
        p.playerId,
      ]);
      return rows.length ? rows : undefined;
    });
    expect(row.cause).toBe('repeated_rejected_trades');
  });
});
