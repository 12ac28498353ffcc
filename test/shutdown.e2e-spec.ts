import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import pg from 'pg';
import {
  createTestDatabase,
  eventually,
  lockWaiter,
  startTestApp,
  type TestApp,
  type TestDatabase,
} from './support/test-app.js';
import { registerPlayer, type Session } from './support/factories.js';
import { createStation, type StationFixture } from './support/market-factories.js';

jest.setTimeout(60_000);

/**
 * A node shutting down (a rolling deploy, SIGTERM) while a player's trade is in flight. Runs on a real Postgres
 * (TEST_DATABASE_URL): the test holds the player's row from a connection of its own so that the trade is
 * still running when the shutdown begins; the embedded PGlite has one connection only.
 */
const onPostgres = Boolean(process.env.TEST_DATABASE_URL);

interface Answer {
  status: number;
  body: { data?: { trade_id: string }; replayed?: boolean };
  connection: string | undefined;
}

/** A POST over `agent`, as a browser or game client sends it: keep-alive. */
function post(agent: http.Agent, url: string, path: string, s: Session, body: object, key: string) {
  return new Promise<Answer>((resolve, reject) => {
    const payload = JSON.stringify(body);
    const target = new URL(path, url);
    const req = http.request(
      target,
      {
        method: 'POST',
        agent,
        headers: {
          authorization: `Bearer ${s.token}`,
          'idempotency-key': key,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(payload),
        },
      },
      (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body: JSON.parse(text),
            connection: res.headers.connection,
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

(onPostgres ? describe : describe.skip)('a node shutting down', () => {
  let database: TestDatabase;
  let leaving: TestApp;
  let next: TestApp | undefined;
  let closing: Promise<unknown> | undefined;
  let direct: pg.Client;
  let station: StationFixture;
  const agent = new http.Agent({ keepAlive: true });

  beforeAll(async () => {
    database = await createTestDatabase('shutdown');
    leaving = await startTestApp({ MARKET_REGEN_SECONDS: '0', PRICE_SNAPSHOT_SECONDS: '0' }, { database });
    direct = new pg.Client({ connectionString: database.url });
    await direct.connect();
    station = await createStation(leaving, { markets: { luxury_goods: { capacity: 1000, stock: 500 } } });
  });
  afterAll(async () => {
    agent.destroy();
    await direct?.query('ROLLBACK').catch(() => undefined);
    await (closing ?? leaving?.app.close());
    await next?.close();
    await direct?.end();
    await database?.drop();
  });

  it('finishes the trade in flight, answers it with Connection: close, and is gone at once; the key holds on the next node', async () => {
    const player = await registerPlayer(leaving);
    const body = {
      station_id: station.id,
      commodity: 'luxury_goods',
      action: 'buy',
      quantity: 2,
      max_unit_price: 100_000,
    };
    const key = `deploy-${randomUUID()}`;
    // The client's keep-alive connection is open and has served a request before.
    const warm = await post(agent, leaving.url, '/api/v1/trading/quote', player, body, randomUUID());
    expect(warm.status).toBe(200);

    // The trade runs, and waits on its player's row, which the test holds.
    await direct.query('BEGIN');
    await direct.query('SELECT 1 FROM players WHERE id = $1 FOR UPDATE', [player.playerId]);
    const trade = post(agent, leaving.url, '/api/v1/trading/trades', player, body, key);
    await lockWaiter(direct);

    // SIGTERM: the shutdown starts while the trade waits.
    let closedAt: number | undefined;
    closing = leaving.app.close().then(() => (closedAt = Date.now()));
    // Once the listener is closed, a new connection is refused (the load balancer goes elsewhere)...
    await eventually(() => (leaving.app.getHttpServer().listening ? undefined : true));
    await expect(
      post(new http.Agent(), leaving.url, '/api/v1/trading/quote', player, body, randomUUID()),
    ).rejects.toThrow(/ECONNREFUSED/);
    // ...but the trade in flight is not cut off: it commits and is answered, and its connection closes.
    await direct.query('COMMIT');
    const answer = await trade;
    const answeredAt = Date.now();
    expect(answer.status).toBe(201);
    expect(answer.connection).toBe('close');
    // The node is gone right after its last answer, not after the client's keep-alive timeout (72 s).
    await Promise.race([closing, new Promise((r) => setTimeout(r, 10_000))]);
    expect(closedAt).toBeDefined();
    expect(closedAt! - answeredAt).toBeLessThan(5_000);

    // The trade is in the ledger once; the same key sent to the node that took over answers it, once.
    next = await startTestApp({ MARKET_REGEN_SECONDS: '0', PRICE_SNAPSHOT_SECONDS: '0' }, { database });
    const again = await post(new http.Agent(), next.url, '/api/v1/trading/trades', player, body, key);
    expect(again.status).toBe(201);
    expect(again.body.data?.trade_id).toBe(answer.body.data?.trade_id);
    const { rows } = await direct.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM market_transactions WHERE player_id = $1',
      [player.playerId],
    );
    expect(rows[0]!.n).toBe(1);
  });
});
