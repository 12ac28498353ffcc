import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import type { Test } from 'supertest';
import type { Envelope } from '../src/infrastructure/websocket/envelope.js';
import { startTestApp, type TestApp } from './support/test-app.js';
import { createTeam, expectErrorBody, loginAs, registerPlayer, type Session } from './support/factories.js';
import { addPlanet, addShip, insertPlayers, playerRow } from './support/adminops-fixtures.js';
import { createStation, type StationFixture } from './support/market-factories.js';
import { connectSocket, type TestSocket } from './support/socket-client.js';

jest.setTimeout(120_000);

const INT4_OVERFLOW = 2_147_483_648;

/** Ack of a refused socket message: the signed `error` envelope plus success: false. */
type ErrorAck = Envelope<{ code: string; fields?: Record<string, string[]> }> & { success?: boolean };

/**
 * Bad values a DTO can describe: null where only a value makes sense, integers past their column, dates
 * Postgres cannot read, arrays where an object belongs, numbers that are not plain digits, a ban already over.
 * Each is a 400 VALIDATION_FAILED naming the field (never a 500, never a surprising success), and nothing is
 * written: no player, bulk operation, halt, intervention, template, emergency action or audit row changes.
 */
describe('input validation: a 400 naming the field, and nothing written', () => {
  let t: TestApp;
  let admin: Session;
  let auditor: Session;
  let player: Session;
  let victim: Session;
  let station: StationFixture;
  const sockets: TestSocket[] = [];

  /** Everything a refused request could have written. */
  const state = async () => {
    const [counts] = await t.db.query(`SELECT
      (SELECT count(*)::int FROM audit_log) AS audit,
      (SELECT count(*)::int FROM admin_bulk_operations) AS bulk_operations,
      (SELECT count(*)::int FROM market_halts) AS halts,
      (SELECT count(*)::int FROM admin_emergency_actions) AS emergency_actions,
      (SELECT count(*)::int FROM admin_interventions) AS interventions,
      (SELECT count(*)::int FROM market_transactions) AS trades`);
    return {
      counts,
      players: await t.db.query(
        `SELECT id, username, email, credits::text AS credits, turns, status, ban_until, team_id, current_sector,
                activity_score, risk_score, aria_trust_level, version
         FROM players ORDER BY id`,
      ),
      ships: await t.db.query('SELECT id, player_id, name, hull, sector_id, cargo FROM ships ORDER BY id'),
      planets: await t.db.query('SELECT id, owner_id FROM planets ORDER BY id'),
      interventions: await t.db.query(
        'SELECT id, status, priority, assigned_to, resolution_notes, version FROM admin_interventions ORDER BY id',
      ),
      templates: await t.db.query(
        'SELECT id, name, category, priority, description, suggested_actions, version FROM intervention_templates ORDER BY id',
      ),
    };
  };

  /** Sends the request, expects 400 VALIDATION_FAILED naming `field`, and that nothing changed. */
  const refused = async (send: () => Test, field: string) => {
    const before = await state();
    const res = await send();
    expect({ status: res.status, field }).toEqual({ status: 400, field });
    expectErrorBody(res.body, 'VALIDATION_FAILED');
    expect({ field, named: Object.keys(res.body.fields ?? {}) }).toEqual({
      field,
      named: expect.arrayContaining([field]),
    });
    expect(await state()).toEqual(before);
    return res;
  };

  const version = async (playerId: string) => (await playerRow(t, playerId)).version;

  beforeAll(async () => {
    t = await startTestApp({ MARKET_REGEN_SECONDS: '0', PRICE_SNAPSHOT_SECONDS: '0' });
    admin = await loginAs(t, 'admin');
    auditor = await loginAs(t, 'auditor');
    player = await registerPlayer(t);
    victim = await registerPlayer(t);
    station = await createStation(t);
  });
  afterEach(() => {
    while (sockets.length) sockets.pop()!.close();
  });
  afterAll(async () => {
    await t.close();
  });

  describe('PUT /admin/players/{id}/comprehensive', () => {
    const put = (id: string, body: object) => () =>
      t
        .http()
        .put(`/api/v1/admin/players/${id}/comprehensive`)
        .set(admin.auth)
        .send({ reason: 'input check', ...body });

    it('refuses null for every field where null means nothing (email stays, no "null" address)', async () => {
      const id = victim.playerId!;
      const v = await version(id);
      for (const field of [
        'username',
        'email',
        'credits',
        'turns',
        'status',
        'current_sector',
        'activity_score',
        'risk_score',
        'aria_trust_level',
      ]) {
        await refused(put(id, { version: v, [field]: null }), field);
      }
      await refused(put(id, { version: null, turns: 5 }), 'version');
      const [row] = await t.db.query('SELECT email FROM players WHERE id = $1', [id]);
      expect(row.email).toBe(`${victim.username}@example.test`.toLowerCase());
    });

    it('refuses integers past the int4 columns', async () => {
      const id = victim.playerId!;
      const v = await version(id);
      await refused(put(id, { version: v, current_sector: INT4_OVERFLOW }), 'current_sector');
      await refused(put(id, { version: v, current_sector: 1e20 }), 'current_sector');
      await refused(put(id, { version: INT4_OVERFLOW, turns: 5 }), 'version');
    });

    it('refuses a ban_until Postgres cannot read, and one already past', async () => {
      const id = victim.playerId!;
      const v = await version(id);
      for (const ban_until of [
        '-2026-01-01T00:00:00Z',
        '+02026-01-01T00:00:00Z',
        '+275760-09-13T00:00:00Z',
        '2030-01',
        '2030-01-01T00:00:00+16:00',
        '2030-02-30T00:00:00Z',
        '1970-01-01T00:00:00Z',
        new Date(Date.now() - 60_000).toISOString(),
      ]) {
        await refused(put(id, { version: v, status: 'banned', ban_until }), 'ban_until');
      }
    });

    it('keeps null where it means something: leave the team, a ban without end', async () => {
      const [id] = await insertPlayers(t, 1);
      const team = await createTeam(t);
      await t.db.query('UPDATE players SET team_id = $2 WHERE id = $1', [id, team]);
      let v = await version(id!);
      const left = await put(id!, { version: v, team_id: null })().expect(200);
      expect(left.body.data.changed).toEqual(['team_id']);
      v = left.body.data.version;
      const until = new Date(Date.now() + 86_400_000).toISOString();
      const banned = await put(id!, { version: v, status: 'banned', ban_until: until })().expect(200);
      expect((await playerRow(t, id!)).ban_until?.toISOString()).toBe(until);
      const forever = await put(id!, { version: banned.body.data.version, ban_until: null })().expect(200);
      expect(forever.body.data.changed).toEqual(['ban_until']);
      const row = await playerRow(t, id!);
      expect({ status: row.status, ban_until: row.ban_until }).toEqual({ status: 'banned', ban_until: null });
    });
  });

  describe('query strings', () => {
    const get = (path: string, who: () => Session) => () => t.http().get(path).set(who().auth);

    it('refuses out-of-range, non-digit and padded numbers instead of reading them as numbers', async () => {
      const cases: [string, () => Session, string][] = [
        ['/api/v1/admin/players/enhanced?sector=2147483648', () => admin, 'sector'],
        ['/api/v1/admin/players/enhanced?sector=1e20', () => admin, 'sector'],
        ['/api/v1/admin/players/enhanced?sector=9223372036854775808', () => admin, 'sector'],
        ['/api/v1/admin/players/enhanced?min_credits=', () => admin, 'min_credits'],
        ['/api/v1/admin/players/enhanced?max_risk=%20', () => admin, 'max_risk'],
        ['/api/v1/admin/players/enhanced?limit=0x10', () => admin, 'limit'],
        ['/api/v1/admin/players/enhanced?page=1e2', () => admin, 'page'],
        ['/api/v1/audit/logs?cursor=9223372036854775808', () => auditor, 'cursor'],
        ['/api/v1/audit/logs?cursor=9007199254740993', () => auditor, 'cursor'],
        ['/api/v1/audit/logs?limit=0x10', () => auditor, 'limit'],
        ['/api/v1/market/realtime/ore?min_sector=1e20', () => player, 'min_sector'],
        ['/api/v1/market/realtime/ore?max_sector=2147483648', () => player, 'max_sector'],
        ['/api/v1/market/realtime/ore?limit=%20', () => player, 'limit'],
        ['/api/v1/trading/trades?limit=0x10', () => player, 'limit'],
        ['/api/v1/trading/trades?page=', () => player, 'page'],
        ['/api/v1/trading/automation-rules?limit=1e1', () => player, 'limit'],
        [
          `/api/v1/admin/players/bulk-operations/${randomUUID()}/status?errors_page=0x10`,
          () => admin,
          'errors_page',
        ],
        ['/api/v1/admin/players/bulk-operations?limit=%2010', () => admin, 'limit'],
        ['/api/v1/admin/interventions/queue?page=1.0', () => admin, 'page'],
        [`/api/v1/admin/players/${randomUUID()}/emergency/history?limit=-0x1`, () => admin, 'limit'],
      ];
      for (const [path, who, field] of cases) await refused(get(path, who), field);
      // Plain digits still read as numbers.
      const ok = await t.http().get('/api/v1/trading/trades?limit=16&page=1').set(player.auth).expect(200);
      expect(JSON.stringify(ok.body.data)).toContain('"limit":16');
    });

    it('refuses dates with a sign, an extended year or a shape Postgres cannot read', async () => {
      const history = `/api/v1/market/history?station_id=${station.id}&commodity=luxury_goods`;
      const cases: [string, () => Session, string][] = [
        ['/api/v1/admin/players/enhanced?created_after=-2026-01-01T00:00:00Z', () => admin, 'created_after'],
        [
          '/api/v1/admin/players/enhanced?created_before=%2B02026-01-01T00:00:00Z',
          () => admin,
          'created_before',
        ],
        ['/api/v1/admin/players/enhanced?last_login_after=2026-01', () => admin, 'last_login_after'],
        ['/api/v1/admin/players/enhanced?last_login_before=2026', () => admin, 'last_login_before'],
        ['/api/v1/audit/logs?from=-2026-01-01T00:00:00Z', () => auditor, 'from'],
        ['/api/v1/audit/logs?to=2026-01-01T00:00:00%2B16:00', () => auditor, 'to'],
        [`${history}&from=-2026-01-01T00:00:00Z`, () => player, 'from'],
        [`${history}&to=%2B275760-09-13T00:00:00Z`, () => player, 'to'],
      ];
      for (const [path, who, field] of cases) await refused(get(path, who), field);
      await t
        .http()
        .get(
          '/api/v1/admin/players/enhanced?created_after=2026-01-01&created_before=2026-01-02T00:00:00%2B02:00',
        )
        .set(admin.auth)
        .expect(200);
    });
  });

  describe('POST /admin/players/bulk-operations', () => {
    const create = (body: Record<string, unknown>) => () =>
      t
        .http()
        .post('/api/v1/admin/players/bulk-operations')
        .set(admin.auth)
        .send({
          operation_type: 'adjust_credits',
          parameters: { amount: 1 },
          reason: 'input check',
          ...body,
        });

    it('refuses dry_run: null (it was a real run) and bad targets, and creates no operation', async () => {
      const ids = await insertPlayers(t, 2);
      const one = { player_ids: [ids[0]] };
      await refused(create({ target: one, dry_run: null }), 'dry_run');
      await refused(create({ target: one, dry_run: 'true' }), 'dry_run');
      await refused(create({}), 'target');
      await refused(create({ target: null }), 'target');
      await refused(create({ target: [] }), 'target');
      await refused(create({ target: [one] }), 'target');
      await refused(create({ target: 'everyone' }), 'target');
      await refused(create({ target: { filter: [] } }), 'target.filter');
      await refused(create({ target: { filter: null } }), 'target.filter');
      await refused(create({ target: { player_ids: null } }), 'target.player_ids');
      await refused(create({ target: { player_ids: ids[0] } }), 'target.player_ids');
      await refused(create({ target: { filter: { sector: INT4_OVERFLOW } } }), 'target.filter.sector');
      await refused(create({ target: { filter: { status: null } } }), 'target.filter.status');
      await refused(
        create({ target: { filter: { created_after: '-2026-01-01T00:00:00Z' } } }),
        'target.filter.created_after',
      );
      // The same body with a real boolean is a dry run over exactly the one player.
      const dry = await create({ target: one, dry_run: true })().expect(200);
      expect(dry.body.data).toMatchObject({ dry_run: true, total_targets: 1 });
    });
  });

  describe('admin assets', () => {
    const assets = (id: string) => `/api/v1/admin/players/${id}/assets`;

    it('bulk-update: refuses arrays or null for objects, an adjust by 0 and an int4 overflow', async () => {
      const [id] = await insertPlayers(t, 1);
      const ship = await addShip(t, id!, { active: true });
      const send = (body: object) => () =>
        t
          .http()
          .put(`${assets(id!)}/bulk-update`)
          .set(admin.auth)
          .send({ reason: 'input check', ...body });
      await refused(send({ credits: [] }), 'credits');
      await refused(send({ credits: null }), 'credits');
      await refused(send({ ships: [] }), 'ships');
      await refused(send({ planets: [] }), 'planets');
      await refused(send({ cargo: null }), 'cargo');
      await refused(send({ credits: { mode: 'adjust', amount: 0 } }), 'credits.amount');
      await refused(
        send({ cargo: [{ ship_id: ship, commodity: 'ore', mode: 'adjust', quantity: 0 }] }),
        'cargo.0.quantity',
      );
      await refused(
        send({ ships: { update: [{ ship_id: ship, sector_id: INT4_OVERFLOW }] } }),
        'ships.update.0.sector_id',
      );
      await refused(send({ ships: { update: [{ ship_id: ship, name: null }] } }), 'ships.update.0.name');
      await refused(send({ version: INT4_OVERFLOW, credits: { mode: 'adjust', amount: 1 } }), 'version');
      // A set to 0 is a real change, and stays allowed.
      await send({ credits: { mode: 'set', amount: 0 } })().expect(200);
      expect((await playerRow(t, id!)).credits).toBe('0');
    });

    it('transfer: refuses arrays or null for objects and lists', async () => {
      const [from, to] = await insertPlayers(t, 2);
      await addShip(t, from!, { cargo: { ore: 5 }, active: true });
      const planet = await addPlanet(t, from!);
      const send = (body: object) => () =>
        t
          .http()
          .post(`${assets(from!)}/transfer`)
          .set(admin.auth)
          .send({ reason: 'input check', to_player_id: to, ...body });
      await refused(send({ cargo: [] }), 'cargo');
      await refused(send({ cargo: null }), 'cargo');
      await refused(send({ credits: null }), 'credits');
      await refused(send({ planet_ids: null }), 'planet_ids');
      await refused(send({ planet_ids: [planet], ship_ids: null }), 'ship_ids');
    });
  });

  describe('market halts, quotes', () => {
    it('refuses commodity: null on halt and resume: only an omitted commodity means all trading', async () => {
      for (const route of ['halt', 'resume']) {
        await refused(
          () =>
            t
              .http()
              .post(`/api/v1/admin/market/${route}`)
              .set(admin.auth)
              .send({ reason: 'halt ore', commodity: null }),
          'commodity',
        );
      }
      const halts = await t.http().get('/api/v1/admin/market/halts').set(admin.auth).expect(200);
      expect(halts.body.data).toEqual([]); // nothing halted, globally or per commodity
    });

    it('refuses a null price limit on a quote (it was taken as a limit of "null")', async () => {
      const quote = (body: object) => () =>
        t
          .http()
          .post('/api/v1/trading/quote')
          .set(player.auth)
          .send({ station_id: station.id, commodity: 'luxury_goods', quantity: 1, ...body });
      await refused(quote({ action: 'buy', max_unit_price: null }), 'max_unit_price');
      await refused(quote({ action: 'sell', min_unit_price: null }), 'min_unit_price');
    });
  });

  describe('interventions, templates, emergency actions', () => {
    const API = '/api/v1/admin/interventions';

    it('refuses null no-op updates: no version bump, no audit row', async () => {
      const [pid] = await insertPlayers(t, 1);
      const created = await t
        .http()
        .post(API)
        .set(admin.auth)
        .send({
          reason: 'player report',
          player_id: pid,
          priority: 'low',
          category: 'economy',
          description: 'odd',
        })
        .expect(201);
      const i = created.body.data;
      const put = (body: object) => () =>
        t
          .http()
          .put(`${API}/${i.id}`)
          .set(admin.auth)
          .send({ reason: 'input check', version: i.version, ...body });
      for (const field of ['status', 'priority', 'resolution_notes'])
        await refused(put({ [field]: null }), field);
      await refused(put({ version: INT4_OVERFLOW, priority: 'high' }), 'version');
      await refused(
        () =>
          t
            .http()
            .post(API)
            .set(admin.auth)
            .send({ reason: 'player report', player_id: pid, description: null }),
        'description',
      );

      // assigned_to: null still unassigns.
      const assigned = await put({ assigned_to: admin.userId })().expect(200);
      const back = await t
        .http()
        .put(`${API}/${i.id}`)
        .set(admin.auth)
        .send({ reason: 'hand back', version: assigned.body.data.version, status: 'open', assigned_to: null })
        .expect(200);
      expect(back.body.data).toMatchObject({ status: 'open', assigned_to: null });

      const tpl = (
        await t
          .http()
          .post(`${API}/templates`)
          .set(admin.auth)
          .send({
            reason: 'new playbook',
            name: `tpl ${randomUUID().slice(0, 8)}`,
            category: 'economy',
            priority: 'low',
            description: 'Suspected duplication',
          })
          .expect(201)
      ).body.data;
      const putTemplate = (body: object) => () =>
        t
          .http()
          .put(`${API}/templates/${tpl.id}`)
          .set(admin.auth)
          .send({ reason: 'input check', version: tpl.version, ...body });
      for (const field of ['name', 'category', 'priority', 'description', 'suggested_actions']) {
        await refused(putTemplate({ [field]: null }), field);
      }
      await refused(putTemplate({ version: INT4_OVERFLOW, priority: 'high' }), 'version');
    });

    it('refuses null emergency parameters: no action row, no audit row', async () => {
      const [pid] = await insertPlayers(t, 1);
      const action = (name: string, body: object) => () =>
        t
          .http()
          .post(`/api/v1/admin/players/${pid}/emergency/${name}`)
          .set(admin.auth)
          .send({ reason: 'input check', ...body });
      await refused(action('reset_turns', { turns: null }), 'turns');
      await refused(action('ban', { duration_hours: 24, permanent: null }), 'permanent');
      await refused(action('clear_cargo', { ship_id: null }), 'ship_id');
      await refused(
        () =>
          t
            .http()
            .post('/api/v1/admin/players/emergency/bulk')
            .set(admin.auth)
            .send({ reason: 'input check', action: 'reset_turns', player_ids: [pid], turns: null }),
        'turns',
      );
    });
  });

  describe('Socket.IO', () => {
    it('/admin unsubscribe {players: null}: VALIDATION_FAILED (was INTERNAL_ERROR), subscriptions kept', async () => {
      const s = await connectSocket(t.url, '/admin', admin.token);
      sockets.push(s);
      const watched = victim.playerId!;
      const sub = await s.request('subscribe', { players: [watched], topics: ['credits'] });
      expect(sub.data).toEqual({ all: false, players: [watched], topics: ['credits'] });

      for (const body of [{ players: null }, { players: [] }, { players: 'everyone' }]) {
        const ack = (await s.request('unsubscribe', body)) as ErrorAck;
        expect(ack).toMatchObject({ success: false, type: 'error', data: { code: 'VALIDATION_FAILED' } });
        expect(Object.keys(ack.data.fields ?? {})).toEqual(['players']);
      }
      // Unsubscribing from someone not watched changes nothing and reports what is still subscribed.
      const still = await s.request('unsubscribe', { players: [randomUUID()] });
      expect(still.data).toEqual({ all: false, players: [watched], topics: ['credits'] });
      expect(s.socket.connected).toBe(true);
      expect(s.badSignatures).toBe(0);
    });

    it('/market market_unsubscribe: null and oversized lists are refused, subscriptions kept', async () => {
      const s = await connectSocket(t.url, '/market', player.token);
      sockets.push(s);
      const sub = await s.request('market_subscribe', { commodities: ['ore'] });
      expect(sub.data).toMatchObject({ commodities: ['ore'] });

      const tooMany = Array.from({ length: 201 }, () => randomUUID());
      const cases: [object, string][] = [
        [{ commodities: null }, 'commodities'],
        [{ station_ids: null }, 'station_ids'],
        [{ commodities: Array.from({ length: 10 }, () => 'ore') }, 'commodities'],
        [{ station_ids: tooMany }, 'station_ids'],
      ];
      for (const [body, field] of cases) {
        const ack = (await s.request('market_unsubscribe', body)) as ErrorAck;
        expect(ack).toMatchObject({ success: false, data: { code: 'VALIDATION_FAILED' } });
        expect(Object.keys(ack.data.fields ?? {})).toEqual([field]);
      }
      const still = await s.request('market_unsubscribe', { commodities: ['luxury_goods'] });
      expect(still.data).toMatchObject({ commodities: ['ore'] });
      expect(s.socket.connected).toBe(true);
      expect(s.badSignatures).toBe(0);
    });
  });
});
