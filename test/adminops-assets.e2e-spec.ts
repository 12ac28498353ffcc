import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { EventBus } from '@nestjs/cqrs';
import { AssetsChangedEvent } from '../src/modules/assets/events/assets-changed.event.js';
import { CreditsChangedEvent } from '../src/modules/players/events/credits-changed.event.js';
import { startTestApp, type TestApp } from './support/test-app.js';
import { expectErrorBody, loginAs, registerPlayer, type Session } from './support/factories.js';
import { addPlanet, addShip, count, insertPlayers, playerRow } from './support/adminops-fixtures.js';
import { buyOneLuxury, createStation, placePlayer } from './support/market-factories.js';

jest.setTimeout(120_000);

const assets = (id: string) => `/api/v1/admin/players/${id}/assets`;

describe('admin assets', () => {
  let t: TestApp;
  let admin: Session;
  let mod: Session;
  const published: object[] = [];

  beforeAll(async () => {
    t = await startTestApp();
    admin = await loginAs(t, 'admin');
    mod = await loginAs(t, 'moderator');
    t.app.get(EventBus).subscribe((e: object) => published.push(e));
  });
  afterAll(async () => {
    await t.close();
  });

  describe('GET detailed', () => {
    it('shows credits, ships with cargo by commodity, planets and the recent ledger', async () => {
      const [id] = await insertPlayers(t, 1, { credits: 777 });
      const ship = await addShip(t, id!, { cargo: { ore: 30, fuel: 10 }, active: true });
      await addShip(t, id!, { cargo: { ore: 5 } });
      const planet = await addPlanet(t, id!);
      const [station] = await t.db.query(
        `INSERT INTO stations (sector_id, name, class) VALUES (1, 'Port', 1) RETURNING id`,
      );
      await t.db.query(
        `INSERT INTO market_transactions (player_id, station_id, ship_id, commodity, action, quantity, unit_price, total, credits_after)
         VALUES ($1, $2, $3, 'ore', 'buy', 30, 20, 600, 777)`,
        [id, station.id, ship],
      );
      const res = await t
        .http()
        .get(`${assets(id!)}/detailed`)
        .set(mod.auth)
        .expect(200);
      const d = res.body.data;
      expect(d.credits).toBe('777');
      expect(d.ships).toHaveLength(2);
      expect(d.ships[0]).toMatchObject({
        id: ship,
        cargo: { ore: 30, fuel: 10 },
        cargo_used: 40,
        cargo_free: 460,
        active: true,
      });
      expect(d.cargo_totals).toEqual({ ore: 35, fuel: 10 });
      expect(d.planets.map((p: { id: string }) => p.id)).toEqual([planet]);
      expect(d.recent_ledger[0]).toMatchObject({
        commodity: 'ore',
        action: 'buy',
        quantity: 30,
        total: '600',
      });
    });

    it('401 without a token, 403 for a player or auditor, 404 unknown, 400 bad id', async () => {
      const [id] = await insertPlayers(t, 1);
      const p = await registerPlayer(t);
      const auditor = await loginAs(t, 'auditor');
      await t
        .http()
        .get(`${assets(id!)}/detailed`)
        .expect(401);
      await t
        .http()
        .get(`${assets(id!)}/detailed`)
        .set(p.auth)
        .expect(403);
      await t
        .http()
        .get(`${assets(p.playerId!)}/detailed`)
        .set(p.auth)
        .expect(403); // even its own: admin route
      await t
        .http()
        .get(`${assets(id!)}/detailed`)
        .set(auditor.auth)
        .expect(403);
      expectErrorBody(
        (
          await t
            .http()
            .get(`${assets('00000000-0000-4000-8000-000000000000')}/detailed`)
            .set(mod.auth)
            .expect(404)
        ).body,
        'ASSETS.PLAYER_NOT_FOUND',
      );
      expectErrorBody(
        (
          await t
            .http()
            .get(`${assets('nope')}/detailed`)
            .set(mod.auth)
            .expect(400)
        ).body,
        'VALIDATION_FAILED',
      );
    });
  });

  describe('POST transfer', () => {
    it('moves credits, ships, planets and cargo atomically, audits once, notifies both players', async () => {
      const [a, b] = await insertPlayers(t, 2, { credits: 1000 });
      const aShip = await addShip(t, a!, { cargo: { ore: 50 }, active: true });
      const aShip2 = await addShip(t, a!);
      const bShip = await addShip(t, b!, { active: true });
      const planet = await addPlanet(t, a!);
      const res = await t
        .http()
        .post(`${assets(a!)}/transfer`)
        .set(admin.auth)
        .send({
          to_player_id: b,
          credits: 400,
          ship_ids: [aShip2],
          planet_ids: [planet],
          cargo: { ship_id: aShip, commodity: 'ore', quantity: 20 },
          reason: 'account merge',
        })
        .expect(200);
      expect(res.body.data).toMatchObject({
        credits: { amount: 400, from_after: '600', to_after: '1400' },
        ship_ids: [aShip2],
        planet_ids: [planet],
        cargo: { from_ship_id: aShip, to_ship_id: bShip, commodity: 'ore', quantity: 20 },
      });
      expect((await playerRow(t, a!)).credits).toBe('600');
      expect((await playerRow(t, b!)).credits).toBe('1400');
      const ships = await t.db.query('SELECT id, player_id, cargo FROM ships WHERE id = ANY($1)', [
        [aShip, aShip2, bShip],
      ]);
      const byId = Object.fromEntries(ships.map((s: { id: string }) => [s.id, s]));
      expect(byId[aShip2].player_id).toBe(b);
      expect(byId[aShip].cargo).toEqual({ ore: 30 });
      expect(byId[bShip].cargo).toEqual({ ore: 20 });
      expect(await count(t, 'planets', 'id = $1 AND owner_id = $2', [planet, b])).toBe(1);
      expect(await count(t, 'audit_log', "action = 'assets.transfer' AND target_id = $1", [a])).toBe(1);
      // The receiver finds it in its own history too.
      const received = await t
        .http()
        .get('/api/v1/audit/logs')
        .query({ target: b! })
        .set((await loginAs(t, 'auditor')).auth)
        .expect(200);
      expect(received.body.data.items).toEqual([
        expect.objectContaining({
          action: 'assets.transfer_in',
          reason: 'account merge',
          before: { credits: '1000' },
          after: expect.objectContaining({ from_player_id: a, ship_ids: [aShip2] }),
        }),
      ]);
      const changed = published.filter((e) => e instanceof AssetsChangedEvent) as AssetsChangedEvent[];
      expect(
        changed.some((e) => e.playerId === a && e.kind === 'transfer_out' && e.counterpartyId === b),
      ).toBe(true);
      expect(
        changed.some((e) => e.playerId === b && e.kind === 'transfer_in' && e.counterpartyId === a),
      ).toBe(true);
      expect(
        published.some((e) => e instanceof CreditsChangedEvent && e.playerId === b && e.after === '1400'),
      ).toBe(true);
    });

    it('giving away the active ship makes a remaining ship active: the player can still trade', async () => {
      const giver = await registerPlayer(t);
      const [receiver] = await insertPlayers(t, 1);
      const station = await createStation(t, { sector: 1 });
      await placePlayer(t, giver.playerId!, 1);
      const given = (await playerRow(t, giver.playerId!)).active_ship_id!;
      const kept = await addShip(t, giver.playerId!);
      await t
        .http()
        .post(`${assets(giver.playerId!)}/transfer`)
        .set(admin.auth)
        .send({ to_player_id: receiver, ship_ids: [given], reason: 'ship sold between players' })
        .expect(200);
      expect((await playerRow(t, giver.playerId!)).active_ship_id).toBe(kept);
      expect((await playerRow(t, receiver!)).active_ship_id).toBe(given);
      await buyOneLuxury(t, giver, station.id).expect(201);
      const [hold] = await t.db.query('SELECT cargo FROM ships WHERE id = $1', [kept]);
      expect(hold.cargo).toEqual({ luxury_goods: 1 });
    });

    it('refuses, writing nothing: overdraft, foreign ship, frozen or banned party, same player, bad input', async () => {
      const [a, b, c] = await insertPlayers(t, 3, { credits: 100 });
      const foreign = await addShip(t, c!);
      const send = (from: string, body: object) =>
        t
          .http()
          .post(`${assets(from)}/transfer`)
          .set(admin.auth)
          .send({ reason: 'test move', ...body });
      const auditBefore = await count(t, 'audit_log', "action = 'assets.transfer'");

      expectErrorBody(
        (await send(a!, { to_player_id: b, credits: 101 }).expect(409)).body,
        'ASSETS.INSUFFICIENT_CREDITS',
      );
      expectErrorBody(
        (await send(a!, { to_player_id: b, credits: 50, ship_ids: [foreign] }).expect(409)).body,
        'ASSETS.SHIP_NOT_OWNED',
      );
      expect((await playerRow(t, a!)).credits).toBe('100'); // the credit leg rolled back with the ship leg
      await t.db.query(`UPDATE players SET status = 'frozen' WHERE id = $1`, [b]);
      expectErrorBody(
        (await send(a!, { to_player_id: b, credits: 1 }).expect(409)).body,
        'ASSETS.PARTY_RESTRICTED',
      );
      await t.db.query(`UPDATE players SET status = 'banned' WHERE id = $1`, [a]);
      expectErrorBody(
        (await send(a!, { to_player_id: c, credits: 1 }).expect(409)).body,
        'ASSETS.PARTY_RESTRICTED',
      );
      expectErrorBody(
        (await send(c!, { to_player_id: c, credits: 1 }).expect(400)).body,
        'VALIDATION_FAILED',
      );
      expectErrorBody((await send(c!, { to_player_id: a }).expect(400)).body, 'VALIDATION_FAILED');
      expectErrorBody(
        (await send(c!, { to_player_id: a, credits: -5 }).expect(400)).body,
        'VALIDATION_FAILED',
      );
      expectErrorBody(
        (
          await t
            .http()
            .post(`${assets(c!)}/transfer`)
            .set(admin.auth)
            .send({ to_player_id: a, credits: 5 })
            .expect(400)
        ).body,
        'VALIDATION_FAILED',
      );
      expectErrorBody(
        (await send(c!, { to_player_id: '00000000-0000-4000-8000-000000000000', credits: 1 }).expect(404))
          .body,
        'ASSETS.PLAYER_NOT_FOUND',
      );
      expect(await count(t, 'audit_log', "action = 'assets.transfer'")).toBe(auditBefore);
      await t
        .http()
        .post(`${assets(c!)}/transfer`)
        .set(mod.auth)
        .send({ to_player_id: a, credits: 1, reason: 'x y z' })
        .expect(403);
      await t
        .http()
        .post(`${assets(c!)}/transfer`)
        .send({ to_player_id: a, credits: 1, reason: 'x y z' })
        .expect(401);
    });

    // Real Postgres only (CI's second pass): under this burst the embedded pglite-socket server was seen to
    // stall on interleaved statements of concurrent connections (see README, "Known limitations").
    const onPostgres = process.env.TEST_DATABASE_URL ? it : it.skip;
    onPostgres('opposite concurrent transfers neither deadlock nor lose credits', async () => {
      const [a, b] = await insertPlayers(t, 2, { credits: 1000 });
      const go = (from: string, to: string) =>
        t
          .http()
          .post(`${assets(from)}/transfer`)
          .set(admin.auth)
          .send({ to_player_id: to, credits: 10, reason: 'ping pong' });
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => (i % 2 ? go(a!, b!) : go(b!, a!))),
      );
      expect(results.every((r) => r.status === 200)).toBe(true);
      const total = BigInt((await playerRow(t, a!)).credits) + BigInt((await playerRow(t, b!)).credits);
      expect(total).toBe(2000n);
    });
  });

  describe('PUT bulk-update', () => {
    it('sets or adjusts credits, ships, cargo and planets in one atomic request', async () => {
      const [id] = await insertPlayers(t, 1, { credits: 500 });
      const ship = await addShip(t, id!, { cargo: { ore: 10 }, active: true, hull: 40 });
      const gone = await addShip(t, id!);
      const free = await addPlanet(t, null);
      const owned = await addPlanet(t, id!);
      const v = (await playerRow(t, id!)).version;
      const res = await t
        .http()
        .put(`${assets(id!)}/bulk-update`)
        .set(admin.auth)
        .send({
          reason: 'support ticket 42',
          version: v,
          credits: { mode: 'adjust', amount: -200 },
          ships: {
            add: [{ type: 'scout' }],
            update: [{ ship_id: ship, hull: 100, name: 'Fixed' }],
            remove: [gone],
          },
          cargo: [
            { ship_id: ship, commodity: 'ore', mode: 'adjust', quantity: -10 },
            { ship_id: ship, commodity: 'fuel', mode: 'set', quantity: 25 },
          ],
          planets: { assign: [free], release: [owned] },
        })
        .expect(200);
      const d = res.body.data;
      expect(d).toMatchObject({
        credits: '300',
        version: v + 1,
        ships_removed: [gone],
        planets_assigned: [free],
      });
      expect(d.ships_added).toHaveLength(1);
      const [s] = await t.db.query('SELECT cargo, cargo_used, hull, name FROM ships WHERE id = $1', [ship]);
      expect(s).toEqual({ cargo: { fuel: 25 }, cargo_used: 25, hull: 100, name: 'Fixed' });
      expect(await count(t, 'ships', 'id = $1 AND player_id IS NULL', [gone])).toBe(1);
      expect(await count(t, 'planets', 'owner_id = $1', [id])).toBe(1);
      expect(await count(t, 'audit_log', "action = 'assets.bulk_update' AND target_id = $1", [id])).toBe(1);
      // The audit row says what each ship was and became: edited (hull 40 → 100, renamed), removed, added.
      const [row] = await t.db.query(
        `SELECT before, after FROM audit_log WHERE action = 'assets.bulk_update' AND target_id = $1`,
        [id],
      );
      const [edited] = await t.db.query('SELECT name, type, sector_id FROM ships WHERE id = $1', [gone]);
      expect(row.before.ships).toEqual({
        [ship!]: expect.objectContaining({ hull: 40 }),
        [gone!]: {
          name: edited.name,
          type: edited.type,
          hull: expect.any(Number),
          sector_id: edited.sector_id,
        },
      });
      expect(row.before.ships[ship!].name).not.toBe('Fixed');
      expect(row.after.ships).toEqual({
        [ship!]: expect.objectContaining({ hull: 100, name: 'Fixed' }),
        [d.ships_added[0]]: expect.objectContaining({ type: 'scout', hull: expect.any(Number) }),
      });

      // set mode
      await t
        .http()
        .put(`${assets(id!)}/bulk-update`)
        .set(admin.auth)
        .send({ reason: 'reset', credits: { mode: 'set', amount: 5 } })
        .expect(200);
      expect((await playerRow(t, id!)).credits).toBe('5');
    });

    it('any refusal rolls back everything; stale version is 409', async () => {
      const [id] = await insertPlayers(t, 1, { credits: 500 });
      const ship = await addShip(t, id!, { capacity: 100 });
      const taken = await addPlanet(t, (await insertPlayers(t, 1))[0]!);
      const v = (await playerRow(t, id!)).version;
      const put = (body: object) =>
        t
          .http()
          .put(`${assets(id!)}/bulk-update`)
          .set(admin.auth)
          .send({ reason: 'fix things', ...body });

      expectErrorBody(
        (await put({ credits: { mode: 'adjust', amount: 100 }, planets: { assign: [taken] } }).expect(409))
          .body,
        'ASSETS.PLANET_TAKEN',
      );
      expectErrorBody(
        (
          await put({
            credits: { mode: 'adjust', amount: 100 },
            cargo: [{ ship_id: ship, commodity: 'ore', mode: 'set', quantity: 101 }],
          }).expect(409)
        ).body,
        'ASSETS.CARGO_CAPACITY',
      );
      expectErrorBody(
        (await put({ credits: { mode: 'adjust', amount: -501 } }).expect(409)).body,
        'ASSETS.NEGATIVE_BALANCE',
      );
      // A negative set is bad input, not a conflict with the player's state: 400 naming the field.
      const negativeSet = await put({ credits: { mode: 'set', amount: -1 } }).expect(400);
      expectErrorBody(negativeSet.body, 'VALIDATION_FAILED');
      expect(JSON.stringify(negativeSet.body)).toContain('must not be negative with mode');
      expectErrorBody(
        (
          await put({
            credits: { mode: 'adjust', amount: 100 },
            cargo: [{ ship_id: ship, commodity: 'ore', mode: 'set', quantity: -1 }],
          }).expect(400)
        ).body,
        'VALIDATION_FAILED',
      );
      expect((await playerRow(t, id!)).credits).toBe('500');
      expect((await playerRow(t, id!)).version).toBe(v);

      expectErrorBody((await put({}).expect(400)).body, 'VALIDATION_FAILED');
      expectErrorBody(
        (await put({ credits: { mode: 'double', amount: 1 } }).expect(400)).body,
        'VALIDATION_FAILED',
      );
      expectErrorBody(
        (
          await put({
            cargo: [{ ship_id: ship, commodity: 'unobtainium', mode: 'set', quantity: 1 }],
          }).expect(400)
        ).body,
        'VALIDATION_FAILED',
      );
      await t
        .http()
        .put(`${assets(id!)}/bulk-update`)
        .set(admin.auth)
        .send({ credits: { mode: 'set', amount: 1 } })
        .expect(400);

      await put({ version: v, credits: { mode: 'adjust', amount: 1 } }).expect(200);
      const stale = await put({ version: v, credits: { mode: 'adjust', amount: 1 } }).expect(409);
      expectErrorBody(stale.body, 'ASSETS.VERSION_CONFLICT');
      expect((await playerRow(t, id!)).credits).toBe('501');
    });

    it('If-Match carries the version as on the comprehensive update: a stale one is 409, nothing written', async () => {
      const [id] = await insertPlayers(t, 1, { credits: 500 });
      const v = (await playerRow(t, id!)).version;
      const put = (ifMatch: string, body: object = {}) =>
        t
          .http()
          .put(`${assets(id!)}/bulk-update`)
          .set(admin.auth)
          .set('If-Match', ifMatch)
          .send({ reason: 'console edit', credits: { mode: 'set', amount: 900 }, ...body });
      await put(`"${v}"`).expect(200);
      // A second console still holding the old version must not overwrite the first one's edit.
      const stale = await put(`"${v}"`, { credits: { mode: 'set', amount: 100 } }).expect(409);
      expectErrorBody(stale.body, 'ASSETS.VERSION_CONFLICT');
      expectErrorBody((await put('"abc"').expect(400)).body, 'VALIDATION_FAILED');
      expectErrorBody((await put(`"${v + 1}"`, { version: v }).expect(400)).body, 'VALIDATION_FAILED');
      expect(await playerRow(t, id!)).toMatchObject({ credits: '900', version: v + 1 });
      await put(`W/"${v + 1}"`, { credits: { mode: 'adjust', amount: 1 } }).expect(200);
      expect((await playerRow(t, id!)).credits).toBe('901');
    });

    it('bulk-update is for admins only', async () => {
      const [id] = await insertPlayers(t, 1);
      await t
        .http()
        .put(`${assets(id!)}/bulk-update`)
        .set(mod.auth)
        .send({ reason: 'x y z', credits: { mode: 'set', amount: 1 } })
        .expect(403);
      await t
        .http()
        .put(`${assets(id!)}/bulk-update`)
        .send({ reason: 'x y z', credits: { mode: 'set', amount: 1 } })
        .expect(401);
    });
  });
});
