import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { connect, createServer, type AddressInfo } from 'node:net';
import { DataSource } from 'typeorm';
import { createApp, listenOrClose } from '../src/bootstrap.js';
import { loadConfig } from '../src/config/app-config.js';
import { StartupError } from '../src/infrastructure/startup-failure.js';
import { createTestDatabase, startTestApp, testEnv, type TestApp } from './support/test-app.js';
import { expectErrorBody, loginAs, registerPlayer } from './support/factories.js';

describe('platform: health, metrics, docs, envelope', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ HTTP_REQUEST_TIMEOUT_MS: '1000' });
  });
  afterAll(async () => {
    await t.close();
  });

  it('drops a client that trickles its request (slowloris): 408 after HTTP_REQUEST_TIMEOUT_MS', async () => {
    const port = new URL(t.url).port;
    const socket = connect(Number(port), '127.0.0.1');
    let answer = '';
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString()));
    const started = Date.now();
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    // Headers promise a 100-byte body; one byte ever comes.
    socket.write(
      'POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{',
    );
    await closed;
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
    const body = JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)) as Record<string, unknown>;
    expectErrorBody(body, 'REQUEST_TIMEOUT');
    // 1 s allowed, checked every second.
    expect(Date.now() - started).toBeLessThan(5000);
    // Everyone else is served as usual.
    await t.http().get('/health/live').expect(200);
  });

  it('answers a request HTTP cannot parse with 400 BAD_REQUEST in the error body, and closes', async () => {
    const socket = connect(Number(new URL(t.url).port), '127.0.0.1');
    let answer = '';
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString()));
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    socket.write('NOT HTTP AT ALL\r\n\r\n');
    await closed;
    expect(answer).toMatch(/^HTTP\/1\.1 400/);
    expectErrorBody(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)), 'BAD_REQUEST');
  });

  it('answers liveness and readiness without a token', async () => {
    expect((await t.http().get('/health/live').expect(200)).body).toEqual({ status: 'ok' });
    const ready = await t.http().get('/health/ready').expect(200);
    expect(ready.body.status).toBe('ok');
    expect(ready.body.details.database.status).toBe('up');
    if (t.config.redisUrl) expect(ready.body.details.redis.status).toBe('up');
  });

  it('exposes Prometheus metrics with route histograms, pool and event-loop gauges', async () => {
    await t.http().get('/health/live').expect(200);
    await t.http().post('/api/v1/auth/login').send({ username: 'nobody', password: 'x' }).expect(401);
    const res = await t.http().get('/metrics').expect(200);
    expect(res.headers['content-type']).toMatch(/text\/plain/);
    expect(res.text).toMatch(
      /http_request_duration_seconds_bucket\{[^}]*route="\/api\/v1\/auth\/login"[^}]*status="401"/,
    );
    expect(res.text).toContain('db_pool_connections{state="total"}');
    expect(res.text).toContain('nodejs_eventloop_lag_seconds');
  });

  it('times the wait for a pooled connection in db_pool_wait_seconds', async () => {
    const waited = async () =>
      Number(/^db_pool_wait_seconds_sum (\S+)$/m.exec((await t.http().get('/metrics').expect(200)).text)![1]);
    const before = await waited();
    // Every pooled connection held for 400 ms: the readiness probe's statement waits for one.
    const pooled = t.config.databaseUrl ? t.config.dbPoolSize : 1;
    const holders = Array.from({ length: pooled }, () => t.db.createQueryRunner());
    await Promise.all(holders.map((r) => r.connect()));
    const ready = t
      .http()
      .get('/health/ready')
      .then((res) => res);
    await new Promise((r) => setTimeout(r, 400));
    await Promise.all(holders.map((r) => r.release()));
    expect((await ready).status).toBe(200);
    expect((await waited()) - before).toBeGreaterThanOrEqual(0.35);
  });

  it('reports p50/p95/p99 per route to staff at /admin/system/performance', async () => {
    const mod = await loginAs(t, 'moderator');
    for (let i = 0; i < 5; i++) await t.http().get('/api/v1/players/me').set(mod.auth);
    const res = await t.http().get('/api/v1/admin/system/performance').set(mod.auth).expect(200);
    const route = res.body.data.routes.find((r: { route: string }) => r.route === '/api/v1/players/me');
    expect(route).toMatchObject({ method: 'GET', count: 5 });
    expect(route.p50_ms).toBeLessThanOrEqual(route.p95_ms);
    expect(route.p95_ms).toBeLessThanOrEqual(route.p99_ms);
    const player = await registerPlayer(t);
    await t.http().get('/api/v1/admin/system/performance').set(player.auth).expect(403);
    await t.http().get('/api/v1/admin/system/performance').expect(401);
  });

  it('serves Swagger UI and an OpenAPI document covering every route', async () => {
    await t.http().get('/docs').expect(200);
    const doc = (await t.http().get('/docs/json').expect(200)).body;
    for (const path of [
      '/api/v1/auth/register',
      '/api/v1/auth/login',
      '/api/v1/auth/refresh',
      '/api/v1/auth/logout',
      '/api/v1/admin/players/enhanced',
      '/api/v1/admin/players/{id}/detailed',
      '/api/v1/admin/players/{id}/comprehensive',
      '/api/v1/admin/players/analytics/real-time',
      '/api/v1/audit/logs',
      '/api/v1/audit/verify',
      '/api/v1/admin/system/performance',
    ]) {
      expect(doc.paths).toHaveProperty([path]);
    }
    const params = doc.paths['/api/v1/admin/players/enhanced'].get.parameters.map(
      (p: { name: string }) => p.name,
    );
    expect(params).toEqual(
      expect.arrayContaining(['search', 'status', 'min_credits', 'sort', 'cursor', 'online']),
    );
    // A header is documented once, whatever its spelling in the decorators.
    const headers = doc.paths['/api/v1/admin/players/{id}/comprehensive'].put.parameters
      .filter((p: { in: string }) => p.in === 'header')
      .map((p: { name: string }) => p.name.toLowerCase());
    expect(headers).toEqual(['if-match']);
    // Every operation documents the outage and rate-limit answers a client must handle.
    const trade = doc.paths['/api/v1/trading/trades'].post.responses;
    expect(trade['503'].description).toMatch(/DATABASE_UNAVAILABLE.*Idempotency-Key/s);
    expect(trade['429'].description).toMatch(/Retry-After/);
  });

  it('propagates a caller request id, and answers unknown routes in the error body', async () => {
    const res = await t.http().get('/api/v1/does-not-exist').set('x-request-id', 'trace-abc-123').expect(404);
    expect(res.headers['x-request-id']).toBe('trace-abc-123');
    expectErrorBody(res.body, 'ROUTE_NOT_FOUND');
    const generated = await t.http().get('/health/live').set('x-request-id', 'bad id with spaces');
    expect(generated.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('rejects an oversized body with 413 in the error body', async () => {
    const res = await t
      .http()
      .post('/api/v1/auth/login')
      .send({ username: 'x'.repeat(2_000_000), password: 'y' })
      .expect(413);
    expectErrorBody(res.body, 'PAYLOAD_TOO_LARGE');
  });

  it('a node whose port is taken fails to start, closes what it opened, and says which port', async () => {
    const squatter = createServer();
    await new Promise<void>((r) => squatter.listen(0, '127.0.0.1', r));
    const { port } = squatter.address() as AddressInfo;
    const database = await createTestDatabase('platform-port');
    const app = await createApp(loadConfig(testEnv(database.url)));
    try {
      const listening = listenOrClose(app, port, '127.0.0.1');
      await expect(listening).rejects.toThrow(StartupError);
      await expect(listening).rejects.toThrow(`127.0.0.1:${port} is in use by another process`);
      // Closed: the pool (and on the embedded default, the database and its directory lock) let go, so the
      // process can exit instead of lingering without a listener.
      expect(app.get(DataSource).isInitialized).toBe(false);
    } finally {
      await new Promise((r) => squatter.close(r));
      await database.drop();
    }
  });

  (process.env.TEST_DATABASE_URL ? it : it.skip)(
    'a node whose DATABASE_URL names no database or user fails to start at once, with one line naming where it tried',
    async () => {
      const printed: string[] = [];
      const url = new URL(process.env.TEST_DATABASE_URL!);
      url.password = 'not-the-password';
      for (const [path, user, problem] of [
        ['/sw_e2e_no_such_database', url.username, 'database "sw_e2e_no_such_database" does not exist'],
        [url.pathname, 'sw_e2e_no_such_user', 'role "sw_e2e_no_such_user" does not exist'],
      ] as const) {
        const bad = new URL(url.toString());
        bad.pathname = path;
        bad.username = user;
        const started = Date.now();
        const failure = await createApp(loadConfig(testEnv(bad.toString()))).then(
          () => undefined,
          (err: unknown) => err,
        );
        // Not retried: TypeORM's 10 retries 3 s apart are for a database that may come up in a moment.
        expect(Date.now() - started).toBeLessThan(10_000);
        expect(failure).toBeInstanceOf(StartupError);
        const message = (failure as Error).message;
        expect(message).toContain(`Cannot connect to the database at DATABASE_URL postgres://${user}:***@`);
        expect(message).toContain(problem);
        expect(message).not.toContain('not-the-password');
        printed.push(message);
      }
      expect(printed).toHaveLength(2);
    },
    30_000,
  );
});
