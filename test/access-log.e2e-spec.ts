import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { CapturedLogs, LEVEL, ofRequest, type LogLine } from './support/captured-logs.js';
import { registerPlayer } from './support/factories.js';
import { startTestApp, type TestApp } from './support/test-app.js';

jest.setTimeout(60_000);

/**
 * The access line an operator greps for one request: who asked what, how it ended, how big and how slow, in
 * a line short enough to ship by the million. Not the response's headers: helmet's alone made every line
 * ~1.3 KB.
 */
describe('access log lines', () => {
  const logs = new CapturedLogs();
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp(
      { LOG_LEVEL: 'info', AUTH_THROTTLE_LIMIT: '5', MARKET_REGEN_SECONDS: '0', PRICE_SNAPSHOT_SECONDS: '0' },
      undefined,
      logs,
    );
  });
  afterAll(async () => {
    await t?.close();
  });

  async function accessLine(requestId: string): Promise<LogLine> {
    for (let i = 0; i < 50; i++) {
      const line = ofRequest(logs.lines, requestId).find((l) => l.res !== undefined);
      if (line) return line;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`no access line for ${requestId}`);
  }

  it('tells the request, the status, the body size and the time, without the response headers', async () => {
    const player = await registerPlayer(t);
    const id = `access-${randomUUID()}`;
    const res = await t
      .http()
      .get('/api/v1/players/me')
      .set('authorization', `Bearer ${player.token}`)
      .set('x-request-id', id)
      .expect(200);
    const line = await accessLine(id);
    expect(line).toMatchObject({
      level: LEVEL.info,
      req: { id, method: 'GET', url: '/api/v1/players/me' },
      res: { statusCode: 200, contentLength: Number(res.headers['content-length']) },
    });
    expect(typeof line.responseTime).toBe('number');
    expect(line.res).not.toHaveProperty('headers');
    expect(line.raw).not.toContain('content-security-policy');
    expect(line.raw.length).toBeLessThan(600);
  });

  it('a refusal is told by its status, and a 429 by when the client may come back', async () => {
    const denied = `access-${randomUUID()}`;
    await t.http().get('/api/v1/players/me').set('x-request-id', denied).expect(401);
    expect((await accessLine(denied)).res).toEqual({ statusCode: 401, contentLength: expect.any(Number) });

    // The login limit (AUTH_THROTTLE_LIMIT per client, registration included) answers 429 with Retry-After.
    const username = `nobody_${randomUUID().slice(0, 8)}`;
    let limited: { id: string; retryAfter: number } | undefined;
    for (let i = 0; i < 10 && !limited; i++) {
      const id = `access-${randomUUID()}`;
      const res = await t
        .http()
        .post('/api/v1/auth/login')
        .set('x-request-id', id)
        .send({ username, password: 'not-the-password' });
      if (res.status === 429) limited = { id, retryAfter: Number(res.headers['retry-after']) };
    }
    expect(limited).toBeDefined();
    expect((await accessLine(limited!.id)).res).toMatchObject({
      statusCode: 429,
      retryAfter: limited!.retryAfter,
    });
  });
});
