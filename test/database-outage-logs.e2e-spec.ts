import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { CapturedLogs, hasStack, LEVEL, ofRequest, type LogLine } from './support/captured-logs.js';
import { loginAs, registerPlayer, type Session } from './support/factories.js';
import { createStation, holdMarketRow, type StationFixture } from './support/market-factories.js';
import { connectSocket, refusedHandshake, type TestSocket } from './support/socket-client.js';
import { tcpRelay, type TcpRelay } from './support/tcp-relay.js';
import {
  createTestDatabase,
  eventually,
  lockWaiter,
  startTestApp,
  type TestApp,
  type TestDatabase,
} from './support/test-app.js';

jest.setTimeout(60_000);

/**
 * What the operator on call reads of database failures, in the app's own JSON log lines (LOG_LEVEL debug, so
 * that the lines an operator at the default info does not see are checked too): an outage told once as it
 * starts and once as it ends, each refused request a debug line without a stack, and the metric to alert on;
 * a failure that is not an outage still logged at error with its stack. The outage itself runs where the app's
 * database is a real Postgres reached over TCP (TEST_DATABASE_URL), cut by a relay as in
 * database-outage.e2e-spec.ts; the embedded PGlite lives in the app's process and cannot go away on its own.
 */
const onPostgres = Boolean(process.env.TEST_DATABASE_URL);

const quietEnv = { LOG_LEVEL: 'debug', MARKET_REGEN_SECONDS: '0', PRICE_SNAPSHOT_SECONDS: '0' };

/** `name`'s samples on /metrics, each labels string (`{code="…",…}`, or '' without labels) to its value. */
async function metric(t: TestApp, name: string): Promise<Map<string, number>> {
  const text = (await t.http().get('/metrics').expect(200)).text;
  const samples = new Map<string, number>();
  for (const m of text.matchAll(new RegExp(`^${name}(\\{[^}]*\\})? (\\S+)$`, 'gm')))
    samples.set(m[1] ?? '', Number(m[2]));
  return samples;
}
const refusedCount = async (t: TestApp, code: string, transport: string) =>
  (await metric(t, 'database_refused_requests_total')).get(`{code="${code}",transport="${transport}"}`) ?? 0;
const databaseAvailable = async (t: TestApp) => (await metric(t, 'database_available')).get('');

const from = (lines: LogLine[], context: string) => lines.filter((l) => l.context === context);
const starting = (lines: LogLine[], prefix: string) => lines.filter((l) => l.msg.startsWith(prefix));

const buy = (station: StationFixture, quantity = 1) => ({
  station_id: station.id,
  commodity: 'luxury_goods',
  action: 'buy',
  quantity,
  max_unit_price: 1000,
});

