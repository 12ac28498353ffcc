import { describe, expect, it } from '@jest/globals';
import { createServer } from 'node:net';
import pg from 'pg';
import { QueryFailedError } from 'typeorm';
import { databaseFailure, isDatabaseUnavailable, outageCause } from './database-errors.js';

/** A server error as node-postgres builds it from the wire. */
function serverError(code: string, message: string): Error {
  const err = new pg.DatabaseError(message, message.length, 'error');
  err.code = code;
  return err;
}

/** What connecting to a port nobody listens on really throws. */
async function refusedConnection(): Promise<unknown> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  const client = new pg.Client({ host: '127.0.0.1', port, user: 'nobody', database: 'none' });
  return client.connect().then(
    () => undefined,
    (err: unknown) => err,
  );
}

describe('database failures a client may retry', () => {
  it.each([
    ['57P01', 'terminating connection due to administrator command'],
    ['57P03', 'the database system is starting up'],
    ['08006', 'connection failure'],
    ['53300', 'sorry, too many clients already'],
  ])('SQLSTATE %s is an outage, bare or wrapped by TypeORM', (code, message) => {
    const err = serverError(code, message);
    expect(isDatabaseUnavailable(err)).toBe(true);
    expect(isDatabaseUnavailable(new QueryFailedError('SELECT 1', [], err))).toBe(true);
    expect(databaseFailure(err)?.code).toBe('DATABASE_UNAVAILABLE');
  });

  it('a refused connection, a connection that died under a query and an answer that never came are outages', async () => {
    expect(databaseFailure(await refusedConnection())?.code).toBe('DATABASE_UNAVAILABLE');
    expect(isDatabaseUnavailable(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isDatabaseUnavailable(new Error('Query read timeout'))).toBe(true);
    expect(isDatabaseUnavailable(new Error('wrapped', { cause: new Error('Connection terminated') }))).toBe(
      true,
    );
  });

  it('a full pool is DATABASE_BUSY; both say when to retry', () => {
    const busy = databaseFailure(new Error('timeout exceeded when trying to connect'));
    expect(busy).toMatchObject({ code: 'DATABASE_BUSY', status: 503, details: { retry_after_seconds: 2 } });
    expect(databaseFailure(serverError('57P01', 'x'))).toMatchObject({
      status: 503,
      details: { retry_after_seconds: 2 },
    });
  });

  it('a database that takes no writes (read-only, out of disk) is a 503 of its own, not an outage', () => {
    const readOnly = serverError('25006', 'cannot execute INSERT in a read-only transaction');
    expect(isDatabaseUnavailable(readOnly)).toBe(false);
    expect(databaseFailure(new QueryFailedError('INSERT', [], readOnly))).toMatchObject({
      code: 'DATABASE_READ_ONLY',
      status: 503,
      details: { retry_after_seconds: 2 },
    });
    expect(
      databaseFailure(serverError('53100', 'could not extend file: No space left on device')),
    ).toMatchObject({ code: 'DATABASE_DISK_FULL', status: 503, details: { retry_after_seconds: 30 } });
  });

  it('a statement cut off by statement_timeout (or cancelled) is DATABASE_TIMEOUT, not an outage', () => {
    const cancelled = serverError('57014', 'canceling statement due to statement timeout');
    expect(isDatabaseUnavailable(cancelled)).toBe(false);
    expect(databaseFailure(new QueryFailedError('UPDATE', [], cancelled))).toMatchObject({
      code: 'DATABASE_TIMEOUT',
      status: 503,
      details: { retry_after_seconds: 2 },
    });
  });

  it('errors in the statement itself are not outages', () => {
    for (const [code, message] of [
      ['23505', 'duplicate key value violates unique constraint'],
      ['40P01', 'deadlock detected'],
      ['42P01', 'relation "nope" does not exist'],
    ] as const) {
      expect(databaseFailure(serverError(code, message))).toBeUndefined();
      expect(
        databaseFailure(new QueryFailedError('SELECT 1', [], serverError(code, message))),
      ).toBeUndefined();
    }
    expect(databaseFailure(new Error('something else'))).toBeUndefined();
    expect(databaseFailure(undefined)).toBeUndefined();
  });

  it('the cause an outage is logged with: the nearest code and message, whatever wraps them', async () => {
    expect(outageCause(await refusedConnection())).toEqual({
      code: 'ECONNREFUSED',
      message: expect.stringMatching(/^connect ECONNREFUSED 127\.0\.0\.1:\d+$/),
    });
    const terminated = serverError('57P01', 'terminating connection due to administrator command');
    expect(outageCause(new QueryFailedError('SELECT 1', [], terminated))).toEqual({
      code: '57P01',
      message: 'terminating connection due to administrator command',
    });
    expect(outageCause(new Error('Connection terminated unexpectedly'))).toEqual({
      message: 'Connection terminated unexpectedly',
    });
  });
});
