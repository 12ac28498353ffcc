import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { EventBus } from '@nestjs/cqrs';
import { randomUUID } from 'node:crypto';
import { EMBEDDED_POSTGRES } from '../src/infrastructure/database/database.module.js';
import type { EmbeddedPostgres } from '../src/infrastructure/database/embedded-postgres.js';
import { BulkOperationsWorker } from '../src/modules/bulk-ops/bulk-operations.worker.js';
import { BulkOperationProgressEvent } from '../src/modules/bulk-ops/events/bulk-operation-progress.event.js';
import { CreditsChangedEvent } from '../src/modules/players/events/credits-changed.event.js';
import { createTestDatabase, eventually, startTestApp, type TestApp } from './support/test-app.js';
import { expectErrorBody, loginAs, registerPlayer, type Session } from './support/factories.js';
import { count, insertPlayers, playerRow } from './support/adminops-fixtures.js';

jest.setTimeout(180_000);

const API = '/api/v1/admin/players/bulk-operations';

async function waitForStatus(t: TestApp, s: Session, id: string, statuses: string[]) {
  return eventually(async () => {
    const res = await t.http().get(`${API}/${id}/status`).set(s.auth).expect(200);
    return statuses.includes(res.body.data.status) ? res.body.data : undefined;
  }, 60_000);
}

/** Every player id in the per-batch audit rows of one operation, with how often it appears. */
async function auditedPlayers(t: TestApp, opId: string): Promise<Map<string, number>> {
  const rows: { after: { changes: Record<string, unknown>; issues: [string, string, string][] } }[] =
    await t.db.query(
      `SELECT after FROM audit_log WHERE action = 'bulk_ops.batch' AND target_id = $1 ORDER BY id`,
      [opId],
    );
  const seen = new Map<string, number>();
  for (const r of rows) {
    for (const id of [...Object.keys(r.after.changes), ...r.after.issues.map((i) => i[0])]) {
      seen.set(id, (seen.get(id) ?? 0) + 1);
    }
  }
  return seen;
}

