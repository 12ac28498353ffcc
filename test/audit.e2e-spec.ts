import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes, randomUUID } from 'node:crypto';
import { PATH_METADATA } from '@nestjs/common/constants.js';
import { DiscoveryService, Reflector } from '@nestjs/core';
import type { Counter, Gauge } from 'prom-client';
import { createTestDatabase, startTestApp, type TestApp, type TestDatabase } from './support/test-app.js';
import { expectErrorBody, loginAs, registerPlayer, type Session } from './support/factories.js';
import { startWalk as startChainWalk, untilTightly } from './support/audit-walks.js';
import type { AuditChainReportDto } from '../src/modules/audit/dto/audit-chain-report.response.dto.js';
import { MetricsService } from '../src/infrastructure/metrics/metrics.service.js';
import { AUDIT_TARGET, REQUIRED_PERMISSIONS } from '../src/modules/auth/decorators.js';
import type { AuditTargetSpec } from '../src/modules/auth/domain/denied-target.js';

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

  /** Runs `change` as an attacker with table rights would: with the append-only guard switched off. */
  const withGuardOff = async (change: () => Promise<unknown>) => {
    await t.db.query('ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update_delete');
    try {
      await change();
    } finally {
      await t.db.query('ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update_delete');
    }
  };

  /** Tampers with `statements`, runs `check`, then puts back every row's time, reason and hashes (all they change). */
  const whileTampered = async (statements: string[], check: () => Promise<void>) => {
    await t.db.query(
      'CREATE TABLE audit_log_saved AS SELECT id, occurred_at, reason, prev_hash, hash FROM audit_log',
    );
    try {
      await withGuardOff(async () => {
        for (const sql of statements) await t.db.query(sql);
      });
      await check();
    } finally {
      await withGuardOff(() =>
        t.db.query(`UPDATE audit_log a
                    SET occurred_at = s.occurred_at, reason = s.reason, prev_hash = s.prev_hash, hash = s.hash
                    FROM audit_log_saved s WHERE a.id = s.id`),
      );
      await t.db.query('DROP TABLE audit_log_saved');
    }
  };

  const verify = async (query: Record<string, string | number> = {}): Promise<AuditChainReportDto> =>
    (await t.http().get('/api/v1/audit/verify').query(query).set(auditor.auth).expect(200)).body.data;

  const chainIds = async (): Promise<string[]> =>
    (await t.db.query('SELECT id::text FROM audit_log ORDER BY audit_log.id')).map(
      (r: { id: string }) => r.id,
    );

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

    it('lists newest first by time, and pages through each row once, after the clock stepped back', async () => {
      const rows = await t.db.query(
        `SELECT id::text, occurred_at FROM audit_log WHERE target_id = $1 ORDER BY audit_log.id`,
        [target.playerId],
      );
      const [first, , third] = rows as { id: string; occurred_at: Date }[];
      // The third change was stamped by a clock set back to before the first.
      const steppedBack = new Date(first!.occurred_at.getTime() - 1000).toISOString();
      const list = async (query: Record<string, string | number>) =>
        (await t.http().get('/api/v1/audit/logs').query(query).set(auditor.auth).expect(200)).body.data;
      const reasons = (page: { items: { reason: string }[] }) => page.items.map((i) => i.reason);
      await whileTampered(
        [`UPDATE audit_log SET occurred_at = '${steppedBack}' WHERE id = ${third!.id}`],
        async () => {
          expect(reasons(await list({ target: target.playerId! }))).toEqual([
            'adjustment 2',
            'adjustment 1',
            'adjustment 3',
          ]);
          const paged: string[] = [];
          let cursor: string | null = null;
          do {
            const page = await list({ target: target.playerId!, limit: 1, ...(cursor ? { cursor } : {}) });
            paged.push(...reasons(page));
            cursor = page.next_cursor;
          } while (cursor !== null && paged.length < 10);
          expect(paged).toEqual(['adjustment 2', 'adjustment 1', 'adjustment 3']);
          const before = await list({ target: target.playerId!, to: first!.occurred_at.toISOString() });
          expect(reasons(before)).toEqual(['adjustment 3']);
        },
      );
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

  describe('denied attempts against an entity', () => {
    it('are recorded against the player the route names, found by its id in any case', async () => {
      const mod = await loginAs(t, 'moderator');
      const victim = await registerPlayer(t);
      const shouted = victim.playerId!.toUpperCase();
      await t
        .http()
        .put(`/api/v1/admin/players/${shouted}/comprehensive`)
        .set(mod.auth)
        .send({ reason: 'more turns', version: 1, turns: 5000 })
        .expect(403);
      await t
        .http()
        .post(`/api/v1/admin/players/${victim.playerId}/assets/transfer`)
        .set(mod.auth)
        .send({ to_player_id: target.playerId, credits: 10, reason: 'moving credits' })
        .expect(403);
      const denial = (action: string, reason: string) => ({
        actor_id: mod.userId,
        actor_role: 'moderator',
        action,
        outcome: 'denied',
        target_type: 'player',
        target_id: victim.playerId,
        reason,
        before: null,
        after: null,
        request_id: expect.any(String),
        client_ip: '127.0.0.1',
      });
      const expected = [
        denial('POST /api/v1/admin/players/:id/assets/transfer', 'missing permission: assets:transfer'),
        denial('PUT /api/v1/admin/players/:id/comprehensive', 'missing permission: players:update'),
      ];
      // The auditor pastes the id as the moderator typed it, or as the server hands it out: the same rows.
      for (const id of [shouted, victim.playerId!]) {
        const res = await t
          .http()
          .get('/api/v1/audit/logs')
          .query({ target: id })
          .set(auditor.auth)
          .expect(200);
        expect(res.body.data.items).toEqual([
          expect.objectContaining(expected[0]),
          expect.objectContaining(expected[1]),
        ]);
      }
      // And the console's view of the player shows them.
      const detailed = await t
        .http()
        .get(`/api/v1/admin/players/${victim.playerId}/detailed`)
        .set(admin.auth)
        .expect(200);
      expect(detailed.body.data.recent_audit).toEqual(
        expected.map(({ actor_id, action, outcome, reason }) =>
          expect.objectContaining({ actor_id, action, outcome, reason }),
        ),
      );
    });

    it('name other entities by their own type, and a route without one by its pattern', async () => {
      const mod = await loginAs(t, 'moderator');
      const opId = randomUUID();
      await t
        .http()
        .get(`/api/v1/admin/players/bulk-operations/${opId.toUpperCase()}/status`)
        .set(mod.auth)
        .expect(403);
      await t.http().get('/api/v1/admin/market/halts').query({ x: 1 }).set(mod.auth).expect(403);
      const rows = await t.db.query(
        `SELECT action, target_type, target_id FROM audit_log
          WHERE actor_id = $1 AND outcome = 'denied' ORDER BY id`,
        [mod.userId],
      );
      expect(rows).toEqual([
        {
          action: 'GET /api/v1/admin/players/bulk-operations/:opId/status',
          target_type: 'bulk_operation',
          target_id: opId,
        },
        {
          action: 'GET /api/v1/admin/market/halts',
          target_type: 'route',
          target_id: '/api/v1/admin/market/halts',
        },
      ]);
    });
  });

  describe('GET /audit/verify in ranges, with anchors', () => {
    const PAGE = 10;
    let ids: string[];
    let gapId: string;

    beforeAll(async () => {
      // A rolled-back insert still draws its id, so the chain skips it: ids have gaps.
      const runner = t.db.createQueryRunner();
      await runner.startTransaction();
      const [{ id }] = await runner.query(
        `INSERT INTO audit_log (action, prev_hash, hash) VALUES ('test.rolled_back', '', '') RETURNING id::text`,
      );
      await runner.rollbackTransaction();
      await runner.release();
      gapId = id;
      // Denied attempts are audited: rows after the gap, and past id 100 (text order would break there).
      const [{ n: existing }] = await t.db.query('SELECT count(*)::int AS n FROM audit_log');
      for (let i = Math.min(existing, 105); i < 108; i++) {
        await t.http().get('/api/v1/admin/market/halts').set(target.auth).expect(403);
      }
      ids = await chainIds();
      expect(ids).not.toContain(gapId);
    });

    it('without parameters checks the whole chain, as before, and says it reached the head', async () => {
      const all = await chainIds();
      expect(await verify()).toEqual({
        valid: true,
        checked_rows: all.length,
        head_id: all.at(-1),
        head_hash: expect.stringMatching(/^[0-9a-f]{64}$/),
        first_broken: null,
        from_id: all[0],
        to_id: all.at(-1),
        complete: true,
        next_from_id: null,
        anchor: null,
      });
    });

    it('pages through the chain in consecutive ranges that together cover every row, across an id gap', async () => {
      const pages: AuditChainReportDto[] = [];
      let from: string | null = null;
      do {
        const page = await verify({ limit: PAGE, ...(from ? { from_id: from } : {}) });
        pages.push(page);
        from = page.next_from_id;
      } while (from !== null && pages.length < 1000);
      const last = pages.at(-1)!;
      const all = (await chainIds()).filter((id) => BigInt(id) <= BigInt(last.to_id!));
      // Each range starts at the row after the previous one's last, and goes on where next_from_id says.
      const covered = pages.flatMap((p) => all.slice(all.indexOf(p.from_id!), all.indexOf(p.to_id!) + 1));
      expect(covered).toEqual(all);
      expect(pages.map((p) => p.checked_rows).reduce((a, b) => a + b)).toBe(all.length);
      for (const [i, page] of pages.slice(0, -1).entries()) {
        expect(page).toMatchObject({ valid: true, checked_rows: PAGE, complete: false, first_broken: null });
        expect(page.next_from_id).toBe((BigInt(page.to_id!) + 1n).toString());
        expect(pages[i + 1]!.from_id).toBe(all[all.indexOf(page.to_id!) + 1]);
      }
      expect(last).toMatchObject({ valid: true, complete: true, next_from_id: null, to_id: last.head_id });
    });

    it('checks a range that starts in a gap against the real predecessor of its first row', async () => {
      const after = ids.find((id) => BigInt(id) > BigInt(gapId))!;
      expect(await verify({ from_id: gapId, limit: 1 })).toMatchObject({
        valid: true,
        checked_rows: 1,
        from_id: after,
        to_id: after,
        first_broken: null,
      });
      expect(await verify({ from_id: '9007199254740991' })).toMatchObject({
        valid: true,
        checked_rows: 0,
        from_id: null,
        to_id: null,
        complete: true,
        next_from_id: null,
      });
    });

    it('finds an edited row in the middle of the second page there, and not on a page that ends before it', async () => {
      const edited = ids[PAGE + PAGE / 2]!;
      await whileTampered(
        [`UPDATE audit_log SET reason = 'nothing to see' WHERE id = ${edited}`],
        async () => {
          expect(await verify({ limit: PAGE })).toMatchObject({ valid: true, first_broken: null });
          expect(await verify({ from_id: ids[PAGE]!, limit: PAGE / 2 })).toMatchObject({
            valid: true,
            first_broken: null,
            to_id: ids[PAGE + PAGE / 2 - 1],
          });
          expect(await verify({ from_id: ids[PAGE]!, limit: PAGE })).toMatchObject({
            valid: false,
            first_broken: { id: edited, problem: 'hash_mismatch' },
            checked_rows: PAGE,
            from_id: ids[PAGE],
            to_id: ids[2 * PAGE - 1],
          });
        },
      );
    });

    it('finds a broken link at a page boundary: a rewritten last row whose hash was recomputed', async () => {
      const lastOfFirst = ids[PAGE - 1]!;
      await whileTampered(
        [
          `UPDATE audit_log SET reason = 'rewritten' WHERE id = ${lastOfFirst}`,
          `UPDATE audit_log a SET hash = audit_row_hash(a) WHERE id = ${lastOfFirst}`,
        ],
        async () => {
          expect(await verify({ limit: PAGE })).toMatchObject({ valid: true, to_id: lastOfFirst });
          const second = await verify({ from_id: ids[PAGE]!, limit: PAGE });
          expect(second).toMatchObject({
            valid: false,
            first_broken: { id: ids[PAGE], problem: 'broken_link' },
          });
          expect((await verify()).first_broken).toEqual({ id: ids[PAGE], problem: 'broken_link' });
        },
      );
    });

    it('says whether an anchor recorded earlier still matches; a missing row does not', async () => {
      const { head_id, head_hash } = await verify();
      expect(await verify({ anchor_id: head_id!, anchor_hash: head_hash!.toUpperCase() })).toMatchObject({
        valid: true,
        anchor: { id: head_id, hash: head_hash, matches: true },
      });
      const other = 'f'.repeat(64);
      expect(await verify({ anchor_id: head_id!, anchor_hash: other })).toMatchObject({
        valid: false,
        first_broken: null,
        anchor: { id: head_id, hash: other, matches: false },
      });
      for (const missing of [gapId, '9007199254740991']) {
        expect(await verify({ anchor_id: missing, anchor_hash: head_hash! })).toMatchObject({
          valid: false,
          anchor: { id: missing, matches: false },
        });
      }
    });

    it('catches a rewrite of the whole chain, which the hashes alone no longer show, by its anchor', async () => {
      const { head_id: anchorId, head_hash: anchorHash } = await verify();
      const edited = ids[2]!;
      // Edit a row, then recompute its hash and every later row's link and hash, in chain order.
      const recompute = `DO $$ DECLARE r audit_log; prev text; BEGIN
        FOR r IN SELECT * FROM audit_log WHERE id >= ${edited} ORDER BY id LOOP
          r.prev_hash := coalesce(prev, r.prev_hash);
          r.hash := audit_row_hash(r);
          UPDATE audit_log SET prev_hash = r.prev_hash, hash = r.hash WHERE id = r.id;
          prev := r.hash;
        END LOOP; END $$`;
      await whileTampered(
        [`UPDATE audit_log SET reason = 'rewritten history' WHERE id = ${edited}`, recompute],
        async () => {
          expect(await verify()).toMatchObject({ valid: true, first_broken: null });
          expect(await verify({ anchor_id: anchorId!, anchor_hash: anchorHash! })).toMatchObject({
            valid: false,
            first_broken: null,
            anchor: { id: anchorId, hash: anchorHash, matches: false },
          });
        },
      );
      expect(await verify({ anchor_id: anchorId!, anchor_hash: anchorHash! })).toMatchObject({ valid: true });
    });

    it('rejects bad parameters with 400 naming the field, and nothing else', async () => {
      const hash = 'a'.repeat(64);
      const cases: [Record<string, string | number>, string][] = [
        [{ from_id: 0 }, 'from_id'],
        [{ from_id: 'abc' }, 'from_id'],
        [{ from_id: '' }, 'from_id'],
        [{ from_id: '9007199254740993' }, 'from_id'],
        [{ from_id: '1e3' }, 'from_id'],
        [{ limit: 0 }, 'limit'],
        [{ limit: 1_000_001 }, 'limit'],
        [{ limit: '0x10' }, 'limit'],
        [{ anchor_id: 5 }, 'anchor_hash'],
        [{ anchor_hash: hash }, 'anchor_id'],
        [{ anchor_id: -1, anchor_hash: hash }, 'anchor_id'],
        [{ anchor_id: 5, anchor_hash: 'xyz' }, 'anchor_hash'],
        [{ anchor_id: 5, anchor_hash: 'g'.repeat(64) }, 'anchor_hash'],
        [{ anchor_id: 5, anchor_hash: `${hash}0` }, 'anchor_hash'],
        [{ head: 1 }, 'head'],
      ];
      const [{ n: before }] = await t.db.query('SELECT count(*)::int AS n FROM audit_log');
      for (const [query, field] of cases) {
        const res = await t.http().get('/api/v1/audit/verify').query(query).set(auditor.auth);
        expect({ query, status: res.status }).toEqual({ query, status: 400 });
        expectErrorBody(res.body, 'VALIDATION_FAILED');
        expect({ query, keys: Object.keys(res.body).sort() }).toEqual({
          query,
          keys: ['detail', 'error', 'fields', 'timestamp'],
        });
        expect({ query, fields: Object.keys(res.body.fields) }).toEqual({ query, fields: [field] });
      }
      const [{ n: after }] = await t.db.query('SELECT count(*)::int AS n FROM audit_log');
      expect(after).toBe(before);
    });
  });

  it('every permission-guarded route whose path names an entity says which, so its denials are found by that id', () => {
    const reflector = t.app.get(Reflector);
    const undeclared: string[] = [];
    for (const { metatype, instance } of t.app.get(DiscoveryService).getControllers()) {
      const controller = metatype as new (...args: never[]) => object;
      const prototype = Object.getPrototypeOf(instance) as Record<string, unknown>;
      const base = String(Reflect.getMetadata(PATH_METADATA, controller) ?? '');
      for (const name of Object.getOwnPropertyNames(prototype)) {
        const handler = prototype[name];
        if (name === 'constructor' || typeof handler !== 'function') continue;
        const path = Reflect.getMetadata(PATH_METADATA, handler) as string | undefined;
        if (path === undefined) continue;
        const route = `${base}/${path}`;
        const params = [...route.matchAll(/:(\w+)/g)].map((m) => m[1]);
        const context = [handler as () => unknown, controller];
        if (params.length === 0 || !reflector.getAllAndOverride(REQUIRED_PERMISSIONS, context)) continue;
        const target = reflector.getAllAndOverride<AuditTargetSpec | undefined>(AUDIT_TARGET, context);
        if (!target || !params.includes(target.param))
          undeclared.push(`${controller.name}.${name}: ${route}`);
      }
    }
    expect(undeclared).toEqual([]);
  });

  describe('append-only and tamper-evident', () => {
    it('rejects UPDATE, DELETE and TRUNCATE in the database itself', async () => {
      await expect(t.db.query(`UPDATE audit_log SET reason = 'rewritten'`)).rejects.toThrow(/append-only/);
      await expect(t.db.query(`DELETE FROM audit_log`)).rejects.toThrow(/append-only/);
      await expect(t.db.query(`TRUNCATE audit_log`)).rejects.toThrow(/append-only/);
    });

    it('gives each row one id: rows appended one after the other have consecutive ids', async () => {
      const rows: { id: string }[] = await t.db.query(
        `INSERT INTO audit_log (action, target_type, reason) VALUES ('test.one', 'test', 'first'), ('test.two', 'test', 'second')
         RETURNING id::text`,
      );
      expect(BigInt(rows[1]!.id) - BigInt(rows[0]!.id)).toBe(1n);
      const [next] = await t.db.query(
        `INSERT INTO audit_log (action, target_type, reason) VALUES ('test.three', 'test', 'third') RETURNING id::text`,
      );
      expect(BigInt(next.id) - BigInt(rows[1]!.id)).toBe(1n);
      const res = await t.http().get('/api/v1/audit/verify').set(auditor.auth).expect(200);
      expect(res.body.data).toMatchObject({ valid: true, first_broken: null, head_id: next.id });
    });

    it('verifies an intact chain', async () => {
      const res = await t.http().get('/api/v1/audit/verify').set(auditor.auth).expect(200);
      expect(res.body.data).toMatchObject({ valid: true, first_broken: null });
      expect(res.body.data.checked_rows).toBeGreaterThanOrEqual(3);
      expect(res.body.data.head_hash).toMatch(/^[0-9a-f]{64}$/);
    });

    it('walks from the first stored row: a row forged below id 1, carrying the genesis hash, is caught', async () => {
      // With the chain trigger off, a row goes in with the id and hashes the attacker picks: id 0 and the
      // genesis hash, so that row 1 (whose predecessor is the genesis) still links to it. The logs list it.
      await t.db.query('ALTER TABLE audit_log DISABLE TRIGGER audit_log_chain_trg');
      try {
        await t.db.query(
          `INSERT INTO audit_log (id, occurred_at, actor_role, action, target_type, target_id, reason, prev_hash, hash)
           VALUES (0, now(), 'superadmin', 'players.update', 'player', $1, 'approved bonus', repeat('0', 64),
                   repeat('0', 64))`,
          [target.playerId],
        );
      } finally {
        await t.db.query('ALTER TABLE audit_log ENABLE TRIGGER audit_log_chain_trg');
      }
      try {
        const listed = await t
          .http()
          .get('/api/v1/audit/logs')
          .query({ target: target.playerId! })
          .set(auditor.auth)
          .expect(200);
        expect(listed.body.data.items.map((r: { id: string }) => r.id)).toContain('0');
        expect(await verify()).toMatchObject({
          valid: false,
          from_id: '0',
          first_broken: { id: '0', problem: 'hash_mismatch' },
        });
      } finally {
        await withGuardOff(() => t.db.query('DELETE FROM audit_log WHERE id = 0'));
      }
      expect(await verify()).toMatchObject({ valid: true, from_id: (await chainIds())[0] });
    });

    it('catches text moved across two fields of a row whose reason holds the field separator (U+001F)', async () => {
      const [row] = await t.db.query(
        `INSERT INTO audit_log (action, target_type, target_id, reason)
         VALUES ('test.separator', 'test', 'sep-target', E'abc\\x1fdef') RETURNING id::text`,
      );
      expect(await verify({ from_id: row.id })).toMatchObject({ valid: true, checked_rows: 1 });
      try {
        // The same joined text as before ("sep-target␟abc␟def"), the row now filed under another target.
        await withGuardOff(() =>
          t.db.query(`UPDATE audit_log SET target_id = E'sep-target\\x1fabc', reason = 'def' WHERE id = $1`, [
            row.id,
          ]),
        );
        expect(await verify({ from_id: row.id })).toMatchObject({
          valid: false,
          first_broken: { id: row.id, problem: 'hash_mismatch' },
        });
      } finally {
        await withGuardOff(() =>
          t.db.query(`UPDATE audit_log SET target_id = 'sep-target', reason = E'abc\\x1fdef' WHERE id = $1`, [
            row.id,
          ]),
        );
      }
      expect(await verify({ from_id: row.id })).toMatchObject({ valid: true });
    });

    it('names the first row an attacker with table rights edited, and a deleted row', async () => {
      const rows = await t.db.query(`SELECT id::text FROM audit_log WHERE target_id = $1 ORDER BY id`, [
        target.playerId,
      ]);
      const [first, second] = rows.map((r: { id: string }) => r.id);
      // A superuser can switch the guard off; the hash chain still tells.
      await withGuardOff(async () => {
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
      });
    });
  });
});