describe('database failures in the log', () => {
  /** Every app's lines (see CapturedLogs: one logger per file). */
  const logs = new CapturedLogs();

  describe('a failure that is not an outage', () => {
    let t: TestApp;
    let station: StationFixture;
    const sockets: TestSocket[] = [];

    beforeAll(async () => {
      t = await startTestApp(quietEnv, undefined, logs);
      station = await createStation(t, { markets: { luxury_goods: { capacity: 1000, stock: 500 } } });
    });
    afterAll(async () => {
      for (const s of sockets) s.close();
      await t?.close();
    });

    it('a statement that fails on its own (its table gone) is a 500 logged at error with its stack, over REST and Socket.IO; the database stays available', async () => {
      const player = await registerPlayer(t);
      const socket = await connectSocket(t.url, '/trading', player.token);
      sockets.push(socket);
      const requestId = `bug-${randomUUID()}`;
      const mark = logs.lines.length;
      // A schema the code does not expect (a botched deploy, a manual change): a bug to fix, not an outage.
      await t.db.query('ALTER TABLE market_transactions RENAME TO market_transactions_elsewhere');
      let ack: { success: boolean; error: { code: string } };
      try {
        const res = await t
          .http()
          .get('/api/v1/trading/trades')
          .set(player.auth)
          .set('x-request-id', requestId);
        expect(res.status).toBe(500);
        expect(res.body.error).toBe('INTERNAL_ERROR');
        expect(JSON.stringify(res.body)).not.toMatch(/market_transactions|at .*\.js/);
        ack = (await socket.request('trading_command', {
          ...buy(station),
          idempotency_key: `bug-${randomUUID()}`,
        })) as unknown as typeof ack;
      } finally {
        await t.db.query('ALTER TABLE market_transactions_elsewhere RENAME TO market_transactions');
      }
      expect(ack.success).toBe(false);
      expect(ack.error.code).toBe('INTERNAL_ERROR');

      const lines = logs.since(mark);
      const [failure, ...more] = from(ofRequest(lines, requestId), 'HttpExceptionFilter');
      expect(more).toEqual([]);
      expect(failure).toMatchObject({ level: LEVEL.error, msg: 'Unhandled error while serving request' });
      expect((failure!.err as { message: string }).message).toMatch(/market_transactions/);
      expect(hasStack(failure!)).toBe(true);
      const socketFailures = from(lines, 'WsExceptionFilter');
      expect(socketFailures).toHaveLength(1);
      expect(socketFailures[0]).toMatchObject({
        level: LEVEL.error,
        msg: 'Unhandled error in a socket handler',
      });
      expect(hasStack(socketFailures[0]!)).toBe(true);
      // The access line says 500 without a stack of its own (pino-http's made-up error for any 5xx).
      const access = ofRequest(lines, requestId).find((l) => l.res !== undefined);
      expect(access).toMatchObject({ level: LEVEL.info, res: { statusCode: 500 } });
      expect(hasStack(access!)).toBe(false);

      // Not an outage: nothing said of the database being away, nothing counted as refused.
      expect(from(lines, 'DatabaseAvailability')).toEqual([]);
      expect(await databaseAvailable(t)).toBe(1);
      expect(await refusedCount(t, 'DATABASE_UNAVAILABLE', 'http')).toBe(0);
      expect(await refusedCount(t, 'DATABASE_UNAVAILABLE', 'socket')).toBe(0);
      await t.http().get('/health/ready').expect(200);
    });
  });

  (onPostgres ? describe : describe.skip)('when Postgres goes away', () => {
    let database: TestDatabase;
    let relay: TcpRelay;
    let t: TestApp;
    let station: StationFixture;
    const sockets: TestSocket[] = [];

    beforeAll(async () => {
      database = await createTestDatabase('outagelogs');
      relay = await tcpRelay(database.url!, 5432);
      t = await startTestApp(
        { ...quietEnv, DATABASE_URL: relay.url, DB_CONNECT_TIMEOUT_MS: '2000', DB_QUERY_TIMEOUT_MS: '3000' },
        { database },
        logs,
      );
      station = await createStation(t, { markets: { luxury_goods: { capacity: 1000, stock: 500 } } });
    });
    afterAll(async () => {
      for (const s of sockets) s.close();
      await relay?.up();
      await t?.close();
      await relay?.close();
      await database?.drop();
    });

    const backLine = async (mark: number) =>
      eventually(() => starting(logs.since(mark), 'Database connection is back')[0]);
    const ready = () =>
      eventually(async () => ((await t.http().get('/health/ready')).status === 200 ? true : undefined));

    it('the loss is one warning with its cause and the return one line with the outage length and the refused count; each refused request only a debug line; the gauge and the counter move', async () => {
      const player = await registerPlayer(t);
      const socket = await connectSocket(t.url, '/trading', player.token);
      sockets.push(socket);
      const before = {
        http: await refusedCount(t, 'DATABASE_UNAVAILABLE', 'http'),
        socket: await refusedCount(t, 'DATABASE_UNAVAILABLE', 'socket'),
      };
      expect(await databaseAvailable(t)).toBe(1);
      const mark = logs.lines.length;
      const requestIds: string[] = [];
      const send = (req: ReturnType<ReturnType<TestApp['http']>['get']>) => {
        const id = `outage-${randomUUID()}`;
        requestIds.push(id);
        return req.set('x-request-id', id);
      };

      await relay.down();
      try {
        for (let i = 0; i < 10; i++) {
          const res = await send(t.http().get('/api/v1/trading/trades').set(player.auth));
          expect(res.status).toBe(503);
          expect(res.body.error).toBe('DATABASE_UNAVAILABLE');
        }
        for (let i = 0; i < 5; i++) {
          const res = await send(
            t
              .http()
              .post('/api/v1/trading/trades')
              .set(player.auth)
              .set('Idempotency-Key', `outage-${randomUUID()}`)
              .send(buy(station)),
          );
          expect(res.body.error).toBe('DATABASE_UNAVAILABLE');
        }
        for (let i = 0; i < 3; i++) {
          const ack = (await socket.request('trading_command', {
            ...buy(station),
            idempotency_key: `outage-${randomUUID()}`,
          })) as unknown as { error: { code: string } };
          expect(ack.error.code).toBe('DATABASE_UNAVAILABLE');
        }
        const refused = await refusedHandshake(t.url, '/player', player.token);
        expect(refused.data).toMatchObject({ code: 'DATABASE_UNAVAILABLE' });
        // The load balancer's probes fail meanwhile (and are not counted as refused requests).
        for (let i = 0; i < 3; i++) expect((await t.http().get('/health/ready')).status).toBe(503);

        expect(await databaseAvailable(t)).toBe(0);
        expect((await refusedCount(t, 'DATABASE_UNAVAILABLE', 'http')) - before.http).toBe(15);
        expect((await refusedCount(t, 'DATABASE_UNAVAILABLE', 'socket')) - before.socket).toBe(4);
      } finally {
        await relay.up();
      }
      const back = await backLine(mark);
      await ready();
      expect(await databaseAvailable(t)).toBe(1);

      const lines = logs.since(mark);
      const lost = starting(lines, 'Database connection lost');
      expect(lost).toHaveLength(1);
      expect(lost[0]).toMatchObject({ level: LEVEL.warn, context: 'DatabaseAvailability' });
      // The cause as the driver gave it, in a line: no stack for an outage everyone knows the shape of.
      const cause = lost[0]!.cause as { code?: string; message: string };
      expect(cause.message).toMatch(/ECONNREFUSED|Connection terminated/);
      expect(hasStack(lost[0]!)).toBe(false);
      expect(starting(lines, 'Database connection is back')).toHaveLength(1);
      expect(back.req).toBeUndefined(); // found by the node's own probe, in no request
      expect(back).toMatchObject({
        level: LEVEL.info,
        context: 'DatabaseAvailability',
        refusedRequests: 19,
        refusedByCode: { DATABASE_UNAVAILABLE: 19 },
        downSeconds: expect.any(Number),
      });

      // Each refused request: its access line (info) and a debug line, neither with a stack (and the first one the
      // warning, which names the request that found the outage).
      expect(ofRequest([lost[0]!], requestIds[0]!)).toEqual(lost);
      for (const id of requestIds) {
        const own = ofRequest(lines, id).filter((l) => l !== lost[0]);
        expect(own.filter((l) => l.level >= LEVEL.warn || hasStack(l))).toEqual([]);
        expect(
          own.filter((l) => l.level === LEVEL.debug && l.msg === 'Refused with DATABASE_UNAVAILABLE'),
        ).toHaveLength(1);
      }
      // Nothing of the refused requests, socket messages, handshake or probes at error, or with a stack.
      const refusals = lines.filter((l) =>
        ['HttpExceptionFilter', 'WsExceptionFilter', 'RealtimeHub', 'DatabaseAvailability'].includes(
          l.context ?? '',
        ),
      );
      expect(refusals.filter((l) => l.level >= LEVEL.error || hasStack(l))).toEqual([]);
      expect(from(lines, 'DatabaseAvailability').filter((l) => l.level >= LEVEL.info)).toEqual([
        lost[0],
        back,
      ]);
      expect(
        from(lines, 'DatabaseAvailability').filter(
          (l) => l.level === LEVEL.debug && l.transport === 'socket',
        ),
      ).toHaveLength(4);
    });

    it('an /admin console connecting during the outage gets ANALYTICS.UNAVAILABLE and a denied request its 403 without its audit row: told as refusals of the outage (debug lines, counted), no warning or stack of their own', async () => {
      const admin = await loginAs(t, 'admin');
      const player = await registerPlayer(t);
      const before = await refusedCount(t, 'DATABASE_UNAVAILABLE', 'socket');
      const deniedId = `denied-${randomUUID()}`;
      const mark = logs.lines.length;
      await relay.down();
      try {
        const watcher = await connectSocket(t.url, '/admin', admin.token);
        sockets.push(watcher);
        // The initial state reads the database: the console is told so, and stays connected.
        expect((await watcher.next('error')).data).toMatchObject({ code: 'ANALYTICS.UNAVAILABLE' });
        const denied = await t
          .http()
          .get('/api/v1/admin/players/enhanced')
          .set(player.auth)
          .set('x-request-id', deniedId);
        expect(denied.status).toBe(403);
        expect(denied.body.error).toBe('AUTH.FORBIDDEN');
        expect((await refusedCount(t, 'DATABASE_UNAVAILABLE', 'socket')) - before).toBe(1);
      } finally {
        await relay.up();
      }
      const back = await backLine(mark);
      await ready();
      expect(back).toMatchObject({
        refusedRequests: 1,
        refusedByCode: { DATABASE_UNAVAILABLE: 1 },
        skipped: { 'audit.denied': 1 },
      });

      const lines = logs.since(mark);
      expect(from(lines, 'AdminGateway')).toEqual([]);
      expect(from(lines, 'AuditService')).toEqual([]);
      const told = lines.filter((l) =>
        ['DatabaseAvailability', 'UnavailableResponses', 'WsExceptionFilter', 'HttpExceptionFilter'].includes(
          l.context ?? '',
        ),
      );
      expect(told.filter((l) => l.level >= LEVEL.error || hasStack(l))).toEqual([]);
      expect(
        from(lines, 'DatabaseAvailability')
          // The node's own ticks (the bulk worker's poll, the metrics tick) may meet the outage too: theirs.
          .filter((l) => l.level === LEVEL.debug && (l.what === undefined || l.what === 'audit.denied'))
          .map((l) => l.msg),
      ).toEqual([
        'Refused with DATABASE_UNAVAILABLE',
        'Skipped audit.denied: the database could not take it (DATABASE_UNAVAILABLE)',
      ]);
      expect(
        from(lines, 'DatabaseAvailability').find((l) => l.msg === 'Refused with DATABASE_UNAVAILABLE'),
      ).toMatchObject({ transport: 'socket', namespace: '/admin', event: 'connect' });
      expect(starting(lines, 'Database connection lost')).toHaveLength(1);
    });

    it('with no traffic at all, the readiness probes find the outage and its end', async () => {
      const mark = logs.lines.length;
      await relay.down();
      try {
        expect((await t.http().get('/health/ready')).status).toBe(503);
        expect(await databaseAvailable(t)).toBe(0);
      } finally {
        await relay.up();
      }
      const back = await backLine(mark);
      expect(back).toMatchObject({ refusedRequests: 0 });
      const lost = starting(logs.since(mark), 'Database connection lost');
      expect(lost).toHaveLength(1);
      expect((lost[0]!.cause as { message: string }).message).toMatch(/ECONNREFUSED|Connection terminated/);
      expect(await databaseAvailable(t)).toBe(1);
    });

    it('every pooled connection taken is not an outage: one warning however many requests are refused DATABASE_BUSY, and the gauge stays 1', async () => {
      const mark = logs.lines.length;
      const small = await startTestApp(
        { ...quietEnv, DB_POOL_SIZE: '1', DB_CONNECT_TIMEOUT_MS: '500' },
        { database },
        logs,
      );
      const direct = new pg.Client({ connectionString: database.url });
      await direct.connect();
      try {
        const player: Session = await registerPlayer(small);
        await holdMarketRow(direct, station.id);
        let pending: PromiseLike<{ status: number }>;
        try {
          // A trade takes the node's only connection and waits on the row lock with it.
          pending = small
            .http()
            .post('/api/v1/trading/trades')
            .set(player.auth)
            .set('Idempotency-Key', `busy-${randomUUID()}`)
            .send(buy(station))
            .then((r) => r);
          await lockWaiter(direct);
          for (let i = 0; i < 3; i++) {
            const busy = await small.http().get('/api/v1/trading/trades').set(player.auth);
            expect(busy.body.error).toBe('DATABASE_BUSY');
          }
          expect(await databaseAvailable(small)).toBe(1);
        } finally {
          await direct.query('ROLLBACK');
        }
        expect((await pending).status).toBe(201);
        expect(await refusedCount(small, 'DATABASE_BUSY', 'http')).toBe(3);
        const lines = from(logs.since(mark), 'DatabaseAvailability').filter((l) => l.level >= LEVEL.info);
        expect(lines).toHaveLength(1);
        // The first refusal (or a tick the held connection made the node skip) told it; the rest within the minute
        // are counted until the next line.
        expect(lines[0]).toMatchObject({ level: LEVEL.warn });
        expect(
          Number(lines[0]!.refusedSinceLastLine) + Number(lines[0]!.skippedSinceLastLine),
        ).toBeGreaterThanOrEqual(1);
        expect(lines[0]!.msg).toMatch(/^Database pool exhausted/);
        expect(logs.since(mark).filter((l) => l.level >= LEVEL.error)).toEqual([]);
      } finally {
        await direct.end();
        await small.close();
      }
    });
  });
});
