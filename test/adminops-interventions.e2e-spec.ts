import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { EventBus } from '@nestjs/cqrs';
import { randomUUID } from 'node:crypto';
import { InterventionChangedEvent } from '../src/modules/interventions/events/intervention-changed.event.js';
import { CreditsChangedEvent } from '../src/modules/players/events/credits-changed.event.js';
import { eventually, startTestApp, type TestApp } from './support/test-app.js';
import { expectErrorBody, loginAs, registerPlayer, type Session } from './support/factories.js';
import {
  count,
  insertPlayers,
  oreBought,
  playerRow,
  publishRejectedTrades,
  publishTrades,
} from './support/adminops-fixtures.js';

jest.setTimeout(120_000);

const API = '/api/v1/admin/interventions';

describe('interventions', () => {
  let t: TestApp;
  let admin: Session;
  let mod: Session;
  let auditor: Session;
  const published: object[] = [];

  beforeAll(async () => {
    t = await startTestApp();
    admin = await loginAs(t, 'admin');
    mod = await loginAs(t, 'moderator');
    auditor = await loginAs(t, 'auditor');
    t.app.get(EventBus).subscribe((e: object) => published.push(e));
  });
  afterAll(async () => {
    await t.close();
  });

  const create = (body: object, who: Session = mod) =>
    t
      .http()
      .post(API)
      .set(who.auth)
      .send({ reason: 'player report', ...body });

  it('creates, then walks open -> assigned -> in_progress -> resolved with versions and audit', async () => {
    const [pid] = await insertPlayers(t, 1);
    const c = await create({
      player_id: pid,
      priority: 'high',
      category: 'economy',
      description: 'odd trades',
    }).expect(201);
    const i = c.body.data;
    expect(i).toMatchObject({
      player_id: pid,
      status: 'open',
      priority: 'high',
      version: 1,
      automatic: false,
    });
    expect(
      published.some(
        (e) => e instanceof InterventionChangedEvent && e.interventionId === i.id && e.change === 'created',
      ),
    ).toBe(true);

    const put = (body: object) =>
      t
        .http()
        .put(`${API}/${i.id}`)
        .set(mod.auth)
        .send({ reason: 'working it', ...body });
    const a = await put({ version: 1, assigned_to: mod.userId }).expect(200);
    expect(a.body.data).toMatchObject({ status: 'assigned', assigned_to: mod.userId, version: 2 });
    // stale version
    expectErrorBody(
      (await put({ version: 1, status: 'in_progress' }).expect(409)).body,
      'INTERVENTIONS.VERSION_CONFLICT',
    );
    // illegal transition
    expectErrorBody(
      (await put({ version: 2, status: 'resolved', resolution_notes: 'done' }).expect(409)).body,
      'INTERVENTIONS.ILLEGAL_TRANSITION',
    );
    await put({ version: 2, status: 'in_progress' }).expect(200);
    expectErrorBody((await put({ version: 3, status: 'resolved' }).expect(400)).body, 'VALIDATION_FAILED');
    const r = await put({ version: 3, status: 'resolved', resolution_notes: 'warned the player' }).expect(
      200,
    );
    expect(r.body.data).toMatchObject({
      status: 'resolved',
      resolution_notes: 'warned the player',
      version: 4,
    });
    expect(r.body.data.resolved_at).not.toBeNull();
    expectErrorBody(
      (await put({ version: 4, status: 'in_progress' }).expect(409)).body,
      'INTERVENTIONS.ILLEGAL_TRANSITION',
    );
    expect(await count(t, 'audit_log', "target_id = $1 AND action LIKE 'interventions.%'", [i.id])).toBe(4);
  });

  it('handing an assignment back to open unassigns it: answer, queue filters, audit and event agree', async () => {
    const cat = `back_${randomUUID().slice(0, 8)}`;
    const assigned = async (priority: string, description: string) =>
      (await create({ category: cat, priority, description, assigned_to: mod.userId }).expect(201)).body.data;
    const byStatus = await assigned('medium', 'handed back');
    const byAssignee = await assigned('low', 'unassigned');
    const put = (id: string, body: object) =>
      t
        .http()
        .put(`${API}/${id}`)
        .set(mod.auth)
        .send({ reason: 'off shift', ...body });
    const queue = async (filter: string) =>
      (
        await t.http().get(`${API}/queue?category=${cat}&${filter}`).set(mod.auth).expect(200)
      ).body.data.items.map((i: { id: string }) => i.id);

    // Naming an assignee while handing back is contradictory: 400, nothing written.
    expectErrorBody(
      (await put(byStatus.id, { version: 1, status: 'open', assigned_to: admin.userId }).expect(400)).body,
      'VALIDATION_FAILED',
    );
    const back = await put(byStatus.id, { version: 1, status: 'open' }).expect(200);
    expect(back.body.data).toMatchObject({ status: 'open', assigned_to: null, version: 2 });
    // Taking the assignee away hands it back too, as giving one to an open intervention assigns it.
    const unassigned = await put(byAssignee.id, { version: 1, assigned_to: null }).expect(200);
    expect(unassigned.body.data).toMatchObject({ status: 'open', assigned_to: null, version: 2 });

    expect(await queue(`assigned_to=${mod.userId}`)).toEqual([]);
    expect(await queue('status=open')).toEqual([byStatus.id, byAssignee.id]);
    const [audit] = await t.db.query(
      `SELECT before, after FROM audit_log WHERE action = 'interventions.update' AND target_id = $1`,
      [byStatus.id],
    );
    expect(audit.before).toMatchObject({ status: 'assigned', assigned_to: mod.userId, version: 1 });
    expect(audit.after).toMatchObject({ status: 'open', assigned_to: null, version: 2 });
    const changes = published.filter(
      (e) =>
        e instanceof InterventionChangedEvent && e.interventionId === byStatus.id && e.change === 'updated',
    );
    expect(changes).toEqual([expect.objectContaining({ status: 'open', assignedTo: null, version: 2 })]);

    // Open again, it can be picked up by someone else.
    const again = await put(byStatus.id, { version: 2, assigned_to: admin.userId }).expect(200);
    expect(again.body.data).toMatchObject({ status: 'assigned', assigned_to: admin.userId, version: 3 });
  });

  it('bad input is 400 with nothing written; 401; 403 for auditors and players; 404 unknown', async () => {
    const before = await count(t, 'admin_interventions');
    const p = await registerPlayer(t);
    expectErrorBody(
      (await create({ priority: 'urgent', description: 'x y z' }).expect(400)).body,
      'VALIDATION_FAILED',
    );
    expectErrorBody(
      (await create({ category: 'Bad Category!', description: 'x y z' }).expect(400)).body,
      'VALIDATION_FAILED',
    );
    expectErrorBody((await create({}).expect(400)).body, 'VALIDATION_FAILED'); // no description, no template
    expectErrorBody(
      (await t.http().post(API).set(mod.auth).send({ description: 'no reason' }).expect(400)).body,
      'VALIDATION_FAILED',
    );
    expectErrorBody(
      (await create({ player_id: randomUUID(), description: 'ghost' }).expect(400)).body,
      'VALIDATION_FAILED',
    );
    expectErrorBody(
      (await create({ description: 'x y z', assigned_to: p.userId }).expect(400)).body,
      'VALIDATION_FAILED',
    );
    expect(await count(t, 'admin_interventions')).toBe(before);
    await t.http().post(API).send({ reason: 'x y z', description: 'x y z' }).expect(401);
    await create({ description: 'x y z' }, auditor).expect(403);
    await t.http().post(API).set(p.auth).send({ reason: 'x y z', description: 'x y z' }).expect(403);
    await t.http().get(`${API}/queue`).set(auditor.auth).expect(403);
    await t.http().get(`${API}/queue`).expect(401);
    expectErrorBody(
      (
        await t
          .http()
          .put(`${API}/${randomUUID()}`)
          .set(mod.auth)
          .send({ reason: 'x y z', version: 1, status: 'dismissed', resolution_notes: 'n/a' })
          .expect(404)
      ).body,
      'INTERVENTIONS.NOT_FOUND',
    );
    await t.http().put(`${API}/not-a-uuid`).set(mod.auth).send({ reason: 'x y z', version: 1 }).expect(400);
  });

  it('orders the queue by priority then age, filters and paginates', async () => {
    const cat = `q_${randomUUID().slice(0, 8)}`;
    const low = (await create({ priority: 'low', category: cat, description: 'first, low' }).expect(201)).body
      .data;
    const crit = (
      await create({ priority: 'critical', category: cat, description: 'second, critical' }).expect(201)
    ).body.data;
    const high1 = (await create({ priority: 'high', category: cat, description: 'third, high' }).expect(201))
      .body.data;
    const high2 = (
      await create({
        priority: 'high',
        category: cat,
        description: 'fourth, high',
        assigned_to: admin.userId,
      }).expect(201)
    ).body.data;
    const q = await t.http().get(`${API}/queue?category=${cat}`).set(mod.auth).expect(200);
    expect(q.body.data.items.map((i: { id: string }) => i.id)).toEqual([crit.id, high1.id, high2.id, low.id]);
    expect(q.body.data.total).toBe(4);
    const page2 = await t.http().get(`${API}/queue?category=${cat}&limit=2&page=2`).set(mod.auth).expect(200);
    expect(page2.body.data.items.map((i: { id: string }) => i.id)).toEqual([high2.id, low.id]);
    const mine = await t
      .http()
      .get(`${API}/queue?category=${cat}&assigned_to=${admin.userId}`)
      .set(mod.auth)
      .expect(200);
    expect(mine.body.data.items.map((i: { id: string }) => i.id)).toEqual([high2.id]);
    const highs = await t
      .http()
      .get(`${API}/queue?category=${cat}&priority=high&status=open`)
      .set(mod.auth)
      .expect(200);
    expect(highs.body.data.items.map((i: { id: string }) => i.id)).toEqual([high1.id]);
    expectErrorBody(
      (await t.http().get(`${API}/queue?priority=urgent`).set(mod.auth).expect(400)).body,
      'VALIDATION_FAILED',
    );
  });

  it('templates: create, list, edit with version, use one to open an intervention', async () => {
    const name = `Gold dupe ${randomUUID().slice(0, 6)}`;
    const c = await t
      .http()
      .post(`${API}/templates`)
      .set(mod.auth)
      .send({
        reason: 'new playbook',
        name,
        category: 'economy',
        priority: 'critical',
        description: 'Suspected duplication',
        suggested_actions: ['freeze'],
      })
      .expect(201);
    const tpl = c.body.data;
    expect(tpl).toMatchObject({ name, version: 1, suggested_actions: ['freeze'] });
    const list = await t.http().get(`${API}/templates`).set(mod.auth).expect(200);
    expect(list.body.data.some((x: { id: string }) => x.id === tpl.id)).toBe(true);
    const e = await t
      .http()
      .put(`${API}/templates/${tpl.id}`)
      .set(mod.auth)
      .send({ reason: 'tune', version: 1, priority: 'high' })
      .expect(200);
    expect(e.body.data).toMatchObject({ priority: 'high', version: 2 });
    expectErrorBody(
      (
        await t
          .http()
          .put(`${API}/templates/${tpl.id}`)
          .set(mod.auth)
          .send({ reason: 'tune', version: 1, priority: 'low' })
          .expect(409)
      ).body,
      'INTERVENTIONS.VERSION_CONFLICT',
    );
    expectErrorBody(
      (
        await t
          .http()
          .post(`${API}/templates`)
          .set(mod.auth)
          .send({
            reason: 'dupe',
            name: name.toUpperCase(),
            category: 'economy',
            priority: 'low',
            description: 'dupe',
          })
          .expect(409)
      ).body,
      'INTERVENTIONS.TEMPLATE_NAME_TAKEN',
    );
    expectErrorBody(
      (
        await t
          .http()
          .post(`${API}/templates`)
          .set(mod.auth)
          .send({ reason: 'bad', name: 'x', category: 'economy', priority: 'low', description: 'd' })
          .expect(400)
      ).body,
      'VALIDATION_FAILED',
    );
    await t.http().get(`${API}/templates`).set(auditor.auth).expect(403);
    await t.http().post(`${API}/templates`).send({}).expect(401);
    const [pid] = await insertPlayers(t, 1);
    const i = await create({ player_id: pid, template_id: tpl.id }).expect(201);
    expect(i.body.data).toMatchObject({
      priority: 'high',
      category: 'economy',
      description: 'Suspected duplication',
      template_id: tpl.id,
    });
  });

  it('a risk rule raises one intervention per player and cause and raises risk_score', async () => {
    const [pid] = await insertPlayers(t, 1);
    const bus = t.app.get(EventBus);
    const [station] = await t.db.query(
      `INSERT INTO stations (sector_id, name, class) VALUES (1, 'Burst', 1) RETURNING id`,
    );
    publishTrades(t, pid!, station.id, 25);
    const open = await eventually(async () => {
      const rows = await t.db.query(
        `SELECT id, cause, priority, automatic FROM admin_interventions WHERE player_id = $1 AND cause = 'trade_burst'`,
        [pid],
      );
      return (await count(t, 'player_risk_events', "player_id = $1 AND kind = 'trade'", [pid])) === 25 &&
        rows.length
        ? rows
        : undefined;
    });
    expect(open).toHaveLength(1); // no duplicate for the same player and cause
    expect(open[0]).toMatchObject({ automatic: true });
    const score = (await playerRow(t, pid!)).risk_score;
    expect(score).toBeGreaterThanOrEqual(40);
    // Each raise of the score is in the player's audit history, the last one ending on the score it has.
    const raises = await t.db.query(
      `SELECT actor_id, reason, before, after FROM audit_log
       WHERE action = 'players.risk_auto_raise' AND target_type = 'player' AND target_id = $1 ORDER BY id`,
      [pid],
    );
    expect(raises.length).toBeGreaterThanOrEqual(1);
    expect(raises[0]).toMatchObject({ actor_id: null, before: { risk_score: 0 } });
    expect(raises.at(-1)).toMatchObject({ after: { risk_score: score, cause: 'trade_burst' } });
    expect(raises.at(-1).reason).toEqual(expect.any(String));
    // The same trade delivered twice is one signal.
    const tradeId = randomUUID();
    const ev = oreBought(pid!, station.id, tradeId);
    bus.publish(ev);
    bus.publish(ev);
    await eventually(async () =>
      (await count(t, 'player_risk_events', 'source_id = $1', [`trade:${tradeId}`])) === 1 ? true : undefined,
    );

    // Repeated rejected trades
    publishRejectedTrades(t, pid!, station.id, 10);
    await eventually(async () =>
      (await count(t, 'admin_interventions', "player_id = $1 AND cause = 'repeated_rejected_trades'", [
        pid,
      ])) === 1
        ? true
        : undefined,
    );

    // Credits far above the population: with too few gaining players, the absolute floor x10 decides.
    bus.publish(new CreditsChangedEvent(pid!, '1000', '5001000', 'planet_income', null));
    bus.publish(new CreditsChangedEvent(pid!, '1000', '5001000', 'admin_update', 'someone')); // admin: ignored
    await eventually(async () =>
      (await count(t, 'admin_interventions', "player_id = $1 AND cause = 'credit_gain_anomaly'", [pid])) === 1
        ? true
        : undefined,
    );
    expect(await count(t, 'player_risk_events', "player_id = $1 AND kind = 'credit_gain'", [pid])).toBe(1);
    const q = await t.http().get(`${API}/queue?player_id=${pid}`).set(mod.auth).expect(200);
    expect(q.body.data.items[0].priority).toBe('critical');
    expect(q.body.data.total).toBe(3);

    // Manually opening a duplicate for an open cause is a 409.
    expectErrorBody(
      (await create({ player_id: pid, cause: 'trade_burst', description: 'again' }).expect(409)).body,
      'INTERVENTIONS.DUPLICATE_OPEN',
    );
  });
});
