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
import { requestFingerprint } from '../src/infrastructure/http/idempotency-key.js';
import { eventually, lockWaiter, startTestApp, type TestApp } from './support/test-app.js';
import { expectErrorBody, loginAs, type Session } from './support/factories.js';
import { count, insertPlayers, playerRow } from './support/adminops-fixtures.js';

jest.setTimeout(120_000);

const players = '/api/v1/admin/players';
const credits = (id: string) => `${players}/${id}/emergency/emergency_credits`;
const transfer = (id: string) => `${players}/${id}/assets/transfer`;
const bulkUpdate = (id: string) => `${players}/${id}/assets/bulk-update`;
const bulkOps = `${players}/bulk-operations`;
const bulkEmergency = `${players}/emergency/bulk`;
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
  const bulkBody = (ids: string[], amount: number) => ({
    action: 'emergency_credits',
    player_ids: ids,
    amount,
    reason: 'outage compensation',
  });
  const bulkGrant = (ids: string[], amount: number, k: string) =>
    t.http().post(bulkEmergency).set(admin.auth).set('Idempotency-Key', k).send(bulkBody(ids, amount));
  const creditsOf = async (ids: string[]) =>
    Promise.all(ids.map(async (id) => (await playerRow(t, id)).credits));
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
      ['/api/v1/admin/players/emergency/bulk', 'post'],
    ];
    for (const [path, method] of routes) {
      const op = doc.paths[path][method];
      expect(op.parameters).toEqual(
        expect.arrayContaining([expect.objectContaining({ name: 'Idempotency-Key', in: 'header' })]),
      );
      expect(op.responses['422']).toBeDefined();
    }
    const bulk = doc.paths['/api/v1/admin/players/emergency/bulk'].post;
    expect(bulk.responses['409'].description).toContain('IDEMPOTENCY_KEY_IN_PROGRESS');
    expect(bulk.responses['409'].headers['Retry-After']).toBeDefined();
  });

  it('emergency/bulk sent twice with one key grants each player once; the replay is the first answer', async () => {
    const ids = await insertPlayers(t, 3, { credits: 1000 });
    const missing = randomUUID();
    const k = key();
    const first = await bulkGrant([...ids, missing], 100, k).expect(200);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    expect(first.body.data).toMatchObject({ action: 'emergency_credits', succeeded: 3, failed: 1 });
    expect(first.body.data.results[3]).toMatchObject({
      ok: false,
      error: { code: 'EMERGENCY.PLAYER_NOT_FOUND' },
    });
    const after = await Promise.all(ids.map(written));
    for (const w of after) {
      expect(w).toMatchObject({ credits: '1100', actions: 1, audit: 1 });
      expect(w.events).toBeGreaterThan(0);
    }

    const again = await bulkGrant([...ids, missing], 100, k).expect(200);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(dataText(again)).toBe(dataText(first));
    expect(await Promise.all(ids.map(written))).toEqual(after);

    // Without the header every request runs, as before.
    await t.http().post(bulkEmergency).set(admin.auth).send(bulkBody(ids, 5)).expect(200);
    expect(await creditsOf(ids)).toEqual(['1105', '1105', '1105']);
  });

  it('emergency/bulk: the same key with another body (or another route) is a 422 and changes nobody', async () => {
    const ids = await insertPlayers(t, 2, { credits: 1000 });
    const k = key();
    await bulkGrant(ids, 100, k).expect(200);
    const after = await Promise.all(ids.map(written));
    expectErrorBody((await bulkGrant(ids, 101, k).expect(422)).body, 'IDEMPOTENCY_KEY_REUSED');
    expectErrorBody((await bulkGrant([ids[0]!], 100, k).expect(422)).body, 'IDEMPOTENCY_KEY_REUSED');
    expectErrorBody((await grant(admin, ids[0]!, 100, k).expect(422)).body, 'IDEMPOTENCY_KEY_REUSED');
    expect(await Promise.all(ids.map(written))).toEqual(after);
    // ...and a single-player write's key is not a bulk's
    const single = key();
    await grant(admin, ids[0]!, 1, single).expect(200);
    expectErrorBody((await bulkGrant(ids, 100, single).expect(422)).body, 'IDEMPOTENCY_KEY_REUSED');
    expect(await creditsOf(ids)).toEqual(['1101', '1100']);
  });

  /**
   * The key row and the players' changes as a run that died after its first `done` players left them: the key
   * claimed with this request's hash, its lease run out (or still held, `leaseSeconds` > 0), those players
   * credited with their outcomes recorded in the same step.
   */
  const crashedRun = async (k: string, ids: string[], done: string[], amount: number, leaseSeconds = -1) => {
    const requestHash = requestFingerprint({
      method: 'POST',
      route: bulkEmergency,
      params: {},
      body: bulkBody(ids, amount),
    });
    await t.db.query(
      `INSERT INTO admin_idempotency_keys (user_id, key, request_hash, expires_at, lease_until, lease_holder)
       VALUES ($1, $2, $3, now() + interval '24 hours', now() + $4 * interval '1 second', $5)`,
      [admin.userId, k, requestHash, leaseSeconds, randomUUID()],
    );
    const outcomes = [];
    for (const id of done) {
      await t.db.query('UPDATE players SET credits = credits + $2 WHERE id = $1', [id, amount]);
      const outcome = {
        player_id: id,
        ok: true,
        result: {
          action_id: randomUUID(),
          player_id: id,
          action: 'emergency_credits',
          result_status: 'success',
          result_details: { amount },
        },
      };
      await t.db.query(
        `INSERT INTO admin_idempotency_items (user_id, key, item, outcome) VALUES ($1, $2, $3, $4::json)`,
        [admin.userId, k, id, JSON.stringify(outcome)],
      );
      outcomes.push(outcome);
    }
    return outcomes;
  };

  it('emergency/bulk after its run died midway resumes: only the players it had not reached are changed', async () => {
    const ids = await insertPlayers(t, 4, { credits: 1000 });
    const k = key();
    const earlier = await crashedRun(k, ids, ids.slice(0, 2), 100);
    const resumed = await bulkGrant(ids, 100, k).expect(200);
    expect(resumed.headers['idempotent-replayed']).toBeUndefined();
    expect(resumed.body.data).toMatchObject({ succeeded: 4, failed: 0 });
    // The players done before the crash are answered from their recorded outcomes, not acted on again.
    expect(resumed.body.data.results.slice(0, 2)).toEqual(earlier);
    expect(resumed.body.data.results.slice(2)).toMatchObject([
      { player_id: ids[2], ok: true },
      { player_id: ids[3], ok: true },
    ]);
    // Each player granted exactly once: 1000 + 100, whether before the crash or now.
    expect(await creditsOf(ids)).toEqual(Array(4).fill('1100'));
    for (const id of ids.slice(0, 2))
      expect(await written(id)).toMatchObject({ actions: 0, audit: 0, events: 0 });
    for (const id of ids.slice(2)) expect(await written(id)).toMatchObject({ actions: 1, audit: 1 });

    const again = await bulkGrant(ids, 100, k).expect(200);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(dataText(again)).toBe(dataText(resumed));
    expect(await creditsOf(ids)).toEqual(Array(4).fill('1100'));
  });

  it('emergency/bulk while its run holds the lease: 409 IDEMPOTENCY_KEY_IN_PROGRESS with Retry-After, nothing run', async () => {
    const ids = await insertPlayers(t, 3, { credits: 1000 });
    const k = key();
    await crashedRun(k, ids, ids.slice(0, 1), 100, 60);
    const res = await bulkGrant(ids, 100, k).expect(409);
    expectErrorBody(res.body, 'IDEMPOTENCY_KEY_IN_PROGRESS');
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    expect(await creditsOf(ids)).toEqual(['1100', '1000', '1000']);
    expect(await count(t, 'admin_emergency_actions', 'player_id = ANY($1)', [ids])).toBe(0);
    // Another body is still told apart first.
    expectErrorBody((await bulkGrant(ids, 7, k).expect(422)).body, 'IDEMPOTENCY_KEY_REUSED');
  });

  it('expired emergency/bulk keys are purged with their recorded players', async () => {
    const ids = await insertPlayers(t, 2, { credits: 1000 });
    const k = key();
    await bulkGrant(ids, 100, k).expect(200);
    expect(await count(t, 'admin_idempotency_items', 'user_id = $1 AND key = $2', [admin.userId, k])).toBe(2);
    await expire(k);
    await t.app.get(MarketMaintenanceService).snapshot();
    expect(await keyRows(k)).toBe(0);
    expect(await count(t, 'admin_idempotency_items', 'user_id = $1 AND key = $2', [admin.userId, k])).toBe(0);
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

  onPostgres('copies of an emergency/bulk sent at once act on each player once', async () => {
    const ids = await insertPlayers(t, 5, { credits: 1000 });
    const k = key();
    const results = await Promise.all(Array.from({ length: 6 }, () => bulkGrant(ids, 100, k)));
    const ran = results.filter((r) => r.status === 200 && r.headers['idempotent-replayed'] === undefined);
    expect(ran).toHaveLength(1);
    for (const r of results) {
      if (r.status === 409) {
        expectErrorBody(r.body, 'IDEMPOTENCY_KEY_IN_PROGRESS');
        expect(r.headers['retry-after']).toBeDefined();
      } else {
        expect(r.status).toBe(200);
        expect(dataText(r)).toBe(dataText(ran[0]!));
      }
    }
    expect(await creditsOf(ids)).toEqual(Array(5).fill('1100'));
    for (const id of ids) expect(await written(id)).toMatchObject({ actions: 1, audit: 1 });
    expect((await bulkGrant(ids, 100, k).expect(200)).headers['idempotent-replayed']).toBe('true');
  });

  onPostgres(
    'a stalled emergency/bulk whose lease was taken over: both runs finish, each player changed once',
    async () => {
      const ids = await insertPlayers(t, 3, { credits: 1000 });
      const k = key();
      const direct = new pg.Client({ connectionString: t.config.databaseUrl });
      const watch = new pg.Client({ connectionString: t.config.databaseUrl });
      await direct.connect();
      await watch.connect();
      const lockWaiters = async (n: number) => {
        const { rows } = await watch.query(
          `SELECT count(*)::int AS n FROM pg_stat_activity
         WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()`,
        );
        return rows[0].n >= n ? true : undefined;
      };
      try {
        // The first run grants ids[0], then stalls on ids[1]; its lease runs out (as if its node hung) and a copy
        // takes over: it answers ids[0] from the record and stalls on ids[1] too.
        await direct.query('BEGIN');
        await direct.query('SELECT 1 FROM players WHERE id = $1 FOR UPDATE', [ids[1]]);
        const stalled = bulkGrant(ids, 100, k).then((r) => r);
        await eventually(() => lockWaiters(1));
        await t.db.query(
          // (lease_holder too: a hung node's heartbeat does not renew it meanwhile)
          `UPDATE admin_idempotency_keys SET lease_until = now() - interval '1 second', lease_holder = NULL
         WHERE user_id = $1 AND key = $2`,
          [admin.userId, k],
        );
        const takeover = bulkGrant(ids, 100, k).then((r) => r);
        await eventually(() => lockWaiters(2));
        await direct.query('COMMIT');
        const [a, b] = await Promise.all([stalled, takeover]);
        expect([a.status, b.status]).toEqual([200, 200]);
        expect(b.body.data).toEqual(a.body.data);
        expect(await creditsOf(ids)).toEqual(Array(3).fill('1100'));
        for (const id of ids) expect(await written(id)).toMatchObject({ actions: 1, audit: 1 });
        const again = await bulkGrant(ids, 100, k).expect(200);
        expect(again.headers['idempotent-replayed']).toBe('true');
        expect(again.body.data).toEqual(a.body.data);
      } finally {
        await direct.query('ROLLBACK').catch(() => undefined);
        await direct.end();
        await watch.end();
      }
    },
  );
});