describe('bulk operations', () => {
  let t: TestApp;
  let admin: Session;
  let mod: Session;
  const published: object[] = [];

  beforeAll(async () => {
    t = await startTestApp({ BULK_BATCH_SIZE: '7', BULK_POLL_MS: '100' });
    admin = await loginAs(t, 'admin');
    mod = await loginAs(t, 'moderator');
    t.app.get(EventBus).subscribe((e: object) => published.push(e));
  });
  afterAll(async () => {
    await t.close();
  });

  it('routes: the static bulk-operations path is not taken for a player id', async () => {
    const res = await t.http().get(API).set(admin.auth).expect(200);
    expect(Array.isArray(res.body.data.items)).toBe(true);
    expectErrorBody(
      (await t.http().get(`${API}/${randomUUID()}/status`).set(admin.auth).expect(404)).body,
      'BULK_OPS.NOT_FOUND',
    );
    expectErrorBody(
      (await t.http().get(`${API}/nope/status`).set(admin.auth).expect(400)).body,
      'VALIDATION_FAILED',
    );
    // The players controller's :id routes still work beside it.
    const [id] = await insertPlayers(t, 1);
    await t.http().get(`/api/v1/admin/players/${id}/detailed`).set(admin.auth).expect(200);
  });

  it('dry run: the count and a sample, nothing written', async () => {
    const ids = await insertPlayers(t, 12);
    const before = await count(t, 'admin_bulk_operations');
    const res = await t
      .http()
      .post(API)
      .set(admin.auth)
      .send({
        operation_type: 'adjust_credits',
        parameters: { amount: 5 },
        target: { player_ids: ids },
        reason: 'preview',
        dry_run: true,
      })
      .expect(200);
    expect(res.body.data).toMatchObject({ dry_run: true, total_targets: 12 });
    expect(res.body.data.sample).toHaveLength(10);
    expect(await count(t, 'admin_bulk_operations')).toBe(before);
    expect((await playerRow(t, ids[0]!)).credits).toBe('10000');
  });

  it('adjust_credits over ids: completes in batches, reports failures per player, audits each batch', async () => {
    const ids = await insertPlayers(t, 20, { credits: 100 });
    const poor = await insertPlayers(t, 3, { credits: 10 });
    const res = await t
      .http()
      .post(API)
      .set(admin.auth)
      .send({
        operation_type: 'adjust_credits',
        parameters: { amount: -50 },
        target: { player_ids: [...ids, ...poor] },
        reason: 'event rollback',
      })
      .expect(202);
    const opId = res.body.data.operation_id;
    expect(res.body.data).toMatchObject({ status: 'pending', total_targets: 23 });
    const done = await waitForStatus(t, admin, opId, ['completed', 'failed']);
    expect(done).toMatchObject({
      status: 'completed',
      progress: 1,
      counts: { total: 23, processed: 23, succeeded: 20, failed: 3, skipped: 0 },
    });
    expect(done.batches_done).toBeGreaterThanOrEqual(4); // batches of at most 7, per id-range slice
    expect(done.errors.total).toBe(3);
    expect(done.errors.items[0]).toMatchObject({ outcome: 'failed', code: 'INSUFFICIENT_CREDITS' });
    const page = await t
      .http()
      .get(`${API}/${opId}/status?errors_limit=2&errors_page=2`)
      .set(admin.auth)
      .expect(200);
    expect(page.body.data.errors).toMatchObject({ total: 3, page: 2, page_size: 2 });
    expect(page.body.data.errors.items).toHaveLength(1);
    for (const id of ids) expect((await playerRow(t, id)).credits).toBe('50');
    for (const id of poor) expect((await playerRow(t, id)).credits).toBe('10');
    const audited = await auditedPlayers(t, opId);
    expect(audited.size).toBe(23);
    expect([...audited.values()].every((n) => n === 1)).toBe(true);
    expect(await count(t, 'audit_log', "action = 'bulk_ops.create' AND target_id = $1", [opId])).toBe(1);
    const progress = published.filter(
      (e) => e instanceof BulkOperationProgressEvent && e.operationId === opId,
    ) as BulkOperationProgressEvent[];
    expect(progress[0]!.status).toBe('pending');
    expect(progress[progress.length - 1]).toMatchObject({ status: 'completed', progress: 1 });
    expect(
      published.filter(
        (e) => e instanceof CreditsChangedEvent && e.source === 'bulk_operation' && ids.includes(e.playerId),
      ),
    ).toHaveLength(20);
    const list = await t.http().get(`${API}?status=completed`).set(admin.auth).expect(200);
    expect(list.body.data.items.some((o: { id: string }) => o.id === opId)).toBe(true);
  });

  it('every operation type; a filter target reuses the enhanced filters; already-done players are skipped', async () => {
    const ids = await insertPlayers(t, 9, { risk_score: 30 });
    const [prefixRow] = await t.db.query('SELECT username FROM players WHERE id = $1', [ids[0]]);
    const search = String(prefixRow.username).replace(/_\d+$/, '');
    await t.db.query(`UPDATE players SET status = 'frozen' WHERE id = $1`, [ids[0]]);
    await t.db.query(`INSERT INTO sectors (id, name) VALUES (77, 'Far') ON CONFLICT DO NOTHING`);
    const run = async (operation_type: string, parameters: object) => {
      const r = await t
        .http()
        .post(API)
        .set(admin.auth)
        .send({
          operation_type,
          parameters,
          target: { filter: { search } },
          reason: `test ${operation_type}`,
        })
        .expect(202);
      return waitForStatus(t, admin, r.body.data.operation_id, ['completed', 'failed']);
    };
    expect((await run('set_status', { status: 'frozen' })).counts).toMatchObject({
      succeeded: 8,
      skipped: 1,
    });
    expect(await count(t, 'players', `status = 'frozen' AND id = ANY($1)`, [ids])).toBe(9);
    expect((await run('set_status', { status: 'active' })).counts).toMatchObject({ succeeded: 9 });
    expect((await run('adjust_turns', { amount: -100 })).counts).toMatchObject({ succeeded: 9 });
    expect((await playerRow(t, ids[3]!)).turns).toBe(900);
    expect((await run('teleport', { sector_id: 77 })).counts).toMatchObject({ succeeded: 9 });
    expect((await playerRow(t, ids[3]!)).current_sector).toBe(77);
    expect((await run('reset_risk', {})).counts).toMatchObject({ succeeded: 9 });
    expect((await playerRow(t, ids[3]!)).risk_score).toBe(0);
    expect((await run('reset_risk', {})).counts).toMatchObject({ skipped: 9 });
    expect((await run('grant_ship', { ship_type: 'scout' })).counts).toMatchObject({ succeeded: 9 });
    expect(await count(t, 'ships', `type = 'scout' AND player_id = ANY($1)`, [ids])).toBe(9);
    expect((await playerRow(t, ids[3]!)).active_ship_id).not.toBeNull();
    expect((await run('send_message', { message: 'Server restart at noon' })).counts).toMatchObject({
      succeeded: 9,
    });

    const p = await registerPlayer(t);
    const ban = await t
      .http()
      .post(API)
      .set(admin.auth)
      .send({
        operation_type: 'set_status',
        parameters: { status: 'banned', ban_hours: 2 },
        target: { player_ids: [p.playerId] },
        reason: 'ring',
      })
      .expect(202);
    await waitForStatus(t, admin, ban.body.data.operation_id, ['completed']);
    await t.http().post('/api/v1/auth/refresh').send({ refresh_token: p.refreshToken }).expect(401);
  });

  it('set_status banned extends a shorter or lapsed ban and skips only a ban that already lasts as long', async () => {
    const [shorter, lapsed, permanent, longer, free] = await insertPlayers(t, 5);
    await t.db.query(
      `UPDATE players SET status = 'banned', ban_reason = 'earlier',
              ban_until = CASE id WHEN $1::uuid THEN now() + interval '1 hour' WHEN $2::uuid THEN now() - interval '1 minute'
                                  WHEN $3::uuid THEN NULL ELSE now() + interval '100 hours' END
       WHERE id = ANY($4)`,
      [shorter, lapsed, permanent, [shorter, lapsed, permanent, longer]],
    );
    const ban = async (parameters: object, ids: (string | undefined)[]) => {
      const r = await t
        .http()
        .post(API)
        .set(admin.auth)
        .send({ operation_type: 'set_status', parameters, target: { player_ids: ids }, reason: 'bot ring' })
        .expect(202);
      return waitForStatus(t, admin, r.body.data.operation_id, ['completed', 'failed']);
    };
    const twoDays = await ban({ status: 'banned', ban_hours: 48 }, [
      shorter,
      lapsed,
      permanent,
      longer,
      free,
    ]);
    expect(twoDays.counts).toMatchObject({ succeeded: 3, skipped: 2, failed: 0 });
    for (const id of [shorter, lapsed, free]) {
      const row = await playerRow(t, id!);
      expect(row.status).toBe('banned');
      expect(row.ban_until!.getTime()).toBeGreaterThan(Date.now() + 47 * 3600_000);
    }
    expect((await playerRow(t, permanent!)).ban_until).toBeNull();
    expect((await playerRow(t, longer!)).ban_until!.getTime()).toBeGreaterThan(Date.now() + 99 * 3600_000);

    const forever = await ban({ status: 'banned' }, [shorter, permanent]);
    expect(forever.counts).toMatchObject({ succeeded: 1, skipped: 1 });
    expect(await playerRow(t, shorter!)).toMatchObject({ status: 'banned', ban_until: null });
  });

  it('set_status banned remembers the status it interrupts, a ban over it keeps that, and an unban gives it back', async () => {
    const [frozen, restored] = await insertPlayers(t, 2, { status: 'frozen' });
    const [suspended] = await insertPlayers(t, 1, { status: 'suspended' });
    const setStatus = async (parameters: object, ids: (string | undefined)[]) => {
      const r = await t
        .http()
        .post(API)
        .set(admin.auth)
        .send({
          operation_type: 'set_status',
          parameters,
          target: { player_ids: ids },
          reason: 'chargeback ring',
        })
        .expect(202);
      return waitForStatus(t, admin, r.body.data.operation_id, ['completed', 'failed']);
    };
    const first = await setStatus({ status: 'banned', ban_hours: 2 }, [frozen, restored, suspended]);
    expect(first.counts).toMatchObject({ succeeded: 3 });
    const [batch] = await t.db.query(
      `SELECT after->'changes'->$2 AS change FROM audit_log
       WHERE action = 'bulk_ops.batch' AND target_id = $1 AND after->'changes' ? $2`,
      [first.id, frozen],
    );
    expect(batch.change[1]).toMatchObject({ status: 'banned', status_before_ban: 'frozen' });
    // A longer ban replaces the first one; what the player was before the first is what the unban gives back.
    expect((await setStatus({ status: 'banned' }, [frozen, restored, suspended])).counts).toMatchObject({
      succeeded: 3,
    });
    for (const [id, status] of [
      [frozen, 'frozen'],
      [suspended, 'suspended'],
    ] as const) {
      const unban = await t
        .http()
        .post(`/api/v1/admin/players/${id}/emergency/unban`)
        .set(admin.auth)
        .send({ reason: 'ring was a false positive' })
        .expect(200);
      expect(unban.body.data.result_details).toEqual({ from: 'banned', to: status });
      expect((await playerRow(t, id!)).status).toBe(status);
    }
    // A status named outright is set as ordered, and the ban's memory goes with the ban.
    expect((await setStatus({ status: 'active' }, [restored])).counts).toMatchObject({ succeeded: 1 });
    const [row] = await t.db.query('SELECT status, status_before_ban FROM players WHERE id = $1', [restored]);
    expect(row).toEqual({ status: 'active', status_before_ban: null });
  });

  it('bad input is a 400 naming the field, and writes nothing; 401; 403 for moderators', async () => {
    const [id] = await insertPlayers(t, 1);
    const before = await count(t, 'admin_bulk_operations');
    const post = (body: object) =>
      t
        .http()
        .post(API)
        .set(admin.auth)
        .send({
          operation_type: 'adjust_credits',
          parameters: { amount: 5 },
          target: { player_ids: [id] },
          reason: 'valid reason',
          ...body,
        });
    const cases: [object, string][] = [
      [{ operation_type: 'delete_everyone' }, 'operation_type'],
      [{ parameters: { amount: 0 } }, 'parameters.amount'],
      [{ parameters: { amount: 5, extra: 1 } }, 'parameters.extra'],
      [{ operation_type: 'teleport', parameters: { sector_id: 999999 } }, 'parameters.sector_id'],
      [{ target: {} }, 'target'],
      [{ target: { player_ids: [id], filter: {} } }, 'target'],
      [{ target: { player_ids: [randomUUID()] } }, 'target.player_ids'],
      [{ target: { player_ids: ['nope'] } }, 'target.player_ids'],
      [{ target: { filter: { min_risk: 500 } } }, 'target.filter.min_risk'],
      [{ target: { filter: { sort: 'credits:desc' } } }, 'target.filter.sort'],
      [{ reason: '' }, 'reason'],
    ];
    for (const [body, field] of cases) {
      const res = await post(body).expect(400);
      expectErrorBody(res.body, 'VALIDATION_FAILED');
      expect(Object.keys(res.body.fields ?? {})).toContain(field);
    }
    expect(await count(t, 'admin_bulk_operations')).toBe(before);
    await t.http().post(API).set(mod.auth).send({}).expect(403);
    await t.http().get(API).set(mod.auth).expect(403);
    await t.http().post(API).send({}).expect(401);
    await t.http().get(API).expect(401);
  });

  it('cancelling a finished operation is 409', async () => {
    const [id] = await insertPlayers(t, 1);
    const r = await t
      .http()
      .post(API)
      .set(admin.auth)
      .send({ operation_type: 'reset_risk', parameters: {}, target: { player_ids: [id] }, reason: 'tidy up' })
      .expect(202);
    await waitForStatus(t, admin, r.body.data.operation_id, ['completed']);
    expectErrorBody(
      (
        await t
          .http()
          .post(`${API}/${r.body.data.operation_id}/cancel`)
          .set(admin.auth)
          .send({ reason: 'too late' })
          .expect(409)
      ).body,
      'BULK_OPS.NOT_CANCELLABLE',
    );
    await t.http().post(`${API}/${r.body.data.operation_id}/cancel`).set(admin.auth).send({}).expect(400);
    await t
      .http()
      .post(`${API}/${r.body.data.operation_id}/cancel`)
      .set(mod.auth)
      .send({ reason: 'x y z' })
      .expect(403);
    await t
      .http()
      .post(`${API}/${randomUUID()}/cancel`)
      .set(admin.auth)
      .send({ reason: 'x y z' })
      .expect(404);
  });
});

