import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { EventBus } from '@nestjs/cqrs';
import { eventually, startTestApp, type TestApp } from './support/test-app.js';
import {
  createSector,
  createTeam,
  expectErrorBody,
  loginAs,
  registerPlayer,
  type Session,
} from './support/factories.js';
import { addShip, insertPlayers } from './support/adminops-fixtures.js';
import { SORT_FIELDS } from '../src/modules/players/domain/player-filters.js';
import { BanExpiryService } from '../src/modules/emergency/ban-expiry.service.js';
import { AnalyticsRefresherService } from '../src/modules/players/analytics-refresher.service.js';
import { CreditsChangedEvent } from '../src/modules/players/events/credits-changed.event.js';
import { PlayerStatusChangedEvent } from '../src/modules/players/events/player-status-changed.event.js';
import { PlayerUpdatedEvent } from '../src/modules/players/events/player-updated.event.js';

const ENHANCED = '/api/v1/admin/players/enhanced';

describe('players (admin)', () => {
  let t: TestApp;
  let admin: Session;
  let moderator: Session;
  let auditor: Session;
  let player: Session;
  const seeded: Session[] = [];
  let teamId: string;

  beforeAll(async () => {
    // The ban sweep runs only when a test calls it, so a ban that ran out stays unswept as long as a test needs.
    t = await startTestApp({ PLAYERS_COUNT_CACHE_SECONDS: '0', BAN_SWEEP_SECONDS: '3600' });
    admin = await loginAs(t, 'admin');
    moderator = await loginAs(t, 'moderator');
    auditor = await loginAs(t, 'auditor');
    player = await registerPlayer(t, 'plain_player');
    teamId = await createTeam(t, 'Red Giants');
    await createSector(t, 7);
    // A small, known population: credits 1000, 2000, ... and two in the team.
    for (let i = 1; i <= 6; i++) {
      const s = await registerPlayer(t, `fleet_${i}`);
      seeded.push(s);
      await t.db.query(
        `UPDATE players SET credits = $2, risk_score = $3, activity_score = $4, team_id = $5, current_sector = $6 WHERE id = $1`,
        [s.playerId, i * 1000, i * 10, 100 - i * 10, i <= 2 ? teamId : null, i === 3 ? 7 : 1],
      );
    }
    await t.db.query(`UPDATE players SET status = 'frozen' WHERE id = $1`, [seeded[5]!.playerId]);
  });
  afterAll(async () => {
    await t.close();
  });

  describe('GET /admin/players/enhanced', () => {
    it('reports as query_time_ms the time its statements ran, not the wait for a pooled connection', async () => {
      // Hold every pooled connection for 600 ms: the request waits for one, then runs its statements.
      const pooled = t.config.databaseUrl ? t.config.dbPoolSize : 1;
      const holders = Array.from({ length: pooled }, () => t.db.createQueryRunner());
      await Promise.all(holders.map((r) => r.connect()));
      const started = Date.now();
      const pending = t.http().get(ENHANCED).query({ limit: 3 }).set(admin.auth);
      const answered = pending.then((res) => res);
      await new Promise((r) => setTimeout(r, 600));
      await Promise.all(holders.map((r) => r.release()));
      const res = await answered;
      expect(res.status).toBe(200);
      expect(Date.now() - started).toBeGreaterThanOrEqual(600);
      expect(res.body.metrics.query_time_ms).toBeGreaterThan(0);
      expect(res.body.metrics.query_time_ms).toBeLessThan(500);
    });

    it('lists players in the envelope with totals, paging and the filters applied', async () => {
      const res = await t.http().get(ENHANCED).query({ limit: 3 }).set(admin.auth).expect(200);
      expect(res.body).toMatchObject({ success: true, metrics: { cache_hit: false } });
      expect(typeof res.body.metrics.query_time_ms).toBe('number');
      const d = res.body.data;
      expect(d.players).toHaveLength(3);
      expect(d).toMatchObject({
        total_count: 7,
        total_count_estimated: false,
        page: 1,
        page_size: 3,
        sort: 'created_at:desc',
      });
      expect(d.players[0]).toEqual(
        expect.objectContaining({
          id: expect.any(String),
          credits: expect.any(String),
          version: 1,
          online: expect.any(Boolean),
        }),
      );
      expect(d.next_cursor).toEqual(expect.any(String));
    });

    it('filters by search (substring of username or email, any case, or exact id)', async () => {
      const bySub = await t.http().get(ENHANCED).query({ search: 'LEET_' }).set(admin.auth).expect(200);
      expect(bySub.body.data.players.map((p: { username: string }) => p.username).sort()).toEqual(
        seeded.map((s) => s.username).sort(),
      );
      expect(bySub.body.data.filters_applied).toEqual({ search: 'LEET_' });
      expect(bySub.body.data).toMatchObject({ total_count: 6, total_count_estimated: false });
      // A full first page is counted by the count query, not by the page.
      const firstTwo = await t
        .http()
        .get(ENHANCED)
        .query({ search: 'leet_', limit: 2 })
        .set(admin.auth)
        .expect(200);
      expect(firstTwo.body.data.players).toHaveLength(2);
      expect(firstTwo.body.data.total_count).toBe(6);
      const byEmail = await t
        .http()
        .get(ENHANCED)
        .query({ search: 'fleet_3@example' })
        .set(admin.auth)
        .expect(200);
      expect(byEmail.body.data.players.map((p: { username: string }) => p.username)).toEqual(['fleet_3']);
      const byId = await t
        .http()
        .get(ENHANCED)
        .query({ search: seeded[1]!.playerId })
        .set(admin.auth)
        .expect(200);
      expect(byId.body.data.players.map((p: { id: string }) => p.id)).toEqual([seeded[1]!.playerId]);
      // LIKE wildcards are literal.
      const wildcard = await t.http().get(ENHANCED).query({ search: '%%%' }).set(admin.auth).expect(200);
      expect(wildcard.body.data.total_count).toBe(0);
    });

    it('matches the search exactly: in the email only, never across the two fields or a look-alike separator', async () => {
      const names = async (search: string) =>
        (await t.http().get(ENHANCED).query({ search }).set(admin.auth).expect(200)).body.data.players.map(
          (p: { username: string }) => p.username,
        );
      // Only the email has the domain; a substring of it still finds the player, in any case.
      expect(await names('ET_4@EXAMPLE.TE')).toEqual(['fleet_4']);
      // The index probes "fleet" + any character + "4": the exact check rejects another separator...
      expect(await names('fleet-4')).toEqual([]);
      // ...and text that exists only where the username meets the email in the indexed expression.
      expect(await names('fleet_4 fleet_4')).toEqual([]);
      expect(await names('_5@example.test')).toEqual(['fleet_5']);
    });

    it('filters by status, team, credits, risk, activity, sector and dates', async () => {
      const names = async (q: Record<string, string | number | boolean>) =>
        (
          await t
            .http()
            .get(ENHANCED)
            .query({ search: 'fleet_', ...q, sort: 'username:asc' })
            .set(admin.auth)
            .expect(200)
        ).body.data.players.map((p: { username: string }) => p.username);
      expect(await names({ status: 'frozen' })).toEqual(['fleet_6']);
      expect(await names({ team_id: teamId })).toEqual(['fleet_1', 'fleet_2']);
      expect(await names({ min_credits: 2000, max_credits: 4000 })).toEqual([
        'fleet_2',
        'fleet_3',
        'fleet_4',
      ]);
      expect(await names({ min_risk: 50 })).toEqual(['fleet_5', 'fleet_6']);
      expect(await names({ max_activity: 40 })).toEqual(['fleet_6']);
      expect(await names({ sector: 7 })).toEqual(['fleet_3']);
      expect(await names({ created_after: new Date(Date.now() + 60_000).toISOString() })).toEqual([]);
      const everyone = await names({ last_login_after: new Date(Date.now() - 3_600_000).toISOString() });
      expect(everyone).toHaveLength(6); // registration logs each player in
      expect(await names({ last_login_before: new Date(Date.now() - 3_600_000).toISOString() })).toEqual([]);
    });

    it('sorts by credits descending and pages through everyone by keyset cursor without gaps', async () => {
      const first = await t
        .http()
        .get(ENHANCED)
        .query({ sort: 'credits:desc', limit: 2 })
        .set(admin.auth)
        .expect(200);
      expect(first.body.data.players.map((p: { credits: string }) => p.credits)).toEqual(['10000', '6000']);
      const seen: string[] = first.body.data.players.map((p: { id: string }) => p.id);
      let cursor = first.body.data.next_cursor;
      while (cursor) {
        const next = await t
          .http()
          .get(ENHANCED)
          .query({ sort: 'credits:desc', limit: 2, cursor })
          .set(admin.auth)
          .expect(200);
        seen.push(...next.body.data.players.map((p: { id: string }) => p.id));
        cursor = next.body.data.next_cursor;
      }
      expect(seen).toHaveLength(7);
      expect(new Set(seen).size).toBe(7);
    });

    it('pages deep by offset (ids first) in the same order as the first pages', async () => {
      await createSector(t, 8);
      const ids = await insertPlayers(t, 160);
      await t.db.query(`UPDATE players SET current_sector = 8, risk_score = 7 WHERE id = ANY($1::uuid[])`, [
        ids,
      ]);
      try {
        const expected = (
          await t.db.query(`SELECT id FROM players WHERE current_sector = 8 ORDER BY username, id`)
        ).map((r: { id: string }) => r.id);
        const page = async (query: Record<string, unknown>) =>
          (await t.http().get(ENHANCED).query(query).set(admin.auth).expect(200)).body.data.players.map(
            (p: { id: string }) => p.id,
          );
        const byUsername = { sector: 8, sort: 'username:asc', limit: 100 };
        expect([
          ...(await page({ ...byUsername, page: 1 })),
          ...(await page({ ...byUsername, page: 2 })),
        ]).toEqual(expected);
        // A filter the sort's index does not cover, from offset 120 (limit 40, page 4).
        const filtered = await page({ sector: 8, max_risk: 7, sort: 'username:desc', limit: 40, page: 4 });
        expect(filtered).toEqual([...expected].reverse().slice(120, 160));
      } finally {
        await t.db.query(`DELETE FROM players WHERE id = ANY($1::uuid[])`, [ids]);
      }
    });

    it('filters by online presence', async () => {
      // Registration and login mark a player online; nobody else is.
      const online = await t.http().get(ENHANCED).query({ online: true }).set(admin.auth).expect(200);
      expect(online.body.data.total_count).toBe(7);
      expect(online.body.data.players.every((p: { online: boolean }) => p.online)).toBe(true);
      const offline = await t.http().get(ENHANCED).query({ online: 'false' }).set(admin.auth).expect(200);
      expect(offline.body.data.total_count).toBe(0);
    });

    it('answers a bad filter with 400 naming the field', async () => {
      for (const [field, value] of [
        ['status', 'sleeping'],
        ['min_credits', 'lots'],
        ['limit', '101'],
        ['sort', 'password:asc'],
        ['team_id', 'red'],
        ['last_login_after', 'yesterday'],
        ['search', 'ab'],
        ['online', 'maybe'],
        ['unknown_filter', '1'],
      ]) {
        const res = await t
          .http()
          .get(ENHANCED)
          .query({ [field!]: value })
          .set(admin.auth)
          .expect(400);
        expectErrorBody(res.body, 'VALIDATION_FAILED');
        expect(Object.keys(res.body.fields)).toContain(field);
      }
      const badCursor = await t.http().get(ENHANCED).query({ cursor: 'garbage' }).set(admin.auth).expect(400);
      expect(badCursor.body.fields).toHaveProperty('cursor');
    });

    it('answers a cursor whose value its sort cannot take with 400 (a forged cursor is input, not a 500)', async () => {
      const id = randomUUID();
      const forge = (sort: string, value: string) =>
        Buffer.from(JSON.stringify([sort, value, id])).toString('base64url');
      for (const [sort, value] of [
        ['created_at:desc', 'not-a-date'],
        ['created_at:desc', '2026-02-31 00:00:00+00'],
        ['last_login:asc', '2026-12-01 25:00:00+00'],
        ['credits:desc', '1e400'],
        ['credits:desc', '99999999999999999999'],
        ['risk_score:asc', 'abc'],
        ['activity_score:asc', '4294967296'],
        ['username:asc', 'nul\u0000byte'],
      ] as const) {
        const res = await t
          .http()
          .get(ENHANCED)
          .query({ sort, cursor: forge(sort, value) })
          .set(admin.auth)
          .expect(400);
        expectErrorBody(res.body, 'VALIDATION_FAILED');
        expect(res.body.fields).toHaveProperty('cursor');
      }
    });

    it('pages through everyone by the cursors it hands out, under every sort and direction', async () => {
      const neverLoggedIn = await insertPlayers(t, 3); // last_login null: its sort key is -infinity
      try {
        const total = (await t.http().get(ENHANCED).set(admin.auth).expect(200)).body.data.total_count;
        for (const field of SORT_FIELDS) {
          for (const direction of ['asc', 'desc']) {
            const sort = `${field}:${direction}`;
            const seen: string[] = [];
            let cursor: string | undefined;
            do {
              const res = await t
                .http()
                .get(ENHANCED)
                .query({ sort, limit: 2, ...(cursor ? { cursor } : {}) })
                .set(admin.auth)
                .expect(200);
              seen.push(...res.body.data.players.map((p: { id: string }) => p.id));
              cursor = res.body.data.next_cursor ?? undefined;
            } while (cursor);
            expect({ sort, count: new Set(seen).size }).toEqual({ sort, count: total });
          }
        }
      } finally {
        await t.db.query(`DELETE FROM players WHERE id = ANY($1::uuid[])`, [neverLoggedIn]);
      }
    });

    it('requires a token (401) and players:view (403 for players and auditors, audited)', async () => {
      expectErrorBody((await t.http().get(ENHANCED).expect(401)).body, 'AUTH.UNAUTHORIZED');
      expectErrorBody((await t.http().get(ENHANCED).set(player.auth).expect(403)).body, 'AUTH.FORBIDDEN');
      await t.http().get(ENHANCED).set(auditor.auth).expect(403);
      await t.http().get(ENHANCED).set(moderator.auth).expect(200);
      const denied = await t.db.query(
        `SELECT actor_id, outcome, action, client_ip, request_id FROM audit_log WHERE outcome = 'denied' AND actor_id = $1`,
        [player.userId],
      );
      expect(denied).toEqual([
        expect.objectContaining({
          outcome: 'denied',
          action: 'GET /api/v1/admin/players/enhanced',
          request_id: expect.any(String),
        }),
      ]);
    });

    it('serves a repeated count from the cache and says so', async () => {
      const cached = await startTestApp({ PLAYERS_COUNT_CACHE_SECONDS: '60' });
      try {
        const a = await loginAs(cached, 'admin');
        const first = await cached.http().get(ENHANCED).query({ status: 'active' }).set(a.auth).expect(200);
        expect(first.body.metrics.cache_hit).toBe(false);
        const second = await cached.http().get(ENHANCED).query({ status: 'active' }).set(a.auth).expect(200);
        expect(second.body.metrics.cache_hit).toBe(true);
        expect(second.body.data.total_count).toBe(first.body.data.total_count);
      } finally {
        await cached.close();
      }
    });
  });

  describe('GET /admin/players/{id}/detailed', () => {
    it('returns the player with team, ships, planets, trades, emergencies, interventions and audit', async () => {
      const target = seeded[0]!;
      await t.db.query(
        `INSERT INTO planets (sector_id, owner_id, name, type, population) VALUES (1, $1, 'Terra Nova', 'M', 5000)`,
        [target.playerId],
      );
      await t.db.query(
        `INSERT INTO admin_interventions (player_id, priority, category, description) VALUES ($1, 'high', 'economy', 'odd gains')`,
        [target.playerId],
      );
      await t.db.query(
        `INSERT INTO admin_emergency_actions (player_id, action_type, admin_id, reason, result_status) VALUES ($1, 'freeze', $2, 'test', 'success')`,
        [target.playerId, admin.userId],
      );
      const res = await t
        .http()
        .get(`/api/v1/admin/players/${target.playerId}/detailed`)
        .set(moderator.auth)
        .expect(200);
      const d = res.body.data;
      expect(d.player).toMatchObject({
        id: target.playerId,
        username: 'fleet_1',
        credits: '1000',
        team_name: 'Red Giants',
      });
      expect(d.team).toMatchObject({ id: teamId, name: 'Red Giants', member_count: 2 });
      expect(d.ships).toEqual([
        expect.objectContaining({ type: 'light_freighter', capacity: 500, active: true, cargo: {} }),
      ]);
      expect(d.planets).toEqual([expect.objectContaining({ name: 'Terra Nova', population: '5000' })]);
      expect(d.recent_trades).toEqual([]);
      expect(d.emergency_history).toEqual([
        expect.objectContaining({ action_type: 'freeze', result_status: 'success' }),
      ]);
      expect(d.open_interventions).toEqual([expect.objectContaining({ priority: 'high', status: 'open' })]);
      expect(Array.isArray(d.recent_audit)).toBe(true);
    });

    it('404s an unknown player, 400s a bad id, 401 without token, 403 for a player (even for itself)', async () => {
      expectErrorBody(
        (
          await t
            .http()
            .get('/api/v1/admin/players/00000000-0000-4000-8000-000000000000/detailed')
            .set(admin.auth)
            .expect(404)
        ).body,
        'PLAYERS.NOT_FOUND',
      );
      expectErrorBody(
        (await t.http().get('/api/v1/admin/players/xyz/detailed').set(admin.auth).expect(400)).body,
        'VALIDATION_FAILED',
      );
      await t.http().get(`/api/v1/admin/players/${player.playerId}/detailed`).expect(401);
      await t.http().get(`/api/v1/admin/players/${player.playerId}/detailed`).set(player.auth).expect(403);
      await t
        .http()
        .get(`/api/v1/admin/players/${seeded[0]!.playerId}/detailed`)
        .set(player.auth)
        .expect(403);
    });
  });

  describe('PUT /admin/players/{id}/comprehensive', () => {
    const url = (id: string) => `/api/v1/admin/players/${id}/comprehensive`;

    it('changes fields, bumps the version, audits before/after in the same change and publishes events', async () => {
      const target = await registerPlayer(t);
      const events: unknown[] = [];
      const sub = t.app.get(EventBus).subscribe((e) => events.push(e));
      try {
        const res = await t
          .http()
          .put(url(target.playerId!))
          .set(admin.auth)
          .send({
            reason: 'refund for lost cargo',
            version: 1,
            credits: 12_500,
            status: 'frozen',
            team_id: teamId,
            current_sector: 7,
          })
          .expect(200);
        expect(res.body.data).toEqual({
          id: target.playerId,
          version: 2,
          changed: ['credits', 'status', 'team_id', 'current_sector'],
        });
        const [row] = await t.db.query(
          'SELECT credits::text, status, team_id, current_sector, version FROM players WHERE id = $1',
          [target.playerId],
        );
        expect(row).toEqual({
          credits: '12500',
          status: 'frozen',
          team_id: teamId,
          current_sector: 7,
          version: 2,
        });
        const [audit] = await t.db.query(
          `SELECT actor_id, actor_role, action, reason, before, after, request_id, client_ip FROM audit_log
           WHERE target_id = $1 AND action = 'players.update'`,
          [target.playerId],
        );
        expect(audit).toMatchObject({
          actor_id: admin.userId,
          actor_role: 'admin',
          reason: 'refund for lost cargo',
          before: { credits: '10000', status: 'active', team_id: null, current_sector: 1 },
          after: { credits: '12500', status: 'frozen', team_id: teamId, current_sector: 7 },
        });
        expect(audit.request_id).toBe(res.headers['x-request-id']);
        await eventually(() => (events.length >= 3 ? true : undefined));
        expect(events.find((e) => e instanceof PlayerUpdatedEvent)).toMatchObject({
          playerId: target.playerId,
          version: 2,
        });
        expect(events.find((e) => e instanceof CreditsChangedEvent)).toMatchObject({
          before: '10000',
          after: '12500',
        });
        expect(events.find((e) => e instanceof PlayerStatusChangedEvent)).toMatchObject({
          from: 'active',
          to: 'frozen',
        });
      } finally {
        sub.unsubscribe();
      }
    });

    it('accepts the version through If-Match', async () => {
      const target = await registerPlayer(t);
      await t
        .http()
        .put(url(target.playerId!))
        .set(admin.auth)
        .set('If-Match', '"1"')
        .send({ reason: 'rename', turns: 5 })
        .expect(200);
      const [row] = await t.db.query('SELECT turns, version FROM players WHERE id = $1', [target.playerId]);
      expect(row).toEqual({ turns: 5, version: 2 });
    });

    it('refuses a stale version with 409 and writes nothing', async () => {
      const target = await registerPlayer(t);
      await t
        .http()
        .put(url(target.playerId!))
        .set(admin.auth)
        .send({ reason: 'first edit', version: 1, turns: 10 })
        .expect(200);
      const stale = await t
        .http()
        .put(url(target.playerId!))
        .set(admin.auth)
        .send({ reason: 'second edit', version: 1, turns: 99 })
        .expect(409);
      expectErrorBody(stale.body, 'PLAYERS.VERSION_CONFLICT');
      expect(stale.body.current_version).toBe(2);
      const [row] = await t.db.query('SELECT turns, version FROM players WHERE id = $1', [target.playerId]);
      expect(row).toEqual({ turns: 10, version: 2 });
      const audits = await t.db.query(
        `SELECT count(*)::int AS n FROM audit_log WHERE target_id = $1 AND action = 'players.update'`,
        [target.playerId],
      );
      expect(audits[0].n).toBe(1);
    });

    it('lets exactly one of two concurrent edits of the same version win', async () => {
      const target = await registerPlayer(t);
      const results = await Promise.all(
        [100, 200].map((turns) =>
          t.http().put(url(target.playerId!)).set(admin.auth).send({ reason: 'race', version: 1, turns }),
        ),
      );
      expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
    });

    it('rejects bad input with 400 and writes nothing', async () => {
      const target = await registerPlayer(t);
      const cases: [Record<string, unknown>, string][] = [
        [{ version: 1, credits: 5 }, 'VALIDATION_FAILED'], // no reason
        [{ reason: 'x', version: 1, credits: 5 }, 'VALIDATION_FAILED'], // reason too short
        [{ reason: 'negative', version: 1, credits: -5 }, 'VALIDATION_FAILED'],
        [{ reason: 'bad status', version: 1, status: 'zombie' }, 'VALIDATION_FAILED'],
        [{ reason: 'unknown field', version: 1, is_admin: true }, 'VALIDATION_FAILED'],
        [{ reason: 'nothing to do', version: 1 }, 'PLAYERS.NOTHING_TO_UPDATE'],
        [
          { reason: 'no such team', version: 1, team_id: '00000000-0000-4000-8000-000000000000' },
          'PLAYERS.TEAM_NOT_FOUND',
        ],
        [{ reason: 'no such sector', version: 1, current_sector: 999_999 }, 'PLAYERS.SECTOR_NOT_FOUND'],
        [
          { reason: 'ban end without ban', version: 1, status: 'active', ban_until: '2030-01-01T00:00:00Z' },
          'VALIDATION_FAILED',
        ],
      ];
      for (const [body, code] of cases) {
        const res = await t.http().put(url(target.playerId!)).set(admin.auth).send(body);
        expect(res.status).toBe(400);
        expectErrorBody(res.body, code);
      }
      const noVersion = await t
        .http()
        .put(url(target.playerId!))
        .set(admin.auth)
        .send({ reason: 'no version', turns: 1 })
        .expect(428);
      expectErrorBody(noVersion.body, 'PLAYERS.VERSION_REQUIRED');
      const [row] = await t.db.query('SELECT credits::text, turns, version FROM players WHERE id = $1', [
        target.playerId,
      ]);
      expect(row).toEqual({ credits: '10000', turns: 1000, version: 1 });
    });

    it('refuses a username another player has with 409', async () => {
      const target = await registerPlayer(t);
      const res = await t
        .http()
        .put(url(target.playerId!))
        .set(admin.auth)
        .send({ reason: 'rename', version: 1, username: 'FLEET_1' })
        .expect(409);
      expectErrorBody(res.body, 'PLAYERS.USERNAME_TAKEN');
    });

    it('renames to and from a username that looks like a timestamp, storing exactly what was sent', async () => {
      const dated = await registerPlayer(t, '2024-01-01Tfoo');
      const other = await registerPlayer(t);
      const rename = (id: string, username: string) =>
        t.http().put(url(id)).set(admin.auth).send({ reason: 'rename request', version: 1, username });
      const first = await rename(dated.playerId!, '2024-02-02Tbar');
      expect(first.status).toBe(200);
      expect(first.body.data.changed).toEqual(['username']);
      expect((await rename(other.playerId!, '2024-01-01Tfoo')).status).toBe(200);
      const rows = await t.db.query(
        `SELECT p.id, p.username, u.username AS login FROM players p JOIN users u ON u.id = p.user_id
         WHERE p.id = ANY($1) ORDER BY p.username`,
        [[dated.playerId, other.playerId]],
      );
      expect(rows).toEqual([
        { id: other.playerId, username: '2024-01-01Tfoo', login: '2024-01-01Tfoo' },
        { id: dated.playerId, username: '2024-02-02Tbar', login: '2024-02-02Tbar' },
      ]);
      const [audit] = await t.db.query(
        `SELECT before, after FROM audit_log WHERE target_id = $1 AND action = 'players.update'`,
        [dated.playerId],
      );
      expect(audit).toEqual({
        before: { username: '2024-01-01Tfoo' },
        after: { username: '2024-02-02Tbar' },
      });
      const login = await t
        .http()
        .post('/api/v1/auth/login')
        .send({ username: '2024-01-01Tfoo', password: other.password })
        .expect(200);
      expect(login.body.data.user.player_id).toBe(other.playerId);
    });

    describe('bans', () => {
      const later = () => new Date(Date.now() + 86_400_000).toISOString();
      const row = async (id: string) =>
        (
          await t.db.query(
            'SELECT status, ban_until, status_before_ban, version FROM players WHERE id = $1',
            [id],
          )
        )[0];
      const audits = (id: string) =>
        t.db.query(
          `SELECT before, after FROM audit_log WHERE target_id = $1 AND action = 'players.update'
           ORDER BY occurred_at, id`,
          [id],
        );
      const login = (s: Session) =>
        t.http().post('/api/v1/auth/login').send({ username: s.username, password: s.password });

      it('refuses ban_until on a player who is not banned and stays unbanned (400, nothing written)', async () => {
        const active = await registerPlayer(t);
        const frozen = await registerPlayer(t);
        await t.db.query(`UPDATE players SET status = 'frozen' WHERE id = $1`, [frozen.playerId]);
        for (const s of [active, frozen]) {
          for (const ban_until of [later(), null]) {
            const res = await t
              .http()
              .put(url(s.playerId!))
              .set(admin.auth)
              .send({ reason: 'ban end alone', version: 1, ban_until });
            expect(res.status).toBe(400);
            expectErrorBody(res.body, 'VALIDATION_FAILED');
            expect(res.body.fields).toHaveProperty('ban_until');
          }
          expect(await row(s.playerId!)).toMatchObject({ ban_until: null, version: 1 });
          expect(await audits(s.playerId!)).toEqual([]);
        }
      });

      it('a ban through PUT keeps its reason, shown on the player page with what lifting it gives back', async () => {
        const s = await registerPlayer(t);
        const banOf = async () =>
          (await t.http().get(`/api/v1/admin/players/${s.playerId}/detailed`).set(admin.auth).expect(200))
            .body.data.ban;
        expect(await banOf()).toBeNull();
        await t
          .http()
          .put(url(s.playerId!))
          .set(admin.auth)
          .send({ reason: 'real-money trading ring', version: 1, status: 'banned' })
          .expect(200);
        expect(await banOf()).toEqual({ until: null, reason: 'real-money trading ring', lifts_to: 'active' });
        await t
          .http()
          .put(url(s.playerId!))
          .set(admin.auth)
          .send({ reason: 'appeal upheld', version: 2, status: 'active' })
          .expect(200);
        expect(await banOf()).toBeNull();
        const [{ ban_reason }] = await t.db.query('SELECT ban_reason FROM players WHERE id = $1', [
          s.playerId,
        ]);
        expect(ban_reason).toBeNull();
      });

      it('moves the end of a ban in force alone, keeping what the ban lifts to', async () => {
        const s = await registerPlayer(t);
        await t.db.query(
          `UPDATE players SET status = 'banned', ban_until = now() + interval '1 hour', status_before_ban = 'frozen'
           WHERE id = $1`,
          [s.playerId],
        );
        const until = later();
        const res = await t
          .http()
          .put(url(s.playerId!))
          .set(admin.auth)
          .send({ reason: 'longer ban', version: 1, ban_until: until })
          .expect(200);
        expect(res.body.data.changed).toEqual(['ban_until']);
        expect(await row(s.playerId!)).toMatchObject({
          status: 'banned',
          ban_until: new Date(until),
          status_before_ban: 'frozen',
        });
      });

      it('bans for good when status banned comes without ban_until, whatever end the row had', async () => {
        // One active row carries an end that has passed (left by PUT before it refused ban_until alone); one
        // ban in force has an end.
        const stale = await registerPlayer(t);
        const timed = await registerPlayer(t);
        await t.db.query(`UPDATE players SET ban_until = now() - interval '1 hour' WHERE id = $1`, [
          stale.playerId,
        ]);
        await t.db.query(
          `UPDATE players SET status = 'banned', ban_until = now() + interval '1 hour' WHERE id = $1`,
          [timed.playerId],
        );
        const [{ stale_end: staleEnd, timed_end: timedEnd }] = await t.db.query(
          `SELECT (SELECT ban_until FROM players WHERE id = $1) AS stale_end,
                  (SELECT ban_until FROM players WHERE id = $2) AS timed_end`,
          [stale.playerId, timed.playerId],
        );
        for (const s of [stale, timed]) {
          await t
            .http()
            .put(url(s.playerId!))
            .set(admin.auth)
            .send({ reason: 'permanent ban', version: 1, status: 'banned' })
            .expect(200);
          expect(await row(s.playerId!)).toMatchObject({ status: 'banned', ban_until: null, version: 2 });
        }
        expect(await audits(stale.playerId!)).toEqual([
          {
            before: { status: 'active', ban_until: staleEnd.toISOString() },
            after: { status: 'banned', ban_until: null },
          },
        ]);
        expect(await audits(timed.playerId!)).toEqual([
          { before: { ban_until: timedEnd.toISOString() }, after: { ban_until: null } },
        ]);
        // The ban holds: login refuses it, and the sweep finds nothing to lift.
        await t.app.get(BanExpiryService).sweep();
        expectErrorBody((await login(stale).expect(403)).body, 'AUTH.PLAYER_BANNED');
        expect(await row(stale.playerId!)).toMatchObject({ status: 'banned', ban_until: null });
      });

      it('a ban that ran out but is not swept yet is lifted first, so a new ban through PUT takes effect', async () => {
        const [forGood, timed, endOnly] = [
          await registerPlayer(t),
          await registerPlayer(t),
          await registerPlayer(t),
        ];
        const ids = [forGood.playerId, timed.playerId, endOnly.playerId];
        await t.db.query(
          `UPDATE players SET status = 'banned', ban_until = now() - interval '1 minute', status_before_ban = 'frozen'
           WHERE id = ANY($1)`,
          [ids],
        );
        // Login already treats a lapsed ban as over: each player is back in, with a fresh refresh token.
        const sessions = await Promise.all([forGood, timed, endOnly].map((s) => login(s).expect(200)));

        // ban_until alone on a lapsed ban is no ban: refused, and nothing written (not even the lift).
        const refused = await t
          .http()
          .put(url(endOnly.playerId!))
          .set(admin.auth)
          .send({ reason: 'extend the ban', version: 1, ban_until: later() });
        expect(refused.status).toBe(400);
        expectErrorBody(refused.body, 'VALIDATION_FAILED');
        expect(refused.body.fields).toHaveProperty('ban_until');
        expect(await row(endOnly.playerId!)).toMatchObject({ status: 'banned', version: 1 });

        const until = later();
        const bans: [Session, Record<string, unknown>][] = [
          [forGood, { status: 'banned' }],
          [timed, { status: 'banned', ban_until: until }],
        ];
        for (const [s, body] of bans) {
          const res = await t
            .http()
            .put(url(s.playerId!))
            .set(admin.auth)
            .send({ reason: 'reoffended', version: 1, ...body })
            .expect(200);
          // The lift is one version, the ban the next.
          expect(res.body.data).toMatchObject({ version: 3, changed: expect.arrayContaining(['status']) });
        }
        expect(await row(forGood.playerId!)).toMatchObject({
          status: 'banned',
          ban_until: null,
          status_before_ban: 'frozen',
          version: 3,
        });
        expect(await row(timed.playerId!)).toMatchObject({
          status: 'banned',
          ban_until: new Date(until),
          status_before_ban: 'frozen',
        });
        // Recorded as the sweep would lift it, then the ban from the lifted status.
        const history = await t.db.query(
          `SELECT action_type, admin_id IS NULL AS by_system, reason FROM admin_emergency_actions
           WHERE player_id = $1 ORDER BY created_at`,
          [timed.playerId],
        );
        expect(history).toEqual([{ action_type: 'unban', by_system: true, reason: 'ban expired' }]);
        expect(await audits(forGood.playerId!)).toEqual([
          { before: { status: 'frozen', ban_until: null }, after: { status: 'banned', ban_until: null } },
        ]);
        expect(await audits(timed.playerId!)).toEqual([
          { before: { status: 'frozen', ban_until: null }, after: { status: 'banned', ban_until: until } },
        ]);
        // The ban ends the sessions opened while the old one had lapsed, and the sweep does not undo it.
        for (const s of sessions.slice(0, 2)) {
          await t
            .http()
            .post('/api/v1/auth/refresh')
            .send({ refresh_token: s.body.data.refresh_token })
            .expect(401);
        }
        await t.app.get(BanExpiryService).sweep();
        expect(await row(forGood.playerId!)).toMatchObject({ status: 'banned', ban_until: null });
        expect(await row(timed.playerId!)).toMatchObject({ status: 'banned' });
      });
    });

    it('moves the active ship with the player, as teleports do, so the detailed and assets views agree', async () => {
      const target = await registerPlayer(t);
      const spare = await addShip(t, target.playerId!); // stays where it is parked, as with a teleport
      const res = await t
        .http()
        .put(url(target.playerId!))
        .set(admin.auth)
        .send({ reason: 'stuck in sector 1', version: 1, current_sector: 7 })
        .expect(200);
      expect(res.body.data.changed).toEqual(['current_sector']);
      const detailed = (
        await t.http().get(`/api/v1/admin/players/${target.playerId}/detailed`).set(admin.auth).expect(200)
      ).body.data;
      expect(detailed.player.current_sector).toBe(7);
      const bySector = (ships: { id: string; active: boolean; sector_id: number }[]) =>
        ships.map((s) => ({ spare: s.id === spare, active: s.active, sector_id: s.sector_id }));
      expect(bySector(detailed.ships)).toEqual([
        { spare: false, active: true, sector_id: 7 },
        { spare: true, active: false, sector_id: 1 },
      ]);
      const assets = (
        await t
          .http()
          .get(`/api/v1/admin/players/${target.playerId}/assets/detailed`)
          .set(admin.auth)
          .expect(200)
      ).body.data;
      expect(bySector(assets.ships)).toEqual(bySector(detailed.ships));
    });

    it('401 without token, 403 for moderators and players (audited as denied), 404 for an unknown player', async () => {
      const target = await registerPlayer(t);
      const body = { reason: 'try it', version: 1, credits: 1 };
      await t.http().put(url(target.playerId!)).send(body).expect(401);
      await t.http().put(url(target.playerId!)).set(moderator.auth).send(body).expect(403);
      await t.http().put(url(target.playerId!)).set(target.auth).send(body).expect(403); // not even on itself
      await t.http().put(url('00000000-0000-4000-8000-000000000000')).set(admin.auth).send(body).expect(404);
      const [row] = await t.db.query('SELECT credits::text FROM players WHERE id = $1', [target.playerId]);
      expect(row.credits).toBe('10000');
      const denied = await t.db.query(
        `SELECT count(*)::int AS n FROM audit_log WHERE outcome = 'denied' AND actor_id = $1`,
        [moderator.userId],
      );
      expect(denied[0].n).toBeGreaterThanOrEqual(1);
    });
  });

  describe('GET /admin/players/analytics/real-time', () => {
    it('reports totals from the materialized view after a refresh, plus online players', async () => {
      await t.app.get(AnalyticsRefresherService).refresh();
      const res = await t
        .http()
        .get('/api/v1/admin/players/analytics/real-time')
        .set(moderator.auth)
        .expect(200);
      const [truth] = await t.db.query(
        `SELECT count(*)::int AS total, count(*) FILTER (WHERE status = 'active')::int AS active, sum(credits)::text AS credits FROM players`,
      );
      expect(res.body.data).toMatchObject({
        total_players: truth.total,
        active_players: truth.active,
        total_credits: truth.credits,
        players_today: truth.total,
        new_players_week: truth.total,
      });
      expect(res.body.data.players_online).toBeGreaterThanOrEqual(7);
      expect(res.body.data.refreshed_at).toEqual(expect.any(String));
    });

    it('401 without token, 403 for players and auditors', async () => {
      await t.http().get('/api/v1/admin/players/analytics/real-time').expect(401);
      await t.http().get('/api/v1/admin/players/analytics/real-time').set(player.auth).expect(403);
      await t.http().get('/api/v1/admin/players/analytics/real-time').set(auditor.auth).expect(403);
    });
  });
});
