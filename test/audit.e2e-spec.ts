import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestApp, type TestApp } from './support/test-app.js';
import { expectErrorBody, loginAs, registerPlayer, type Session } from './support/factories.js';

describe('audit', () => {
  let t: TestApp;
  let admin: Session;
  let auditor: Session;
  let superadmin: Session;
  let target: Session;

  /** Three audited admin changes on `target`, each with its own reason. */
  beforeAll(async () => {
    t = await startTestApp();
    admin = await loginAs(t, 'admin');
    auditor = await loginAs(t, 'auditor');
    superadmin = await loginAs(t, 'superadmin');
    target = await registerPlayer(t);
    for (let version = 1; version <= 3; version++) {
      await t
        .http()
        .put(`/api/v1/admin/players/${target.playerId}/comprehensive`)
        .set(admin.auth)
        .send({ reason: `adjustment ${version}`, version, turns: 100 + version })
        .expect(200);
    }
  });
  afterAll(async () => {
    await t.close();
  });

  describe('GET /audit/logs', () => {
    it('returns entries newest first with who, what, whom, why, before/after and the chain hashes', async () => {
      const res = await t
        .http()
        .get('/api/v1/audit/logs')
        .query({ target: target.playerId })
        .set(auditor.auth)
        .expect(200);
      const items = res.body.data.items;
      expect(items.map((i: { reason: string }) => i.reason)).toEqual([
        'adjustment 3',
        'adjustment 2',
        'adjustment 1',
      ]);
      expect(items[0]).toMatchObject({
        actor_id: admin.userId,
        actor_role: 'admin',
        action: 'players.update',
        outcome: 'success',
        target_type: 'player',
        before: { turns: 102 },
        after: { turns: 103 },
        client_ip: '127.0.0.1',
      });
      expect(items[0].hash).toMatch(/^[0-9a-f]{64}$/);
      expect(items[0].prev_hash).toBe(items[1].hash);
    });

    it('filters by actor, action, outcome and time range, and pages with a cursor', async () => {
      const byActor = await t
        .http()
        .get('/api/v1/audit/logs')
        .query({ actor: admin.userId, limit: 2 })
        .set(superadmin.auth)
        .expect(200);
      expect(byActor.body.data.items).toHaveLength(2);
      expect(byActor.body.data.next_cursor).toEqual(expect.any(String));
      const rest = await t
        .http()
        .get('/api/v1/audit/logs')
        .query({ actor: admin.userId, limit: 2, cursor: byActor.body.data.next_cursor })
        .set(superadmin.auth)
        .expect(200);
      expect(rest.body.data.items).toHaveLength(1);
      expect(rest.body.data.next_cursor).toBeNull();

      const future = await t
        .http()
        .get('/api/v1/audit/logs')
        .query({ action: 'players.update', from: new Date(Date.now() + 60_000).toISOString() })
        .set(auditor.auth)
        .expect(200);
      expect(future.body.data.items).toEqual([]);
      const past = await t
        .http()
        .get('/api/v1/audit/logs')
        .query({
          action: 'players.update',
          to: new Date(Date.now() + 60_000).toISOString(),
          outcome: 'success',
        })
        .set(auditor.auth)
        .expect(200);
      expect(past.body.data.items.length).toBeGreaterThanOrEqual(3);
    });

    it('pages through every row exactly once, newest first, past a power of ten', async () => {
      // Denied attempts are audited too: enough of them to cross id 10 and 100 (text order would break there).
      const [{ n: existing }] = await t.db.query('SELECT count(*)::int AS n FROM audit_log');
      for (let i = existing; i < 105; i++) {
        await t.http().get('/api/v1/admin/market/halts').set(target.auth).expect(403);
      }
      const [{ n: total }] = await t.db.query('SELECT count(*)::int AS n FROM audit_log');
      const ids: number[] = [];
      let cursor: string | null = null;
      do {
        const page = await t
          .http()
          .get('/api/v1/audit/logs')
          .query({ limit: 7, ...(cursor ? { cursor } : {}) })
          .set(auditor.auth)
          .expect(200);
        ids.push(...(page.body.data.items as Array<{ id: string }>).map((r) => Number(r.id)));
        cursor = page.body.data.next_cursor as string | null;
      } while (cursor !== null);
      expect(ids).toHaveLength(total);
      expect(ids).toEqual([...ids].sort((a, b) => b - a));
      expect(new Set(ids).size).toBe(total);
    });

    it('rejects bad filters with 400', async () => {
      for (const q of [
        { actor: 'bob' },
        { from: 'last week' },
        { limit: 1000 },
        { outcome: 'maybe' },
        { cursor: -1 },
      ]) {
        const res = await t.http().get('/api/v1/audit/logs').query(q).set(auditor.auth).expect(400);
        expectErrorBody(res.body, 'VALIDATION_FAILED');
      }
    });

    it('is for auditors and superadmins only; a denied attempt is itself audited', async () => {
      await t.http().get('/api/v1/audit/logs').expect(401);
      await t.http().get('/api/v1/audit/logs').set(admin.auth).expect(403);
      await t.http().get('/api/v1/audit/logs').set(target.auth).expect(403);
      const mod = await loginAs(t, 'moderator');
      await t.http().get('/api/v1/audit/verify').set(mod.auth).expect(403);
      const res = await t
        .http()
        .get('/api/v1/audit/logs')
        .query({ outcome: 'denied', actor: mod.userId })
        .set(auditor.auth)
        .expect(200);
      expect(res.body.data.items).toEqual([
        expect.objectContaining({
          action: 'GET /api/v1/audit/verify',
          outcome: 'denied',
          actor_role: 'moderator',
        }),
      ]);
    });
  });

  describe('append-only and tamper-evident', () => {
    it('rejects UPDATE, DELETE and TRUNCATE in the database itself', async () => {
      await expect(t.db.query(`UPDATE audit_log SET reason = 'rewritten'`)).rejects.toThrow(/append-only/);
      await expect(t.db.query(`DELETE FROM audit_log`)).rejects.toThrow(/append-only/);
      await expect(t.db.query(`TRUNCATE audit_log`)).rejects.toThrow(/append-only/);
    });

    it('verifies an intact chain', async () => {
      const res = await t.http().get('/api/v1/audit/verify').set(auditor.auth).expect(200);
      expect(res.body.data).toMatchObject({ valid: true, first_broken: null });
      expect(res.body.data.checked_rows).toBeGreaterThanOrEqual(3);
      expect(res.body.data.head_hash).toMatch(/^[0-9a-f]{64}$/);
    });

    it('names the first row an attacker with table rights edited, and a deleted row', async () => {
      const rows = await t.db.query(`SELECT id::text FROM audit_log WHERE target_id = $1 ORDER BY id`, [
        target.playerId,
      ]);
      const [first, second] = rows.map((r: { id: string }) => r.id);
      // A superuser can switch the guard off; the hash chain still tells.
      await t.db.query('ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update_delete');
      try {
        await t.db.query(`UPDATE audit_log SET reason = 'nothing to see' WHERE id = $1`, [second]);
        const edited = await t.http().get('/api/v1/audit/verify').set(superadmin.auth).expect(200);
        expect(edited.body.data).toMatchObject({
          valid: false,
          first_broken: { id: second, problem: 'hash_mismatch' },
        });

        await t.db.query(`DELETE FROM audit_log WHERE id = $1`, [second]);
        const deleted = await t.http().get('/api/v1/audit/verify').set(superadmin.auth).expect(200);
        expect(deleted.body.data.valid).toBe(false);
        expect(deleted.body.data.first_broken.problem).toBe('broken_link');
        expect(BigInt(deleted.body.data.first_broken.id)).toBeGreaterThan(BigInt(first));
      } finally {
        await t.db.query('ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update_delete');
      }
    });
  });
});