describe('GET /audit/verify under load: per-user limits, a cap per node, walks whose client left', () => {
  const RATE_LIMIT = 3;
  /** Small statements over a long chain: a whole walk is hundreds of statements, so it can be caught running. */
  const CHUNK_ROWS = 100;
  const FILLER_ROWS = 20_000;
  const env = {
    AUDIT_VERIFY_RATE_LIMIT: String(RATE_LIMIT),
    AUDIT_VERIFY_RATE_WINDOW_SECONDS: '60',
    AUDIT_VERIFY_CHUNK_ROWS: String(CHUNK_ROWS),
    AUDIT_VERIFY_WALKS_PER_USER: '1',
    AUDIT_VERIFY_MAX_WALKS: '2',
  };
  let database: TestDatabase;
  let redisPrefix: string;
  let t: TestApp;
  let metrics: MetricsService;
  let chainRows: number;

  beforeAll(async () => {
    database = await createTestDatabase('auditverifyload');
    redisPrefix = `sw-e2e-${randomBytes(4).toString('hex')}:`;
    t = await startTestApp(env, { database, redisPrefix });
    metrics = t.app.get(MetricsService);
    // The insert trigger chains each row, as the app's own writes are.
    await t.db.query(
      `INSERT INTO audit_log (action, prev_hash, hash) SELECT 'test.filler', '', '' FROM generate_series(1, $1)`,
      [FILLER_ROWS],
    );
    [{ n: chainRows }] = await t.db.query('SELECT count(*)::int AS n FROM audit_log');
  });
  afterAll(async () => {
    await t?.close();
    await database?.drop();
  });

  const value = async (metric: Counter | Gauge, outcome?: string) =>
    (await metric.get()).values.find((v) => outcome === undefined || v.labels.outcome === outcome)?.value ??
    0;
  const calls = (outcome: string) => value(metrics.auditVerifyCalls, outcome);
  const running = () => value(metrics.auditVerifyWalks);
  const rowsChecked = () => value(metrics.auditVerifyRows);

  const until = untilTightly;
  const startWalk = (s: Session) => startChainWalk(t, s);

  const expectRefused = (
    res: { status: number; headers: Record<string, string>; body: Record<string, unknown> },
    status: number,
    code: string,
  ) => {
    expect(res.status).toBe(status);
    expectErrorBody(res.body, code);
    expect(res.headers['retry-after']).toMatch(/^\d+$/);
    expect(res.body.retry_after_seconds).toBe(Number(res.headers['retry-after']));
    expect(res.body.retry_after_seconds).toBeGreaterThanOrEqual(1);
  };

  it('walks the whole chain in small statements and answers it complete, not as abandoned', async () => {
    const auditor = await loginAs(t, 'auditor');
    const [abandoned, complete] = [await calls('abandoned'), await calls('complete')];
    const rowsBefore = await rowsChecked();
    const res = await t.http().get('/api/v1/audit/verify').set(auditor.auth).expect(200);
    expect(res.body.data).toMatchObject({ valid: true, complete: true, checked_rows: chainRows });
    expect((await rowsChecked()) - rowsBefore).toBe(chainRows);
    expect(await calls('complete')).toBe(complete + 1);
    expect(await calls('abandoned')).toBe(abandoned);
  });

  it('answers 429 AUDIT.VERIFY_RATE_LIMITED with Retry-After past the per-user limit, running nothing; another user is not affected', async () => {
    const [first, second] = [await loginAs(t, 'auditor'), await loginAs(t, 'superadmin')];
    for (let i = 0; i < RATE_LIMIT; i++) {
      await t.http().get('/api/v1/audit/verify').query({ limit: 1 }).set(first.auth).expect(200);
    }
    const rowsBefore = await rowsChecked();
    const refused = await t.http().get('/api/v1/audit/verify').query({ limit: 1 }).set(first.auth);
    expectRefused(refused, 429, 'AUDIT.VERIFY_RATE_LIMITED');
    expect(refused.body.retry_after_seconds).toBeLessThanOrEqual(60);
    expect(await rowsChecked()).toBe(rowsBefore);
    expect(await calls('rate_limited')).toBe(1);

    const other = await t.http().get('/api/v1/audit/verify').query({ limit: 1 }).set(second.auth).expect(200);
    expect(other.body.data).toMatchObject({ valid: true, checked_rows: 1 });
  });

  const onCluster = process.env.TEST_DATABASE_URL && process.env.TEST_REDIS_URL ? it : it.skip;
  onCluster("counts a user's calls on every node together", async () => {
    const other = await startTestApp(env, { database, redisPrefix });
    try {
      const auditor = await loginAs(t, 'auditor');
      const verify = (node: TestApp) =>
        node.http().get('/api/v1/audit/verify').query({ limit: 1 }).set(auditor.auth);
      for (const node of [t, other, t]) expect((await verify(node)).status).toBe(200);
      expectRefused(await verify(other), 429, 'AUDIT.VERIFY_RATE_LIMITED');
    } finally {
      await other.close();
    }
  });

  it('stops a walk whose client disconnected, before its next statement, and leaves nothing running', async () => {
    const auditor = await loginAs(t, 'auditor');
    const [abandoned, complete, rowsBefore] = [
      await calls('abandoned'),
      await calls('complete'),
      await rowsChecked(),
    ];
    const walk = await startWalk(auditor);
    walk.hangUp();
    await until(async () => (await running()) === 0);
    expect(await calls('abandoned')).toBe(abandoned + 1);
    expect(await calls('complete')).toBe(complete);
    // It stopped within a few of its hundreds of statements: far short of the chain.
    const walked = (await rowsChecked()) - rowsBefore;
    expect(walked).toBeGreaterThan(0);
    expect(walked).toBeLessThan(chainRows / 4);
    const [{ n: chunksRunning }] = await t.db.query(
      `SELECT count(*)::int AS n FROM pg_stat_activity
        WHERE state = 'active' AND pid <> pg_backend_pid() AND query LIKE '%audit_row_hash(a) AS computed%'`,
    );
    expect(chunksRunning).toBe(0);
    // Its slot is free again.
    await t.http().get('/api/v1/audit/verify').query({ limit: 1 }).set(auditor.auth).expect(200);
  });

  it("refuses a user's second walk while the first runs (429), and a walk beyond the node's cap (503)", async () => {
    const [first, second, third] = [
      await loginAs(t, 'auditor'),
      await loginAs(t, 'auditor'),
      await loginAs(t, 'superadmin'),
    ];
    const walkOne = await startWalk(first);
    const rowsBefore = await rowsChecked();
    const again = await t.http().get('/api/v1/audit/verify').query({ limit: 1 }).set(first.auth);
    expectRefused(again, 429, 'AUDIT.VERIFY_IN_PROGRESS');
    const walkTwo = await startWalk(second);
    const busy = await t.http().get('/api/v1/audit/verify').query({ limit: 1 }).set(third.auth);
    expectRefused(busy, 503, 'AUDIT.VERIFY_BUSY');
    expect(await running()).toBe(2);
    walkOne.hangUp();
    walkTwo.hangUp();
    await until(async () => (await running()) === 0);
    expect((await rowsChecked()) - rowsBefore).toBeLessThan(chainRows / 2);
    expect(await calls('in_progress')).toBe(1);
    expect(await calls('busy')).toBe(1);
    // The refusals spent none of the rate limit, and the slots are free again.
    for (const s of [first, third]) {
      await t.http().get('/api/v1/audit/verify').query({ limit: 1 }).set(s.auth).expect(200);
    }
  });

  it('documents the 429 and the 503 on the route', async () => {
    const doc = (await t.http().get('/docs/json').expect(200)).body;
    const responses = doc.paths['/api/v1/audit/verify'].get.responses;
    expect(responses['429'].description).toContain('AUDIT.VERIFY_RATE_LIMITED');
    expect(responses['429'].description).toContain('AUDIT.VERIFY_IN_PROGRESS');
    expect(responses['503'].description).toContain('AUDIT.VERIFY_BUSY');
  });
});