describe('bulk operations: cancel, rate limit', () => {
  let s: TestApp;
  let admin: Session;

  beforeAll(async () => {
    s = await startTestApp({
      BULK_BATCH_SIZE: '2',
      BULK_BATCH_PAUSE_MS: '200',
      BULK_RATE_LIMIT_PER_HOUR: '2',
      BULK_POLL_MS: '100',
    });
    admin = await loginAs(s, 'admin');
  });
  afterAll(async () => {
    await s.close();
  });

  it('cancel stops a running job after the batch in flight; what was done stays done and is reported', async () => {
    const ids = await insertPlayers(s, 40, { credits: 100 });
    const r = await s
      .http()
      .post(API)
      .set(admin.auth)
      .send({
        operation_type: 'adjust_credits',
        parameters: { amount: 1 },
        target: { player_ids: ids },
        reason: 'slow grant',
      })
      .expect(202);
    const opId = r.body.data.operation_id;
    await eventually(async () => {
      const res = await s.http().get(`${API}/${opId}/status`).set(admin.auth).expect(200);
      return res.body.data.batches_done >= 2 ? true : undefined;
    });
    const c = await s
      .http()
      .post(`${API}/${opId}/cancel`)
      .set(admin.auth)
      .send({ reason: 'wrong amount' })
      .expect(200);
    expect(c.body.data.cancel_requested).toBe(true);
    const final = await waitForStatus(s, admin, opId, ['cancelled']);
    const stopMs = Date.parse(final.finished_at) - Date.parse(final.cancel_requested_at);
    expect(stopMs).toBeLessThan(1000);
    expect(final.counts.processed).toBeLessThan(40);
    const changed = await s.db.query(
      `SELECT count(*)::int AS n FROM players WHERE id = ANY($1) AND credits = 101`,
      [ids],
    );
    expect(changed[0].n).toBe(final.counts.succeeded);
    expect(await count(s, 'players', `id = ANY($1) AND credits NOT IN (100, 101)`, [ids])).toBe(0);
  });

  it('limits bulk operations per admin', async () => {
    const [id] = await insertPlayers(s, 1);
    const body = {
      operation_type: 'reset_risk',
      parameters: {},
      target: { player_ids: [id] },
      reason: 'limit test',
    };
    await s.http().post(API).set(admin.auth).send(body).expect(202); // the cancel test used the first
    const res = await s.http().post(API).set(admin.auth).send(body).expect(429);
    expectErrorBody(res.body, 'RATE_LIMITED');
    expect(res.headers['retry-after']).toBe(String(res.body.retry_after_seconds));
    await s
      .http()
      .post(API)
      .set(admin.auth)
      .send({ ...body, dry_run: true })
      .expect(200); // dry runs are free
  });
});

