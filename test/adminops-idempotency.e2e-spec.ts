import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { EventBus } from '@nestjs/cqrs';
import pg from 'pg';
import type request from 'supertest';
import { EmergencyActionTakenEvent } from '../src/modules/emergency/events/emergency-action-taken.event.js';
import { CreditsChangedEvent } from '../src/modules/players/events/credits-changed.event.js';
import { AssetsChangedEvent } from '../src/modules/assets/events/assets-changed.event.js';
import { BulkOperationProgressEvent } from '../src/modules/bulk-ops/events/bulk-operation-progress.event.js';
import { MarketMaintenanceService } from '../src/modules/trading/market-maintenance.service.js';
import { eventually, lockWaiter, startTestApp, type TestApp } from './support/test-app.js';
import { expectErrorBody, loginAs, type Session } from './support/factories.js';
import { count, insertPlayers, playerRow } from './support/adminops-fixtures.js';

jest.setTimeout(120_000);

const players = '/api/v1/admin/players';
const credits = (id: string) => `${players}/${id}/emergency/emergency_credits`;
const transfer = (id: string) => `${players}/${id}/assets/transfer`;
const bulkUpdate = (id: string) => `${players}/${id}/assets/bulk-update`;
const bulkOps = `${players}/bulk-operations`;
const key = () => `retry:${randomUUID()}`;

