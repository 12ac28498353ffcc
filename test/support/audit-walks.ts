import { expect } from '@jest/globals';
import http from 'node:http';
import { MetricsService } from '../../src/infrastructure/metrics/metrics.service.js';
import type { Session } from './factories.js';
import type { TestApp } from './test-app.js';

/** Waits, tightly, until `check` holds: a walk is caught between its first statements, not after its last. */
export async function untilTightly(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** The chain walks running on `t` (audit_verify_walks) and the rows they checked (audit_verify_rows_checked_total). */
export async function walkProgress(t: TestApp): Promise<{ running: number; rows: number }> {
  const metrics = t.app.get(MetricsService);
  const [walks, rows] = [await metrics.auditVerifyWalks.get(), await metrics.auditVerifyRows.get()];
  return { running: walks.values[0]?.value ?? 0, rows: rows.values[0]?.value ?? 0 };
}

/**
 * A whole-chain walk of GET /audit/verify on a raw connection the test can drop; resolves once its first statement
 * came back (it holds one of the node's walk slots from then on). `hangUp` checks it is still walking and drops
 * the connection, which stops it before its next statement.
 */
export async function startWalk(t: TestApp, s: Session): Promise<{ hangUp: () => void }> {
  const before = await walkProgress(t);
  let answered = false;
  const request = http.get(`${t.url}/api/v1/audit/verify`, { headers: s.auth }, (res) => {
    answered = true;
    res.resume();
  });
  request.on('error', () => undefined);
  await untilTightly(async () => {
    const now = await walkProgress(t);
    return now.running > before.running && now.rows > before.rows;
  });
  return {
    hangUp: () => {
      expect(answered).toBe(false);
      request.destroy();
    },
  };
}