// Several nodes share one database only on a real Postgres (CI's second pass): the embedded PGlite is one
// process and one session, and apps sharing it through its socket proved timing-sensitive on a busy machine.
const onPostgres = process.env.TEST_DATABASE_URL ? it : it.skip;

describe('bulk operations: a dead worker is taken over', () => {
  onPostgres(
    'another node finishes the job from the last committed batch; no player is changed twice',
    async () => {
      // One database, several app instances. Embedded: a host app (no worker) serves its PGlite to the others.
      const database = await createTestDatabase('takeover');
      const host = await startTestApp(
        { BULK_WORKER_ENABLED: 'false' },
        database.url ? { database } : undefined,
      );
      const embeddedUrl = (host.app.get(EMBEDDED_POSTGRES) as EmbeddedPostgres | null)?.url;
      const shared = { database: { url: database.url ?? embeddedUrl, drop: async () => undefined } };
      const worker = {
        BULK_BATCH_SIZE: '5',
        BULK_BATCH_PAUSE_MS: '150',
        BULK_LEASE_MS: '1000',
        BULK_POLL_MS: '100',
        DB_POOL_SIZE: '4',
      };
      const a = await startTestApp(worker, shared);
      let b: TestApp | undefined;
      try {
        const admin = await loginAs(host, 'admin');
        const ids = await insertPlayers(host, 60, { credits: 1000 });
        const r = await a
          .http()
          .post(API)
          .set(admin.auth)
          .send({
            operation_type: 'adjust_credits',
            parameters: { amount: 7 },
            target: { player_ids: ids },
            reason: 'takeover test',
          })
          .expect(202);
        const opId = r.body.data.operation_id;
        const [{ lease_owner: firstWorker }] = await eventually(async () => {
          const rows = await host.db.query(
            `SELECT lease_owner, batches_done FROM admin_bulk_operations WHERE id = $1`,
            [opId],
          );
          return rows[0].batches_done >= 2 ? rows : undefined;
        });
        b = await startTestApp(worker, shared);
        await a.close(); // the first worker dies between batches, keeping its lease until it runs out
        const [mid] = await host.db.query(
          `SELECT status, processed FROM admin_bulk_operations WHERE id = $1`,
          [opId],
        );
        expect(mid.status).toBe('running');
        expect(mid.processed).toBeLessThan(60);

        const done = await waitForStatus(host, admin, opId, ['completed', 'failed']);
        expect(done).toMatchObject({
          status: 'completed',
          counts: { total: 60, processed: 60, succeeded: 60, failed: 0 },
        });
        expect(done.batches_done).toBeGreaterThanOrEqual(12);
        const [finalRow] = await host.db.query(
          `SELECT lease_owner FROM admin_bulk_operations WHERE id = $1`,
          [opId],
        );
        expect(finalRow.lease_owner).toBeNull();
        // Exactly once: every player +7, never +14, and each appears in exactly one batch's audit row.
        expect(await count(host, 'players', `id = ANY($1) AND credits = 1007`, [ids])).toBe(60);
        const audited = await auditedPlayers(host, opId);
        expect(audited.size).toBe(60);
        expect([...audited.values()].every((n) => n === 1)).toBe(true);
        const owners: { request_id: string }[] = await host.db.query(
          `SELECT DISTINCT request_id FROM audit_log WHERE action = 'bulk_ops.batch' AND target_id = $1`,
          [opId],
        );
        expect(owners).toHaveLength(1); // every batch is attributed to the operation, whichever node ran it
        expect(firstWorker).toBe(a.app.get(BulkOperationsWorker).workerId);
        expect(firstWorker).not.toBe(b.app.get(BulkOperationsWorker).workerId);
      } finally {
        await b?.close();
        await host.close();
        await database.drop();
      }
    },
  );
});