/** The response's `data` exactly as the server wrote it (the envelope's timestamp and metrics differ per answer). */
function dataText(res: request.Response): string {
  const m = /^\{"success":true,"data":(.*),"metrics":\{/s.exec(res.text);
  if (!m) throw new Error(`not an envelope: ${res.text}`);
  return m[1]!;
}

describe('admin writes with an Idempotency-Key', () => {
  let t: TestApp;
  let admin: Session;
  let other: Session;
  const published: object[] = [];

  beforeAll(async () => {
    t = await startTestApp({ BULK_WORKER_ENABLED: 'false', PRICE_SNAPSHOT_SECONDS: '0' });
    admin = await loginAs(t, 'admin');
    other = await loginAs(t, 'admin');
    t.app.get(EventBus).subscribe((e: object) => published.push(e));
  });
  afterAll(async () => {
    await t.close();
  });

  const grant = (who: Session, id: string, amount: number, k?: string) => {
    const req = t.http().post(credits(id)).set(who.auth).send({ reason: 'compensation', amount });
    return k === undefined ? req : req.set('Idempotency-Key', k);
  };
  const move = (from: string, to: string, amount: number, k: string) =>
    t
      .http()
      .post(transfer(from))
      .set(admin.auth)
      .set('Idempotency-Key', k)
      .send({ to_player_id: to, credits: amount, reason: 'move' });
  const createJob = (ids: string[], reason: string, k: string) =>
    t
      .http()
      .post(bulkOps)
      .set(admin.auth)
      .set('Idempotency-Key', k)
      .send({
        operation_type: 'adjust_credits',
        parameters: { amount: 5 },
        target: { player_ids: ids },
        reason,
      });
  const keyRows = (k: string) =>
    count(t, 'admin_idempotency_keys', 'user_id = $1 AND key = $2', [admin.userId, k]);
  const expire = (k: string) =>
    t.db.query(
      `UPDATE admin_idempotency_keys SET expires_at = now() - interval '1 second' WHERE user_id = $1 AND key = $2`,
      [admin.userId, k],
    );
  const eventsFor = (id: string) =>
    published.filter(
      (e) =>
        (e instanceof CreditsChangedEvent ||
          e instanceof EmergencyActionTakenEvent ||
          e instanceof AssetsChangedEvent) &&
        e.playerId === id,
    ).length;
  const written = async (id: string) => ({
    credits: (await playerRow(t, id)).credits,
    actions: await count(t, 'admin_emergency_actions', 'player_id = $1', [id]),
    audit: await count(t, 'audit_log', 'target_id = $1', [id]),
    events: eventsFor(id),
  });

  it('emergency_credits sent twice with one key grants once; the replay is the first answer, marked', async () => {
    const [id] = await insertPlayers(t, 1, { credits: 1000 });
    const k = key();
    const first = await grant(admin, id!, 250, k).expect(200);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    const after = await written(id!);
    expect(after).toMatchObject({ credits: '1250', actions: 1, audit: 1 });
    expect(after.events).toBeGreaterThan(0);

    const again = await grant(admin, id!, 250, k).expect(200);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(dataText(again)).toBe(dataText(first));
    expect(await written(id!)).toEqual(after);

    // Without the header, behaviour is what it always was: each request runs.
    await grant(admin, id!, 250).expect(200);
    await grant(admin, id!, 250).expect(200);
    expect(await written(id!)).toMatchObject({ credits: '1750', actions: 3, audit: 3 });
  });

  it('a transfer sent twice with one key moves the credits once', async () => {
    const [from, to] = await insertPlayers(t, 2, { credits: 1000 });
    const k = key();
    const send = () => move(from!, to!, 300, k);
    const first = await send().expect(200);
    const before = { from: await written(from!), to: await written(to!) };
    expect(before.from.credits).toBe('700');
    expect(before.to.credits).toBe('1300');
    const again = await send().expect(200);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(dataText(again)).toBe(dataText(first));
    expect({ from: await written(from!), to: await written(to!) }).toEqual(before);
  });

  it('a bulk-update sent twice with one key applies once (If-Match is part of the request)', async () => {
    const [id] = await insertPlayers(t, 1, { credits: 1000 });
    const k = key();
    const send = (ifMatch: string) =>
      t
        .http()
        .put(bulkUpdate(id!))
        .set(admin.auth)
        .set('Idempotency-Key', k)
        .set('If-Match', ifMatch)
        .send({ reason: 'fix', credits: { mode: 'adjust', amount: 40 } });
    const { version } = await playerRow(t, id!);
    const first = await send(String(version)).expect(200);
    const after = await written(id!);
    expect(after.credits).toBe('1040');
    const again = await send(String(version)).expect(200);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(dataText(again)).toBe(dataText(first));
    expect(await written(id!)).toEqual(after);
    // The same key and body against another version is another request.
    expectErrorBody((await send(String(version + 1)).expect(422)).body, 'IDEMPOTENCY_KEY_REUSED');
    expect(await written(id!)).toEqual(after);
  });

  it('bulk-operations create sent twice with one key makes one job', async () => {
    const ids = await insertPlayers(t, 3);
    const reason = `bonus ${randomUUID()}`;
    const k = key();
    const send = () => createJob(ids, reason, k);
    const progress = () => published.filter((e) => e instanceof BulkOperationProgressEvent).length;
    const first = await send().expect(202);
    const events = progress();
    const audit = await count(t, 'audit_log', "action = 'bulk_ops.create'");
    const again = await send().expect(202);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body.data.operation_id).toBe(first.body.data.operation_id);
    expect(dataText(again)).toBe(dataText(first));
    expect(await count(t, 'admin_bulk_operations', 'reason = $1', [reason])).toBe(1);
    expect(await count(t, 'audit_log', "action = 'bulk_ops.create'")).toBe(audit);
    expect(progress()).toBe(events);
  });

  it('the same key with another request is a 422 and writes nothing', async () => {
    const [id, other2] = await insertPlayers(t, 2, { credits: 1000 });
    const k = key();
    await grant(admin, id!, 100, k).expect(200);
    const after = await written(id!);
    expectErrorBody((await grant(admin, id!, 101, k).expect(422)).body, 'IDEMPOTENCY_KEY_REUSED');
    // another player (path parameter) and another route are other requests too
    expectErrorBody((await grant(admin, other2!, 100, k).expect(422)).body, 'IDEMPOTENCY_KEY_REUSED');
    const res = await t
      .http()
      .post(`${players}/${id}/emergency/freeze`)
      .set(admin.auth)
      .set('Idempotency-Key', k)
      .send({ reason: 'compensation' })
      .expect(422);
    expectErrorBody(res.body, 'IDEMPOTENCY_KEY_REUSED');
    expect(await written(id!)).toEqual(after);
    expect(await written(other2!)).toMatchObject({ credits: '1000', actions: 0, audit: 0 });
    expect((await playerRow(t, id!)).status).toBe('active');
  });

  it('the body is compared in canonical form: the same fields in another order are the same request', async () => {
    const [id] = await insertPlayers(t, 1, { credits: 0 });
    const k = key();
    const send = (body: string) =>
      t
        .http()
        .post(credits(id!))
        .set(admin.auth)
        .set('Idempotency-Key', k)
        .set('Content-Type', 'application/json')
        .send(body);
    await send('{"reason":"late pay","amount":5}').expect(200);
    const again = await send('{ "amount": 5, "reason": "late pay" }').expect(200);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect((await playerRow(t, id!)).credits).toBe('5');
  });

  it('a refused request keeps no key: the same key runs once the cause is fixed', async () => {
    const [from, to] = await insertPlayers(t, 2, { credits: 100 });
    const k = key();
    const send = () => move(from!, to!, 500, k);
    expectErrorBody((await send().expect(409)).body, 'ASSETS.INSUFFICIENT_CREDITS');
    expect(await keyRows(k)).toBe(0);
    await t.db.query('UPDATE players SET credits = 1000 WHERE id = $1', [from]);
    const ok = await send().expect(200);
    expect(ok.headers['idempotent-replayed']).toBeUndefined();
    expect((await playerRow(t, from!)).credits).toBe('500');
    expect((await playerRow(t, to!)).credits).toBe('600');
    expect(await keyRows(k)).toBe(1);
  });

  it("keys are per admin: another admin's same key runs its own request", async () => {
    const [id] = await insertPlayers(t, 1, { credits: 0 });
    const k = key();
    await grant(admin, id!, 10, k).expect(200);
    const theirs = await grant(other, id!, 10, k).expect(200);
    expect(theirs.headers['idempotent-replayed']).toBeUndefined();
    expect(await written(id!)).toMatchObject({ credits: '20', actions: 2, audit: 2 });
    // ...and each is replayed for its own admin only
    expect((await grant(other, id!, 10, k).expect(200)).headers['idempotent-replayed']).toBe('true');
    expect((await playerRow(t, id!)).credits).toBe('20');
  });

  it('a malformed key is a 400 and writes nothing', async () => {
    const [id, to] = await insertPlayers(t, 2, { credits: 1000 });
    for (const bad of ['has space', 'x'.repeat(129), 'ünïcode', 'semi;colon']) {
      expectErrorBody((await grant(admin, id!, 10, bad).expect(400)).body, 'IDEMPOTENCY_KEY_INVALID');
      const res = await t
        .http()
        .post(transfer(id!))
        .set(admin.auth)
        .set('Idempotency-Key', bad)
        .send({ to_player_id: to, credits: 5, reason: 'move' })
        .expect(400);
      expectErrorBody(res.body, 'IDEMPOTENCY_KEY_INVALID');
    }
    expectErrorBody((await grant(admin, id!, 10, '').expect(400)).body, 'IDEMPOTENCY_KEY_INVALID');
    expect(await written(id!)).toMatchObject({ credits: '1000', actions: 0, audit: 0, events: 0 });
    expect((await playerRow(t, to!)).credits).toBe('1000');
  });

  it('expired keys are purged on the snapshot tick; one expired and not yet purged runs as new', async () => {
    const [id] = await insertPlayers(t, 1, { credits: 0 });
    const k = key();
    await grant(admin, id!, 10, k).expect(200);
    await expire(k);
    const fresh = await grant(admin, id!, 10, k).expect(200);
    expect(fresh.headers['idempotent-replayed']).toBeUndefined();
    expect((await playerRow(t, id!)).credits).toBe('20');
    const [row] = await t.db.query(
      `SELECT expires_at > now() + interval '23 hours' AS kept FROM admin_idempotency_keys WHERE user_id = $1 AND key = $2`,
      [admin.userId, k],
    );
    expect(row.kept).toBe(true);

    await expire(k);
    await t.app.get(MarketMaintenanceService).snapshot();
    expect(await keyRows(k)).toBe(0);
  });

  it('swagger documents the header and the 422 on each idempotent route', async () => {
    const doc = (await t.http().get('/docs/json').expect(200)).body;
    const routes: [string, string][] = [
      ['/api/v1/admin/players/{id}/assets/transfer', 'post'],
      ['/api/v1/admin/players/{id}/assets/bulk-update', 'put'],
      ['/api/v1/admin/players/{id}/emergency/emergency_credits', 'post'],
      ['/api/v1/admin/players/{id}/emergency/freeze', 'post'],
      ['/api/v1/admin/players/bulk-operations', 'post'],
    ];
    for (const [path, method] of routes) {
      const op = doc.paths[path][method];
      expect(op.parameters).toEqual(
        expect.arrayContaining([expect.objectContaining({ name: 'Idempotency-Key', in: 'header' })]),
      );
      expect(op.responses['422']).toBeDefined();
    }
  });

  const onPostgres = process.env.TEST_DATABASE_URL ? it : it.skip;
  onPostgres('two copies at once: the second waits on the first and answers its result', async () => {
    const [id] = await insertPlayers(t, 1, { credits: 0 });
    const k = key();
    const direct = new pg.Client({ connectionString: t.config.databaseUrl });
    // Watched from outside the holding transaction: inside one, pg_stat_activity is a frozen snapshot.
    const watch = new pg.Client({ connectionString: t.config.databaseUrl });
    await direct.connect();
    await watch.connect();
    try {
      // Hold the player: the first copy claims the key and then waits here, the second waits on the key.
      await direct.query('BEGIN');
      await direct.query('SELECT 1 FROM players WHERE id = $1 FOR UPDATE', [id]);
      const firstCopy = grant(admin, id!, 70, k).then((r) => r);
      const firstWaiter = await lockWaiter(watch);
      const copies = Array.from({ length: 4 }, () => grant(admin, id!, 70, k).then((r) => r));
      const waiting = async () => {
        const { rows } = await watch.query(
          `SELECT count(*)::int AS n FROM pg_stat_activity
           WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid NOT IN (pg_backend_pid(), $1)`,
          [firstWaiter],
        );
        return rows[0].n >= 4 ? true : undefined;
      };
      await eventually(waiting);
      await direct.query('COMMIT');
      const results = await Promise.all([firstCopy, ...copies]);
      expect(results.map((r) => r.status)).toEqual(Array(5).fill(200));
      expect(results[0]!.headers['idempotent-replayed']).toBeUndefined();
      for (const r of results.slice(1)) {
        expect(r.headers['idempotent-replayed']).toBe('true');
        expect(dataText(r)).toBe(dataText(results[0]!));
      }
      expect(await written(id!)).toMatchObject({ credits: '70', actions: 1, audit: 1 });
    } finally {
      await direct.query('ROLLBACK').catch(() => undefined);
      await direct.end();
      await watch.end();
    }
  });

  onPostgres('two copies at once of a bulk-operations create make one job', async () => {
    const ids = await insertPlayers(t, 2);
    const reason = `concurrent ${randomUUID()}`;
    const k = key();
    const results = await Promise.all(Array.from({ length: 6 }, () => createJob(ids, reason, k)));
    expect(results.map((r) => r.status)).toEqual(Array(6).fill(202));
    expect(new Set(results.map((r) => r.body.data.operation_id)).size).toBe(1);
    expect(results.filter((r) => r.headers['idempotent-replayed'] === undefined)).toHaveLength(1);
    expect(await count(t, 'admin_bulk_operations', 'reason = $1', [reason])).toBe(1);
  });
});
