import { afterAll, beforeAll, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { EventBus } from '@nestjs/cqrs';
import { randomUUID } from 'node:crypto';
import type { Response } from 'supertest';
import { CreditsChangedEvent } from '../src/modules/players/events/credits-changed.event.js';
import { eventually, startTestApp, type TestApp } from './support/test-app.js';
import {
  addPlanet,
  addShip,
  count,
  insertPlayers,
  playerRow,
  publishRejectedTrades,
  publishTrades,
} from './support/adminops-fixtures.js';
import { createTeam, loginAs, registerPlayer, type Session } from './support/factories.js';
import {
  buyOneLuxury,
  createStation,
  placePlayer,
  setCargo,
  setStatus,
  type StationFixture,
} from './support/market-factories.js';
import {
  answerProblems,
  nullableEnumsWithoutNull,
  numberFields,
  takesUndocumentedField,
  untypedSuccesses,
  type OpenApiDocument,
} from './support/openapi.js';

jest.setTimeout(60_000);

/**
 * The only values the document may type `number` (a float or double in a generated Java, Kotlin, Go or C#
 * client), each fractional where it comes from. Everything else the server sends or takes is a whole number and
 * typed `integer`: a new field typed `number` fails the test until it is made an integer or explained here.
 */
const FRACTIONAL: Record<string, string> = {
  'EnvelopeMetricsDto.query_time_ms': 'milliseconds to 2 decimals (EnvelopeInterceptor)',
  'RouteLatencyDto.p50_ms': 'milliseconds interpolated inside a histogram bucket',
  'RouteLatencyDto.p95_ms': 'milliseconds interpolated inside a histogram bucket',
  'RouteLatencyDto.p99_ms': 'milliseconds interpolated inside a histogram bucket',
  'PlayerSummaryDto.aria_trust_level': 'players.aria_trust_level is a real from 0 to 1',
  'OwnPlayerDto.aria_trust_level': 'players.aria_trust_level is a real from 0 to 1',
  'UpdatePlayerRequestDto.aria_trust_level': 'players.aria_trust_level is a real from 0 to 1 (@IsNumber)',
  'PredictionDto.predicted_price': 'ai_market_predictions.predicted_price is numeric(12, 2)',
  'PredictionDto.confidence': 'ai_market_predictions.confidence is a real from 0 to 1',
  'RealtimeMarketEntryDto.change_24h_pct': 'a percentage to 2 decimals (trendOf)',
  'StationMarketEntryDto.production_rate': 'station_markets.production_rate is a real (units per hour)',
  'PriceHistoryPointDto.buy_price_avg': 'an average rounded to 2 decimals',
  'PriceHistoryPointDto.sell_price_avg': 'an average rounded to 2 decimals',
  'BulkOperationDto.progress': 'a share of the target, 0 to 1',
  'BulkOperationStatusDto.progress': 'a share of the target, 0 to 1',
  'InterventionDetailsDto.population_median': 'percentile_cont of the players’ gains',
  'InterventionDetailsDto.ratio': 'a gain divided by the median or the alert floor',
};

/**
 * A client generated from /docs/json must work: every route's real answers (the player's routes' errors too) are
 * checked against the schemas the document gives for their status codes, and every success is typed.
 */
describe('the OpenAPI document against real answers', () => {
  let t: TestApp;
  let doc: OpenApiDocument;
  let player: Session;
  let admin: Session;
  let moderator: Session;
  let auditor: Session;
  let superadmin: Session;
  let station: StationFixture;
  const problems: string[] = [];

  /**
   * Records what a generated client would find wrong with `res`, the answer to `method path` (the document's path),
   * and, for a success, whether its schema would take a field it does not name.
   */
  const check = (method: string, path: string, res: Response): Response => {
    problems.push(...answerProblems(doc, method, path, res.status, res.body));
    if (res.status < 300) problems.push(...takesUndocumentedField(doc, method, path, res.status, res.body));
    return res;
  };
  const reason = 'contract check';
  const trade = (body: Record<string, unknown>, key = randomUUID()) =>
    t.http().post('/api/v1/trading/trades').set(player.auth).set('Idempotency-Key', key).send(body);
  const buy = { commodity: 'luxury_goods', action: 'buy', quantity: 2, max_unit_price: 1000 };

  beforeAll(async () => {
    t = await startTestApp({ MARKET_REGEN_SECONDS: '0', PRICE_SNAPSHOT_SECONDS: '0' });
    doc = (await t.http().get('/docs/json').expect(200)).body;
    admin = await loginAs(t, 'admin');
    moderator = await loginAs(t, 'moderator');
    auditor = await loginAs(t, 'auditor');
    superadmin = await loginAs(t, 'superadmin');
    player = await registerPlayer(t);
    station = await createStation(t, { sector: 1 });
    await t.db.query(
      `INSERT INTO price_history (station_id, commodity, buy_price, sell_price, stock, recorded_at)
       VALUES ($1, 'luxury_goods', 100, 130, 5000, now() - interval '2 hours'),
              ($1, 'luxury_goods', 104, 134, 4900, now() - interval '1 hour')`,
      [station.id],
    );
  });
  afterAll(async () => {
    await t.close();
  });
  beforeEach(() => {
    problems.splice(0);
  });

  it('documents a typed success body on every route: no 2xx without a schema, no untyped part in one', () => {
    expect(untypedSuccesses(doc)).toEqual([]);
    // The check itself sees each kind of gap.
    const gaps: OpenApiDocument = {
      paths: {
        '/none': { post: { responses: { '400': {} } } },
        '/bare': { get: { responses: { '200': {} } } },
        '/loose': {
          get: {
            responses: {
              '200': { content: { 'application/json': { schema: { $ref: '#/components/schemas/Loose' } } } },
            },
          },
        },
      },
      components: {
        schemas: {
          Loose: {
            type: 'object',
            properties: {
              free: { type: 'object' },
              any: {},
              list: { type: 'array' },
              map: { type: 'object', additionalProperties: true },
            },
          },
        },
      },
    };
    expect(untypedSuccesses(gaps)).toEqual([
      'POST /none: no success answer',
      'GET /bare 200: no JSON schema',
      'GET /loose 200 $->Loose.free: an object without properties',
      'GET /loose 200 $->Loose.any: no type',
      'GET /loose 200 $->Loose.list: an array without items',
    ]);
  });

  it('types every whole number as an integer: only the known fractional values are `number`', async () => {
    expect(numberFields(doc).sort()).toEqual(Object.keys(FRACTIONAL).sort());
    // Real answers are held to it: a fraction where the document says integer is refused.
    const me = await t.http().get('/api/v1/players/me').set(player.auth).expect(200);
    expect(answerProblems(doc, 'GET', '/api/v1/players/me', 200, me.body)).toEqual([]);
    const fractional = structuredClone(me.body);
    fractional.data.turns += 0.5;
    expect(answerProblems(doc, 'GET', '/api/v1/players/me', 200, fractional)).toEqual([
      'GET /api/v1/players/me 200 $.data.turns: must be integer',
    ]);
  });

  it('lists null in the enum of every nullable enum, and a null answer is checked against that list', () => {
    expect(nullableEnumsWithoutNull(doc)).toEqual([]);
    // The checks see each kind of gap, wherever it sits.
    const gaps: OpenApiDocument = {
      paths: {
        '/things': {
          get: {
            parameters: [{ name: 'count', in: 'query', schema: { type: 'number' } }],
            responses: {
              '200': { content: { 'application/json': { schema: { $ref: '#/components/schemas/Thing' } } } },
            },
          } as never,
        },
      },
      components: {
        schemas: {
          Thing: {
            type: 'object',
            properties: {
              whole: { type: 'integer' },
              share: { type: 'number' },
              list: { type: 'array', items: { type: 'number' } },
              role: { type: 'string', enum: ['a'], nullable: true },
              kind: { type: 'string', enum: ['b', null], nullable: true },
            },
          },
        },
      },
    };
    expect(numberFields(gaps)).toEqual(['Thing.share', 'Thing.list[]', 'GET /things ?count']);
    expect(nullableEnumsWithoutNull(gaps)).toEqual(['Thing.role']);
    const answer = { whole: 1.5, share: 0.5, list: [], role: null, kind: null };
    expect(answerProblems(gaps, 'GET', '/things', 200, answer)).toEqual([
      'GET /things 200 $.whole: must be integer',
      'GET /things 200 $.role: must be equal to one of the allowed values',
    ]);
  });

  it('documents the error body on every error answer, 401 on every route behind a token', () => {
    const missing: string[] = [];
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        const name = `${method.toUpperCase()} ${path}`;
        const responses = (op as { responses: Record<string, { content?: object }> }).responses;
        const security = (op as { security?: unknown[] }).security;
        for (const status of ['400', ...(security?.length ? ['401'] : [])])
          if (!responses[status]) missing.push(`${name}: no ${status}`);
        for (const [status, r] of Object.entries(responses))
          if (/^[45]/.test(status) && !JSON.stringify(r.content ?? {}).includes('ErrorBodyDto'))
            missing.push(`${name}: ${status} without the error body`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('auth: register, login, refresh and logout answer as documented, errors too', async () => {
    const name = `doc_${randomUUID().slice(0, 8)}`;
    const body = { username: name, email: `${name}@example.test`, password: 'correct-horse-battery' };
    const reg = check(
      'POST',
      '/api/v1/auth/register',
      await t.http().post('/api/v1/auth/register').send(body),
    );
    expect(reg.status).toBe(201);
    check(
      'POST',
      '/api/v1/auth/register',
      await t.http().post('/api/v1/auth/register').send(body).expect(409),
    );
    check(
      'POST',
      '/api/v1/auth/register',
      await t
        .http()
        .post('/api/v1/auth/register')
        .send({ ...body, username: '' })
        .expect(400),
    );
    const login = check(
      'POST',
      '/api/v1/auth/login',
      await t.http().post('/api/v1/auth/login').send({ username: name, password: body.password }).expect(200),
    );
    check(
      'POST',
      '/api/v1/auth/login',
      await t
        .http()
        .post('/api/v1/auth/login')
        .send({ username: name, password: 'wrong-password' })
        .expect(401),
    );
    const refresh = (refreshToken: string) =>
      t.http().post('/api/v1/auth/refresh').send({ refresh_token: refreshToken });
    const spent = login.body.data.refresh_token as string;
    const refreshed = check('POST', '/api/v1/auth/refresh', await refresh(spent).expect(200));
    check('POST', '/api/v1/auth/refresh', await refresh(spent).expect(401));
    const auth = { Authorization: `Bearer ${refreshed.body.data.access_token}` };
    check(
      'POST',
      '/api/v1/auth/logout',
      await t
        .http()
        .post('/api/v1/auth/logout')
        .set(auth)
        .send({ refresh_token: refreshed.body.data.refresh_token })
        .expect(200),
    );
    check('POST', '/api/v1/auth/logout', await t.http().post('/api/v1/auth/logout').send({}).expect(401));
    expect(problems).toEqual([]);
  });

  it('players: me, my id, and another id', async () => {
    check('GET', '/api/v1/players/me', await t.http().get('/api/v1/players/me').set(player.auth).expect(200));
    check(
      'GET',
      '/api/v1/players/{id}',
      await t.http().get(`/api/v1/players/${player.playerId}`).set(player.auth).expect(200),
    );
    check(
      'GET',
      '/api/v1/players/{id}',
      await t.http().get(`/api/v1/players/${randomUUID()}`).set(player.auth).expect(404),
    );
    check('GET', '/api/v1/players/me', await t.http().get('/api/v1/players/me').expect(401));
    expect(problems).toEqual([]);
  });

  it('market: realtime, a station, its history, and their errors', async () => {
    const realtime = '/api/v1/market/realtime/{commodity}';
    const rt = check(
      'GET',
      realtime,
      await t.http().get('/api/v1/market/realtime/luxury_goods').set(player.auth).expect(200),
    );
    expect(rt.body.data.stations.length).toBeGreaterThan(0);
    check('GET', realtime, await t.http().get('/api/v1/market/realtime/gold').set(player.auth).expect(404));
    check(
      'GET',
      realtime,
      await t.http().get('/api/v1/market/realtime/ore').query({ limit: 0 }).set(player.auth).expect(400),
    );
    check(
      'GET',
      '/api/v1/market/stations/{id}',
      await t.http().get(`/api/v1/market/stations/${station.id}`).set(player.auth).expect(200),
    );
    check(
      'GET',
      '/api/v1/market/stations/{id}',
      await t.http().get(`/api/v1/market/stations/${randomUUID()}`).set(player.auth).expect(404),
    );
    const history = check(
      'GET',
      '/api/v1/market/history',
      await t
        .http()
        .get('/api/v1/market/history')
        .query({ station_id: station.id, commodity: 'luxury_goods' })
        .set(player.auth)
        .expect(200),
    );
    expect(history.body.data.points).toHaveLength(2);
    check(
      'GET',
      '/api/v1/market/history',
      await t
        .http()
        .get('/api/v1/market/history')
        .query({ station_id: station.id, commodity: 'luxury_goods', from: '2026-02-02', to: '2026-02-01' })
        .set(player.auth)
        .expect(400),
    );
    expect(problems).toEqual([]);
  });

  it('trading: quote, trade, replay, refusals, halt and the ledger', async () => {
    const body = { station_id: station.id, ...buy };
    const quote = '/api/v1/trading/quote';
    check('POST', quote, await t.http().post(quote).set(player.auth).send(body).expect(200));
    check(
      'POST',
      quote,
      await t
        .http()
        .post(quote)
        .set(player.auth)
        .send({ ...body, max_unit_price: 1 })
        .expect(409),
    );
    check('POST', quote, await t.http().post(quote).set(admin.auth).send(body).expect(403));
    const trades = '/api/v1/trading/trades';
    const k = randomUUID();
    check('POST', trades, await trade(body, k).expect(201));
    check('POST', trades, await trade({ ...body, quantity: 3 }, k).expect(422));
    check('POST', trades, await trade({ ...body, quantity: 2.5 }).expect(400));
    check('POST', trades, await trade({ ...body, station_id: randomUUID() }).expect(404));
    const halt = (what: 'halt' | 'resume') =>
      t
        .http()
        .post(`/api/v1/admin/market/${what}`)
        .set(admin.auth)
        .send({ commodity: 'luxury_goods', reason });
    check('POST', '/api/v1/admin/market/halt', await halt('halt').expect(200));
    check('POST', trades, await trade(body).expect(423));
    check('POST', '/api/v1/admin/market/resume', await halt('resume').expect(200));
    check('GET', trades, await t.http().get(trades).set(player.auth).expect(200));
    check('GET', trades, await t.http().get(trades).query({ limit: 101 }).set(player.auth).expect(400));
    check('GET', trades, await t.http().get(trades).set(admin.auth).expect(403));
    expect(problems).toEqual([]);
  });

  it('automation rules: create, list, read, cancel, and their errors', async () => {
    const rules = '/api/v1/trading/automation-rules';
    const one = `${rules}/{id}`;
    const created = check(
      'POST',
      rules,
      await t
        .http()
        .post(rules)
        .set(player.auth)
        .send({ station_id: station.id, ...buy, max_unit_price: 1 })
        .expect(201),
    );
    const id = created.body.data.rule_id as string;
    check(
      'POST',
      rules,
      await t.http().post(rules).set(player.auth).send({ station_id: station.id }).expect(400),
    );
    check('GET', rules, await t.http().get(rules).set(player.auth).expect(200));
    check('GET', one, await t.http().get(`${rules}/${id}`).set(player.auth).expect(200));
    check('GET', one, await t.http().get(`${rules}/${randomUUID()}`).set(player.auth).expect(404));
    check('DELETE', one, await t.http().delete(`${rules}/${id}`).set(player.auth).expect(200));
    check('DELETE', one, await t.http().delete(`${rules}/${id}`).set(player.auth).expect(409));
    expect(problems).toEqual([]);
  });

  // The console's routes (admin, audit, system) and the probes: each called for real, as the role it is for.

  const as = (s: Session | null, method: 'get' | 'post' | 'put', url: string, body?: object) => {
    const req = t.http()[method](url);
    if (s) void req.set(s.auth);
    return body ? req.send(body) : req;
  };

  /** A registered player with a team, a planet, and a luxury good bought (a ledger row, cargo aboard). */
  const richPlayer = async (): Promise<Session & { playerId: string }> => {
    const p = await registerPlayer(t);
    await t.db.query('UPDATE players SET team_id = $2 WHERE id = $1', [p.playerId, await createTeam(t)]);
    await addPlanet(t, p.playerId);
    await buyOneLuxury(t, p, station.id).expect(201);
    return { ...p, playerId: p.playerId! };
  };

  it('admin players: the list with its filters, a player page in full, a change', async () => {
    const p = await richPlayer();
    const id = p.playerId;
    await as(moderator, 'post', '/api/v1/admin/interventions', {
      player_id: id,
      priority: 'high',
      category: 'economy',
      description: 'Looks into a contract check',
      reason,
    }).expect(201);
    await as(moderator, 'post', `/api/v1/admin/players/${id}/emergency/kick`, { reason }).expect(200);
    const detailed = '/api/v1/admin/players/{id}/detailed';
    const page = check(
      'GET',
      detailed,
      await as(moderator, 'get', `/api/v1/admin/players/${id}/detailed`).expect(200),
    );
    expect(page.body.data).toMatchObject({ ban: null, team: { member_count: 1 } });
    expect(page.body.data.recent_trades).toHaveLength(1);
    expect(page.body.data.open_interventions).toHaveLength(1);

    const update = '/api/v1/admin/players/{id}/comprehensive';
    const { version } = await playerRow(t, id);
    const changed = check(
      'PUT',
      update,
      await as(admin, 'put', `/api/v1/admin/players/${id}/comprehensive`, {
        version,
        turns: 500,
        status: 'banned',
        ban_until: new Date(Date.now() + 3_600_000).toISOString(),
        reason,
      }).expect(200),
    );
    expect(changed.body.data.changed).toEqual(expect.arrayContaining(['turns', 'status', 'ban_until']));
    check(
      'PUT',
      update,
      await as(admin, 'put', `/api/v1/admin/players/${id}/comprehensive`, {
        version: version + 1,
        turns: 500,
        reason,
      }).expect(200),
    );
    const banned = check(
      'GET',
      detailed,
      await as(moderator, 'get', `/api/v1/admin/players/${id}/detailed`).expect(200),
    );
    expect(banned.body.data.ban).toMatchObject({ reason, lifts_to: 'active' });
    expect(banned.body.data.recent_audit.length).toBeGreaterThan(0);

    const list = check(
      'GET',
      '/api/v1/admin/players/enhanced',
      await as(moderator, 'get', '/api/v1/admin/players/enhanced')
        .query({
          search: p.username,
          status: 'banned',
          min_risk: 0,
          created_after: '2020-01-01',
          online: 'false',
        })
        .expect(200),
    );
    expect(list.body.data.filters_applied).toEqual({
      search: p.username,
      status: 'banned',
      min_risk: 0,
      created_after: '2020-01-01',
      online: false,
    });
    expect(problems).toEqual([]);
  });

  it('admin assets: a player’s assets, a transfer (and its replay), a bulk update', async () => {
    const from = await richPlayer();
    const to = await registerPlayer(t);
    const url = (id: string, what: string) => `/api/v1/admin/players/${id}/assets/${what}`;
    const { active_ship_id: flagship } = await playerRow(t, from.playerId);
    const spare = await addShip(t, from.playerId, { cargo: { ore: 5, fuel: 2 } });
    const planet = await addPlanet(t, from.playerId);
    const assets = check(
      'GET',
      '/api/v1/admin/players/{id}/assets/detailed',
      await as(moderator, 'get', url(from.playerId, 'detailed')).expect(200),
    );
    expect(assets.body.data.cargo_totals).toEqual({ luxury_goods: 1, ore: 5, fuel: 2 });

    const transfer = '/api/v1/admin/players/{id}/assets/transfer';
    const key = randomUUID();
    const move = {
      to_player_id: to.playerId,
      credits: 100,
      ship_ids: [spare],
      planet_ids: [planet],
      cargo: { ship_id: flagship, commodity: 'luxury_goods', quantity: 1 },
      reason,
    };
    const sent = () => as(admin, 'post', url(from.playerId, 'transfer'), move).set('Idempotency-Key', key);
    const moved = check('POST', transfer, await sent().expect(200));
    const replay = check('POST', transfer, await sent().expect(200));
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.body.data).toEqual(moved.body.data);
    const creditsOnly = { to_player_id: to.playerId, credits: 1, reason };
    check('POST', transfer, await as(admin, 'post', url(from.playerId, 'transfer'), creditsOnly).expect(200));

    const bulkUpdate = '/api/v1/admin/players/{id}/assets/bulk-update';
    const unowned = await addPlanet(t, null);
    const first = check(
      'PUT',
      bulkUpdate,
      await as(admin, 'put', url(from.playerId, 'bulk-update'), {
        credits: { mode: 'adjust', amount: 50 },
        ships: { add: [{ type: 'scout' }], update: [{ ship_id: flagship, hull: 80 }] },
        cargo: [{ ship_id: flagship, commodity: 'ore', mode: 'set', quantity: 3 }],
        planets: { assign: [unowned] },
        reason,
      }).expect(200),
    );
    check(
      'PUT',
      bulkUpdate,
      await as(admin, 'put', url(from.playerId, 'bulk-update'), {
        version: first.body.data.version,
        ships: { remove: first.body.data.ships_added },
        planets: { release: [unowned] },
        reason,
      }).expect(200),
    );
    expect(problems).toEqual([]);
  });

  it('bulk operations: a dry run, two operations, the list, a status with per-player errors, a cancel', async () => {
    const api = '/api/v1/admin/players/bulk-operations';
    const ids = await insertPlayers(t, 3);
    await setStatus(t, ids[0]!, 'frozen');
    const freeze = {
      operation_type: 'set_status',
      parameters: { status: 'frozen' },
      target: { player_ids: ids },
      reason,
    };
    const dry = check('POST', api, await as(admin, 'post', api, { ...freeze, dry_run: true }).expect(200));
    expect(dry.body.data.sample).toHaveLength(3);
    const created = check('POST', api, await as(admin, 'post', api, freeze).expect(202));
    check(
      'POST',
      api,
      await as(admin, 'post', api, {
        operation_type: 'grant_ship',
        parameters: { ship_type: 'scout' },
        target: { filter: { status: 'frozen', min_risk: 0 } },
        reason,
      }).expect(202),
    );
    const status = `${api}/{opId}/status`;
    const done = await eventually(async () => {
      const res = await as(admin, 'get', `${api}/${created.body.data.operation_id}/status`).expect(200);
      return res.body.data.status === 'completed' ? res : undefined;
    });
    check('GET', status, done);
    expect(done.body.data.errors.items).toMatchObject([{ player_id: ids[0], outcome: 'skipped' }]);
    check('GET', api, await as(admin, 'get', api).expect(200));

    // Cancelled while pending, for certain: on an app whose worker does not run.
    const quiet = await startTestApp({ BULK_WORKER_ENABLED: 'false' });
    try {
      const quietAdmin = await loginAs(quiet, 'admin');
      const target = { player_ids: await insertPlayers(quiet, 1) };
      const body = { operation_type: 'adjust_credits', parameters: { amount: -5 }, target, reason };
      const pending = await quiet.http().post(api).set(quietAdmin.auth).send(body).expect(202);
      const opId = pending.body.data.operation_id as string;
      check('GET', status, await quiet.http().get(`${api}/${opId}/status`).set(quietAdmin.auth).expect(200));
      const cancel = await quiet
        .http()
        .post(`${api}/${opId}/cancel`)
        .set(quietAdmin.auth)
        .send({ reason })
        .expect(200);
      check('POST', `${api}/{opId}/cancel`, cancel);
      expect(cancel.body.data.status).toBe('cancelled');
    } finally {
      await quiet.close();
    }
    expect(problems).toEqual([]);
  });

  it('emergency: every action, the history, the bulk route with a refusal', async () => {
    const p = await registerPlayer(t);
    const id = p.playerId!;
    await setCargo(t, id, { ore: 4 });
    await t.db.query('UPDATE ships SET hull = 60 WHERE player_id = $1', [id]);
    await placePlayer(t, id, 2);
    const act = async (action: string, s: Session, extra: object = {}) =>
      check(
        'POST',
        `/api/v1/admin/players/{id}/emergency/${action}`,
        await as(s, 'post', `/api/v1/admin/players/${id}/emergency/${action}`, { reason, ...extra }).expect(
          200,
        ),
      );
    for (const action of ['freeze', 'unfreeze', 'kick', 'teleport_home']) await act(action, moderator);
    await act('reset_turns', admin, { turns: 10 });
    await act('emergency_credits', admin, { amount: 500 });
    const cleared = await act('clear_cargo', admin);
    expect(cleared.body.data.result_details.ships_cleared).toMatchObject([{ cargo: { ore: 4 } }]);
    await act('repair_ship', admin);
    await act('ban', admin, { duration_hours: 2 });
    await act('unban', admin);
    await act('ban', admin, { permanent: true });
    const history = check(
      'GET',
      '/api/v1/admin/players/{id}/emergency/history',
      await as(moderator, 'get', `/api/v1/admin/players/${id}/emergency/history`)
        .query({ limit: 100 })
        .expect(200),
    );
    expect(history.body.data.items).toHaveLength(11);

    const other = await registerPlayer(t);
    const bulk = check(
      'POST',
      '/api/v1/admin/players/emergency/bulk',
      await as(admin, 'post', '/api/v1/admin/players/emergency/bulk', {
        action: 'unban',
        player_ids: [id, other.playerId],
        reason,
      }).expect(200),
    );
    expect(bulk.body.data).toMatchObject({ succeeded: 1, failed: 1 });
    expect(problems).toEqual([]);
  });

  it('interventions: the queue with automatic ones, templates, opening one and working it to resolved', async () => {
    const p = await registerPlayer(t);
    const id = p.playerId!;
    // What the risk rules measure, as the trade and credit handlers publish it.
    t.app.get(EventBus).publish(new CreditsChangedEvent(id, '1000', '5001000', 'planet_income', null));
    publishTrades(t, id, station.id, 20);
    publishRejectedTrades(t, id, station.id, 10);
    await eventually(async () =>
      (await count(t, 'admin_interventions', 'player_id = $1 AND automatic', [id])) === 3 ? true : undefined,
    );

    const templates = '/api/v1/admin/interventions/templates';
    const template = check(
      'POST',
      templates,
      await as(moderator, 'post', templates, {
        name: `Contract ${randomUUID().slice(0, 8)}`,
        category: 'economy',
        priority: 'medium',
        description: 'A template for the contract check',
        suggested_actions: ['freeze'],
        reason,
      }).expect(201),
    );
    const templateId = template.body.data.id as string;
    check(
      'PUT',
      `${templates}/{id}`,
      await as(moderator, 'put', `${templates}/${templateId}`, {
        version: 1,
        priority: 'low',
        reason,
      }).expect(200),
    );
    check('GET', templates, await as(moderator, 'get', templates).expect(200));

    const api = '/api/v1/admin/interventions';
    const opened = check(
      'POST',
      api,
      await as(moderator, 'post', api, { template_id: templateId, player_id: id, reason }).expect(201),
    );
    const one = `${api}/{id}`;
    let current = opened.body.data as { id: string; version: number };
    for (const change of [
      { status: 'assigned', assigned_to: moderator.userId },
      { status: 'in_progress' },
      { status: 'resolved', resolution_notes: 'Checked and closed' },
    ]) {
      const res = check(
        'PUT',
        one,
        await as(moderator, 'put', `${api}/${current.id}`, {
          version: current.version,
          ...change,
          reason,
        }).expect(200),
      );
      current = res.body.data;
    }
    const queue = check(
      'GET',
      `${api}/queue`,
      await as(moderator, 'get', `${api}/queue`).query({ player_id: id }).expect(200),
    );
    expect(queue.body.data.items.map((i: { cause: string }) => i.cause).sort()).toEqual([
      'credit_gain_anomaly',
      'repeated_rejected_trades',
      'trade_burst',
    ]);
    check(
      'GET',
      `${api}/queue`,
      await as(moderator, 'get', `${api}/queue`).query({ status: 'resolved' }).expect(200),
    );
    expect(problems).toEqual([]);
  });

  it('market halts in force, global and per commodity', async () => {
    const halt = '/api/v1/admin/market/halt';
    const resume = '/api/v1/admin/market/resume';
    check('POST', halt, await as(admin, 'post', halt, { commodity: 'ore', reason }).expect(200));
    check('POST', halt, await as(admin, 'post', halt, { reason }).expect(200));
    const halts = check(
      'GET',
      '/api/v1/admin/market/halts',
      await as(admin, 'get', '/api/v1/admin/market/halts').expect(200),
    );
    expect(halts.body.data.map((h: { commodity: string | null }) => h.commodity)).toEqual(['ore', null]);
    check('POST', resume, await as(admin, 'post', resume, { commodity: 'ore', reason }).expect(200));
    check('POST', resume, await as(admin, 'post', resume, { reason }).expect(200));
    expect(problems).toEqual([]);
  });

  it('the node’s latencies and the health probes', async () => {
    const performance = check(
      'GET',
      '/api/v1/admin/system/performance',
      await as(moderator, 'get', '/api/v1/admin/system/performance').expect(200),
    );
    expect(performance.body.data.routes.length).toBeGreaterThan(0);
    check('GET', '/health/live', await as(null, 'get', '/health/live').expect(200));
    check('GET', '/health/ready', await as(null, 'get', '/health/ready').expect(200));
    expect(problems).toEqual([]);
  });

  it('audit: the log as an auditor and a superadmin read it, page by page', async () => {
    // A row by each kind of actor: a denied player, a moderator, an admin, the system (an automatic intervention).
    await as(player, 'get', '/api/v1/admin/players/enhanced').expect(403);
    const target = await registerPlayer(t);
    await as(moderator, 'post', `/api/v1/admin/players/${target.playerId}/emergency/kick`, { reason }).expect(
      200,
    );
    await as(admin, 'post', '/api/v1/admin/market/halt', { commodity: 'fuel', reason }).expect(200);
    await as(admin, 'post', '/api/v1/admin/market/resume', { commodity: 'fuel', reason }).expect(200);
    publishRejectedTrades(t, target.playerId!, station.id, 10);
    await eventually(async () =>
      (await count(t, 'admin_interventions', 'player_id = $1 AND automatic', [target.playerId])) === 1
        ? true
        : undefined,
    );
    const logs = '/api/v1/audit/logs';
    const first = check('GET', logs, await as(auditor, 'get', logs).query({ limit: 200 }).expect(200));
    const roles = new Set(first.body.data.items.map((e: { actor_role: string | null }) => e.actor_role));
    expect([...roles]).toEqual(expect.arrayContaining(['admin', 'moderator', 'player', 'system']));
    const cursor = first.body.data.items[1].id as string;
    check('GET', logs, await as(superadmin, 'get', logs).query({ cursor, limit: 2 }).expect(200));
    check('GET', logs, await as(auditor, 'get', logs).query({ outcome: 'denied' }).expect(200));
    expect(problems).toEqual([]);
  });
});
