import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { EventBus } from '@nestjs/cqrs';
import { BanExpiryService } from '../src/modules/emergency/ban-expiry.service.js';
import { PlayerKickedEvent } from '../src/modules/emergency/events/player-kicked.event.js';
import { PlayerStatusChangedEvent } from '../src/modules/players/events/player-status-changed.event.js';
import { startTestApp, type TestApp } from './support/test-app.js';
import { createSector, expectErrorBody, loginAs, registerPlayer, type Session } from './support/factories.js';
import { addShip, count, insertPlayers, playerRow } from './support/adminops-fixtures.js';

jest.setTimeout(120_000);

const base = (id: string) => `/api/v1/admin/players/${id}/emergency`;

describe('emergency actions', () => {
  let t: TestApp;
  let admin: Session;
  let mod: Session;
  let auditor: Session;
  const published: object[] = [];

  beforeAll(async () => {
    // The sweep runs only when a test calls it, so a ban that ran out stays unswept as long as a test needs.
    t = await startTestApp({ BAN_SWEEP_SECONDS: '3600' });
    admin = await loginAs(t, 'admin');
    mod = await loginAs(t, 'moderator');
    auditor = await loginAs(t, 'auditor');
    t.app.get(EventBus).subscribe((e: object) => published.push(e));
  });
  afterAll(async () => {
    await t.close();
  });

  it('freeze and unfreeze: moderator may, status changes, row and audit recorded, event published', async () => {
    const [id] = await insertPlayers(t, 1);
    const res = await t
      .http()
      .post(`${base(id!)}/freeze`)
      .set(mod.auth)
      .send({ reason: 'suspicious trades' })
      .expect(200);
    expect(res.body.data).toMatchObject({ player_id: id, action: 'freeze', result_status: 'success' });
    expect((await playerRow(t, id!)).status).toBe('frozen');
    const [rec] = await t.db.query(
      'SELECT result_status, result_details, admin_id FROM admin_emergency_actions WHERE id = $1',
      [res.body.data.action_id],
    );
    expect(rec).toMatchObject({
      result_status: 'success',
      admin_id: mod.userId,
      result_details: { from: 'active', to: 'frozen' },
    });
    expect(await count(t, 'audit_log', "action = 'emergency.freeze' AND target_id = $1", [id])).toBe(1);
    expect(
      published.some((e) => e instanceof PlayerStatusChangedEvent && e.playerId === id && e.to === 'frozen'),
    ).toBe(true);

    // Illegal transition: freezing a frozen player -> 409, nothing written.
    const before = await count(t, 'admin_emergency_actions', 'player_id = $1', [id]);
    expectErrorBody(
      (
        await t
          .http()
          .post(`${base(id!)}/freeze`)
          .set(mod.auth)
          .send({ reason: 'again' })
          .expect(409)
      ).body,
      'EMERGENCY.ILLEGAL_TRANSITION',
    );
    expect(await count(t, 'admin_emergency_actions', 'player_id = $1', [id])).toBe(before);

    await t
      .http()
      .post(`${base(id!)}/unfreeze`)
      .set(mod.auth)
      .send({ reason: 'cleared' })
      .expect(200);
    expect((await playerRow(t, id!)).status).toBe('active');
    expectErrorBody(
      (
        await t
          .http()
          .post(`${base(id!)}/unfreeze`)
          .set(mod.auth)
          .send({ reason: 'cleared' })
          .expect(409)
      ).body,
      'EMERGENCY.ILLEGAL_TRANSITION',
    );
  });

  it('ban revokes refresh tokens, publishes a kick, blocks login; unban lifts it', async () => {
    const p = await registerPlayer(t);
    const res = await t
      .http()
      .post(`${base(p.playerId!)}/ban`)
      .set(admin.auth)
      .send({ reason: 'botting', duration_hours: 24 })
      .expect(200);
    expect(res.body.data.result_details).toMatchObject({ refresh_tokens_revoked: 1, permanent: false });
    const row = await playerRow(t, p.playerId!);
    expect(row.status).toBe('banned');
    expect(row.ban_until!.getTime()).toBeGreaterThan(Date.now() + 23 * 3600_000);
    expectErrorBody(
      (await t.http().post('/api/v1/auth/refresh').send({ refresh_token: p.refreshToken }).expect(401)).body,
      'AUTH.REFRESH_REVOKED',
    );
    expect(published.some((e) => e instanceof PlayerKickedEvent && e.playerId === p.playerId)).toBe(true);
    await t
      .http()
      .post('/api/v1/auth/login')
      .send({ username: p.username, password: p.password })
      .expect(403);

    expectErrorBody(
      (
        await t
          .http()
          .post(`${base(p.playerId!)}/ban`)
          .set(admin.auth)
          .send({ reason: 'x again', permanent: true })
          .expect(409)
      ).body,
      'EMERGENCY.ILLEGAL_TRANSITION',
    );
    await t
      .http()
      .post(`${base(p.playerId!)}/unban`)
      .set(admin.auth)
      .send({ reason: 'appeal upheld' })
      .expect(200);
    const after = await playerRow(t, p.playerId!);
    expect(after.status).toBe('active');
    expect(after.ban_until).toBeNull();
  });

  it('a permanent ban has no end; bad ban bodies are 400 with nothing written', async () => {
    const [id] = await insertPlayers(t, 1);
    for (const body of [
      { reason: 'no duration' },
      { reason: 'both', duration_hours: 2, permanent: true },
      { reason: 'zero', duration_hours: 0 },
      { duration_hours: 2 },
      { reason: 'extra', duration_hours: 2, amount: 5 },
    ]) {
      expectErrorBody(
        (
          await t
            .http()
            .post(`${base(id!)}/ban`)
            .set(admin.auth)
            .send(body)
            .expect(400)
        ).body,
        'VALIDATION_FAILED',
      );
    }
    expect(await count(t, 'admin_emergency_actions', 'player_id = $1', [id])).toBe(0);
    expect((await playerRow(t, id!)).status).toBe('active');
    await t
      .http()
      .post(`${base(id!)}/ban`)
      .set(admin.auth)
      .send({ reason: 'forever', permanent: true })
      .expect(200);
    expect((await playerRow(t, id!)).ban_until).toBeNull();
  });

  it('an expired ban lifts itself (sweep) and publishes the status change', async () => {
    const [id] = await insertPlayers(t, 1);
    await t.db.query(
      `UPDATE players SET status = 'banned', ban_until = now() - interval '1 minute', ban_reason = 'x' WHERE id = $1`,
      [id],
    );
    const lifted = await t.app.get(BanExpiryService).sweep();
    expect(lifted).toBeGreaterThanOrEqual(1);
    expect((await playerRow(t, id!)).status).toBe('active');
    const [rec] = await t.db.query(
      `SELECT action_type, admin_id, reason FROM admin_emergency_actions WHERE player_id = $1`,
      [id],
    );
    expect(rec).toEqual({ action_type: 'unban', admin_id: null, reason: 'ban expired' });
    expect(
      published.some(
        (e) => e instanceof PlayerStatusChangedEvent && e.playerId === id && e.from === 'banned',
      ),
    ).toBe(true);
  });

  it('a ban that ran out but is not swept yet neither blocks a new ban or a freeze nor undoes them', async () => {
    const [rebanned, frozen] = await insertPlayers(t, 2);
    await t.db.query(
      `UPDATE players SET status = 'banned', ban_until = now() - interval '1 minute', ban_reason = 'first'
       WHERE id = ANY($1)`,
      [[rebanned, frozen]],
    );
    const ban = await t
      .http()
      .post(`${base(rebanned!)}/ban`)
      .set(admin.auth)
      .send({ reason: 'reoffended', permanent: true })
      .expect(200);
    expect(ban.body.data.result_details).toMatchObject({ from: 'active', to: 'banned', permanent: true });
    await t
      .http()
      .post(`${base(frozen!)}/freeze`)
      .set(mod.auth)
      .send({ reason: 'under review' })
      .expect(200);

    // The lapsed ban was lifted first, recorded as the sweep would; the sweep then has nothing to undo.
    const history = await t.db.query(
      `SELECT action_type, admin_id IS NULL AS by_system, reason FROM admin_emergency_actions
       WHERE player_id = $1 ORDER BY created_at`,
      [rebanned],
    );
    expect(history).toEqual([
      { action_type: 'unban', by_system: true, reason: 'ban expired' },
      { action_type: 'ban', by_system: false, reason: 'reoffended' },
    ]);
    const newestFirst = await t
      .http()
      .get(`${base(rebanned!)}/history`)
      .set(mod.auth)
      .expect(200);
    expect(newestFirst.body.data.items.map((i: { action_type: string }) => i.action_type)).toEqual([
      'ban',
      'unban',
    ]);
    await t.app.get(BanExpiryService).sweep();
    expect(await playerRow(t, rebanned!)).toMatchObject({ status: 'banned', ban_until: null });
    expect(await playerRow(t, frozen!)).toMatchObject({ status: 'frozen', ban_until: null });
  });

  it('a lifted ban gives back the status before it: frozen stays frozen after unban, sweep and a lapsed ban', async () => {
    const [unbanned, swept, rebanned] = await insertPlayers(t, 3);
    const act = (who: Session, id: string, action: string, body: object, status = 200) =>
      t
        .http()
        .post(`${base(id)}/${action}`)
        .set(who.auth)
        .send(body)
        .expect(status);
    const statusOf = async (id: string) =>
      (await t.http().get(`/api/v1/admin/players/${id}/detailed`).set(mod.auth).expect(200)).body.data.player
        .status;
    const lifted = (id: string) =>
      published.filter(
        (e) => e instanceof PlayerStatusChangedEvent && e.playerId === id && e.from === 'banned',
      ) as PlayerStatusChangedEvent[];
    for (const id of [unbanned!, swept!, rebanned!]) {
      await act(mod, id, 'freeze', { reason: 'under investigation' });
      await act(admin, id, 'ban', { reason: 'chargebacks', duration_hours: 24 });
    }

    // The console's player page shows the ban: its end, why, and what lifting it gives back.
    const banOf = async (id: string) =>
      (await t.http().get(`/api/v1/admin/players/${id}/detailed`).set(mod.auth).expect(200)).body.data.ban;
    expect(await banOf(unbanned!)).toEqual({
      until: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      reason: 'chargebacks',
      lifts_to: 'frozen',
    });

    // Unfreezing under the ban is refused, naming the status the ban lifts to; nothing is written.
    const actions = await count(t, 'admin_emergency_actions', 'player_id = $1', [unbanned]);
    const refused = (await act(mod, unbanned!, 'unfreeze', { reason: 'cleared' }, 409)).body;
    expectErrorBody(refused, 'EMERGENCY.ILLEGAL_TRANSITION');
    expect(refused).toMatchObject({ current_status: 'banned', status_before_ban: 'frozen' });
    expect(await count(t, 'admin_emergency_actions', 'player_id = $1', [unbanned])).toBe(actions);

    const unban = await act(admin, unbanned!, 'unban', { reason: 'appeal upheld' });
    expect(unban.body.data.result_details).toEqual({ from: 'banned', to: 'frozen' });
    expect(await statusOf(unbanned!)).toBe('frozen');
    expect(await banOf(unbanned!)).toBeNull();
    const [audit] = await t.db.query(
      `SELECT before, after FROM audit_log WHERE action = 'emergency.unban' AND target_id = $1`,
      [unbanned],
    );
    expect(audit.before).toMatchObject({ status: 'banned', status_before_ban: 'frozen' });
    expect(audit.after).toMatchObject({ status: 'frozen' });
    expect(lifted(unbanned!).map((e) => e.to)).toEqual(['frozen']);
    // The freeze is still the investigation's to end.
    await act(mod, unbanned!, 'unfreeze', { reason: 'cleared' });
    expect(await statusOf(unbanned!)).toBe('active');

    // Run out: the sweep lifts it back to frozen; a lapsed ban replaced by a new one keeps "frozen" for later.
    await t.db.query(`UPDATE players SET ban_until = now() - interval '1 minute' WHERE id = ANY($1)`, [
      [swept, rebanned],
    ]);
    await act(admin, rebanned!, 'ban', { reason: 'reoffended', permanent: true });
    await t.app.get(BanExpiryService).sweep();
    expect(await statusOf(swept!)).toBe('frozen');
    expect(lifted(swept!).map((e) => [e.to, e.reason])).toEqual([['frozen', 'ban expired']]);
    expect(await statusOf(rebanned!)).toBe('banned');
    await act(admin, rebanned!, 'unban', { reason: 'appeal upheld' });
    expect(await statusOf(rebanned!)).toBe('frozen');
    expect(lifted(rebanned!).map((e) => e.to)).toEqual(['frozen', 'frozen']);

    // A ban set through PUT /comprehensive is remembered the same way.
    const { version } = await playerRow(t, unbanned!);
    await act(mod, unbanned!, 'freeze', { reason: 'under investigation again' });
    await t
      .http()
      .put(`/api/v1/admin/players/${unbanned}/comprehensive`)
      .set(admin.auth)
      .send({ reason: 'chargebacks, confirmed', version: version + 1, status: 'banned' })
      .expect(200);
    await act(admin, unbanned!, 'unban', { reason: 'appeal upheld' });
    expect(await statusOf(unbanned!)).toBe('frozen');
  });

  it('kick, teleport_home, reset_turns, emergency_credits, clear_cargo, repair_ship', async () => {
    const p = await registerPlayer(t);
    const id = p.playerId!;
    await createSector(t, 42);
    const [ship] = await t.db.query('SELECT id FROM ships WHERE player_id = $1', [id]);
    await t.db.query(`UPDATE players SET current_sector = 42, turns = 3 WHERE id = $1`, [id]);
    await t.db.query(`UPDATE ships SET cargo = '{"ore": 40}', cargo_used = 40, hull = 30 WHERE id = $1`, [
      ship.id,
    ]);

    const kick = await t
      .http()
      .post(`${base(id)}/kick`)
      .set(mod.auth)
      .send({ reason: 'afk spam' })
      .expect(200);
    expect(kick.body.data.result_details.refresh_tokens_revoked).toBe(1);
    await t
      .http()
      .post(`${base(id)}/teleport_home`)
      .set(mod.auth)
      .send({ reason: 'stuck' })
      .expect(200);
    expect((await playerRow(t, id)).current_sector).toBe(1);
    await t
      .http()
      .post(`${base(id)}/reset_turns`)
      .set(admin.auth)
      .send({ reason: 'bug' })
      .expect(200);
    expect((await playerRow(t, id)).turns).toBe(1000);
    const cr = await t
      .http()
      .post(`${base(id)}/emergency_credits`)
      .set(admin.auth)
      .send({ reason: 'refund', amount: 2500 })
      .expect(200);
    expect(cr.body.data.result_details).toMatchObject({ credits_before: '10000', credits_after: '12500' });
    const cc = await t
      .http()
      .post(`${base(id)}/clear_cargo`)
      .set(admin.auth)
      .send({ reason: 'dupe glitch' })
      .expect(200);
    expect(cc.body.data.result_details.ships_cleared).toEqual([{ ship_id: ship.id, cargo: { ore: 40 } }]);
    await t
      .http()
      .post(`${base(id)}/repair_ship`)
      .set(admin.auth)
      .send({ reason: 'bug' })
      .expect(200);
    const [s] = await t.db.query('SELECT cargo, cargo_used, hull FROM ships WHERE id = $1', [ship.id]);
    expect(s).toEqual({ cargo: {}, cargo_used: 0, hull: 100 });
    const other = await addShip(t, (await insertPlayers(t, 1))[0]!);
    expectErrorBody(
      (
        await t
          .http()
          .post(`${base(id)}/repair_ship`)
          .set(admin.auth)
          .send({ reason: 'x y', ship_id: other })
          .expect(404)
      ).body,
      'EMERGENCY.SHIP_NOT_FOUND',
    );
    expectErrorBody(
      (
        await t
          .http()
          .post(`${base(id)}/emergency_credits`)
          .set(admin.auth)
          .send({ reason: 'neg', amount: -5 })
          .expect(400)
      ).body,
      'VALIDATION_FAILED',
    );
  });

  it('history lists the actions newest first, paginated', async () => {
    const [id] = await insertPlayers(t, 1);
    await t
      .http()
      .post(`${base(id!)}/freeze`)
      .set(mod.auth)
      .send({ reason: 'one' })
      .expect(200);
    await t
      .http()
      .post(`${base(id!)}/unfreeze`)
      .set(mod.auth)
      .send({ reason: 'two' })
      .expect(200);
    const res = await t
      .http()
      .get(`${base(id!)}/history?limit=1`)
      .set(mod.auth)
      .expect(200);
    expect(res.body.data).toMatchObject({ total: 2, page: 1, page_size: 1 });
    expect(res.body.data.items[0]).toMatchObject({ action_type: 'unfreeze', reason: 'two' });
    await t
      .http()
      .get(`${base(id!)}/history`)
      .set(auditor.auth)
      .expect(403);
    await t
      .http()
      .get(`${base(id!)}/history`)
      .expect(401);
    await t
      .http()
      .get(`${base('not-a-uuid')}/history`)
      .set(mod.auth)
      .expect(400);
    expectErrorBody(
      (
        await t
          .http()
          .get(`${base('00000000-0000-4000-8000-000000000000')}/history`)
          .set(mod.auth)
          .expect(404)
      ).body,
      'EMERGENCY.PLAYER_NOT_FOUND',
    );
  });

  it('enforces the permission split: moderators cannot ban or grant credits; no token is 401', async () => {
    const [id] = await insertPlayers(t, 1);
    const p = await registerPlayer(t);
    for (const [action, body] of [
      ['ban', { reason: 'x y z', permanent: true }],
      ['unban', { reason: 'x y z' }],
      ['emergency_credits', { reason: 'x y z', amount: 5 }],
      ['reset_turns', { reason: 'x y z' }],
      ['clear_cargo', { reason: 'x y z' }],
      ['repair_ship', { reason: 'x y z' }],
    ] as const) {
      expectErrorBody(
        (
          await t
            .http()
            .post(`${base(id!)}/${action}`)
            .set(mod.auth)
            .send(body)
            .expect(403)
        ).body,
        'AUTH.FORBIDDEN',
      );
    }
    await t
      .http()
      .post(`${base(id!)}/kick`)
      .set(auditor.auth)
      .send({ reason: 'x y z' })
      .expect(403);
    await t
      .http()
      .post(`${base(id!)}/kick`)
      .set(p.auth)
      .send({ reason: 'x y z' })
      .expect(403);
    await t
      .http()
      .post(`${base(id!)}/kick`)
      .send({ reason: 'x y z' })
      .expect(401);
    expectErrorBody(
      (
        await t
          .http()
          .post(`${base(id!)}/kick`)
          .set(mod.auth)
          .send({})
          .expect(400)
      ).body,
      'VALIDATION_FAILED',
    );
    expectErrorBody(
      (
        await t
          .http()
          .post(`${base('00000000-0000-4000-8000-000000000000')}/kick`)
          .set(mod.auth)
          .send({ reason: 'x y z' })
          .expect(404)
      ).body,
      'EMERGENCY.PLAYER_NOT_FOUND',
    );
    expect(await count(t, 'admin_emergency_actions', 'player_id = $1', [id])).toBe(0);
  });

  it('bulk: one action over many players, per-player results, capped, admin only', async () => {
    const ids = await insertPlayers(t, 3);
    await t.db.query(`UPDATE players SET status = 'frozen' WHERE id = $1`, [ids[2]]);
    const res = await t
      .http()
      .post('/api/v1/admin/players/emergency/bulk')
      .set(admin.auth)
      .send({ action: 'freeze', player_ids: ids, reason: 'raid response' })
      .expect(200);
    expect(res.body.data).toMatchObject({ action: 'freeze', succeeded: 2, failed: 1 });
    expect(res.body.data.results[2]).toMatchObject({
      ok: false,
      error: { code: 'EMERGENCY.ILLEGAL_TRANSITION' },
    });
    await t
      .http()
      .post('/api/v1/admin/players/emergency/bulk')
      .set(mod.auth)
      .send({ action: 'kick', player_ids: ids, reason: 'x y z' })
      .expect(403);
    await t
      .http()
      .post('/api/v1/admin/players/emergency/bulk')
      .send({ action: 'kick', player_ids: ids, reason: 'x' })
      .expect(401);
    const many = Array.from({ length: 101 }, () => ids[0]!);
    expectErrorBody(
      (
        await t
          .http()
          .post('/api/v1/admin/players/emergency/bulk')
          .set(admin.auth)
          .send({ action: 'kick', player_ids: many, reason: 'x y z' })
          .expect(400)
      ).body,
      'VALIDATION_FAILED',
    );
    expectErrorBody(
      (
        await t
          .http()
          .post('/api/v1/admin/players/emergency/bulk')
          .set(admin.auth)
          .send({ action: 'ban', player_ids: ids, reason: 'x y z' })
          .expect(400)
      ).body,
      'VALIDATION_FAILED',
    );
  });
});
