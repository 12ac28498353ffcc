import { describe, expect, it } from '@jest/globals';
import type { DataSource } from 'typeorm';
import { IdempotentRun } from './idempotent-run.js';

/** A DataSource that answers every statement as a fresh claim would and keeps the SQL it was sent. */
function recordingDataSource() {
  const sql: string[] = [];
  const query = (text: string) => {
    sql.push(text.replace(/\s+/g, ' ').trim());
    return Promise.resolve(/^\s*INSERT/.test(text) ? [1] : []);
  };
  const ds = { query, transaction: (work: (m: unknown) => unknown) => work({ query }) };
  return { ds: ds as unknown as DataSource, sql };
}

const scope = {
  userId: '00000000-0000-4000-8000-000000000001',
  request: { key: 'k', requestHash: 'h' },
  ttlHours: 24,
};

async function runOf(ds: DataSource): Promise<IdempotentRun> {
  const run = await IdempotentRun.start(ds, scope, 60_000);
  if (!(run instanceof IdempotentRun)) throw new Error('expected a run');
  return run;
}

describe('IdempotentRun', () => {
  it('stores the answer once every item is recorded, and keeps its lease until then', async () => {
    const { ds, sql } = recordingDataSource();
    const run = await runOf(ds);
    expect(await run.step('a', () => Promise.resolve({ ok: true }))).toEqual({
      outcome: { ok: true },
      ran: true,
    });
    await run.finish({ done: 1 }, ['a']);
    await run.close();
    expect(sql.filter((s) => s.includes('SET response'))).toHaveLength(1);
    expect(sql.some((s) => s.includes('SET lease_until = now() + $4'))).toBe(false);
  });

  it('an item left unrecorded (an unexpected error) stores no answer and gives the lease up for a resume', async () => {
    const { ds, sql } = recordingDataSource();
    const run = await runOf(ds);
    await run.step('a', () => Promise.resolve({ ok: true }));
    await run.finish({ done: 1 }, ['a', 'b']);
    await run.close();
    expect(sql.some((s) => s.includes('SET response'))).toBe(false);
    expect(sql.filter((s) => s.includes('SET lease_until = now() + $4'))).toHaveLength(1);
  });

  it('without a key nothing about keys is written', async () => {
    const { ds, sql } = recordingDataSource();
    const run = await IdempotentRun.start(ds, { ...scope, request: undefined }, 60_000);
    if (!(run instanceof IdempotentRun)) throw new Error('expected a run');
    expect(await run.record('a', { ok: false })).toEqual({ ok: false });
    await run.finish({}, ['a']);
    await run.close();
    expect(sql).toEqual([]);
  });
});
