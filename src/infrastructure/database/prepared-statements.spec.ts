import { describe, expect, it } from '@jest/globals';
import { EventEmitter } from 'node:events';
import { QueryFailedError, type DataSource } from 'typeorm';
import type { AppConfig } from '../../config/app-config.js';
import { MAX_SHAPE_STATEMENTS, PreparedStatements } from './prepared-statements.js';

/**
 * A data source whose pool records named statements, and how each borrowed connection went back (released
 * with the error when its statement failed, which closes it), and whose plain queries are counted.
 */
function fakeDatabase(fail?: (name: string, client: EventEmitter) => Error | undefined) {
  const named: string[] = [];
  const released: (Error | undefined)[] = [];
  const clients: EventEmitter[] = [];
  let plain = 0;
  const pool = {
    connect: async () => {
      const client = Object.assign(new EventEmitter(), {
        query: async ({ name }: { name: string }) => {
          const err = fail?.(name, client);
          if (err) throw err;
          named.push(name);
          return { rows: [{ via: name }] };
        },
        release: (err?: Error) => released.push(err),
      });
      clients.push(client);
      return client;
    },
  };
  const dataSource = {
    driver: { master: pool },
    query: async () => {
      plain++;
      return [{ via: 'plain' }];
    },
  } as unknown as DataSource;
  return { dataSource, named, released, clients, plainCount: () => plain };
}

const postgres = { databaseUrl: 'postgres://db/app' } as AppConfig;

describe('PreparedStatements', () => {
  it('runs a fixed name as given', async () => {
    const db = fakeDatabase();
    await new PreparedStatements(db.dataSource, postgres).query('detail', 'SELECT 1', []);
    expect(db.named).toEqual(['detail']);
    expect(db.released).toEqual([undefined]); // back to the pool for reuse
  });

  it('gives each built text one name and reuses it', async () => {
    const db = fakeDatabase();
    const statements = new PreparedStatements(db.dataSource, postgres);
    await statements.queryShape('list', 'SELECT 1', []);
    await statements.queryShape('list', 'SELECT 2', []);
    await statements.queryShape('list', 'SELECT 1', []);
    expect(db.named).toEqual(['list-1', 'list-2', 'list-1']);
  });

  it('runs plain queries on the embedded database', async () => {
    const db = fakeDatabase();
    const statements = new PreparedStatements(db.dataSource, {} as AppConfig);
    expect(await statements.queryShape('list', 'SELECT 1', [])).toEqual([{ via: 'plain' }]);
    expect(db.named).toEqual([]);
  });

  it('names at most MAX_SHAPE_STATEMENTS texts, then runs the rest plainly', async () => {
    const db = fakeDatabase();
    const statements = new PreparedStatements(db.dataSource, postgres);
    for (let i = 0; i <= MAX_SHAPE_STATEMENTS; i++) await statements.queryShape('list', `SELECT ${i}`, []);
    expect(db.named).toHaveLength(MAX_SHAPE_STATEMENTS);
    expect(db.plainCount()).toBe(1);
  });

  it('renames a statement whose cached plan a migration broke, answering this call plainly', async () => {
    const broken = Object.assign(new Error('cached plan must not change result type'), { code: '0A000' });
    const db = fakeDatabase((name) => (name === 'list-1' ? broken : undefined));
    const statements = new PreparedStatements(db.dataSource, postgres);
    expect(await statements.queryShape('list', 'SELECT 1', [])).toEqual([{ via: 'plain' }]);
    expect(await statements.queryShape('list', 'SELECT 1', [])).toEqual([{ via: 'list-2' }]);
    expect(db.released).toEqual([broken, undefined]); // the connection holding the broken name is closed
  });

  it('hears a link that drops under a borrowed connection, fails the call and closes the connection', async () => {
    const dropped = new Error('Connection terminated unexpectedly');
    // As node-postgres does: the client emits the error (an unheard 'error' would throw here), then the
    // statement in flight fails with it.
    const db = fakeDatabase((_name, client) => (client.emit('error', dropped), dropped));
    const statements = new PreparedStatements(db.dataSource, postgres);
    await expect(statements.query('detail', 'SELECT 1', [])).rejects.toBe(dropped);
    expect(db.released).toEqual([dropped]);
    expect(db.clients[0]!.listenerCount('error')).toBe(0); // back to the pool with only the pool's listener
  });

  it('passes other errors on as QueryFailedError', async () => {
    const db = fakeDatabase(() => Object.assign(new Error('boom'), { code: '42P01' }));
    const statements = new PreparedStatements(db.dataSource, postgres);
    await expect(statements.queryShape('list', 'SELECT 1', [])).rejects.toThrow(QueryFailedError);
  });
});
