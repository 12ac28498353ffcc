import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import pg from 'pg';
import { createApp } from '../src/bootstrap.js';
import { loadConfig } from '../src/config/app-config.js';
import { DataDirLockedError } from '../src/infrastructure/database/data-dir-lock.js';
import {
  EmbeddedDatabaseUnreadableError,
  EmbeddedPostgres,
} from '../src/infrastructure/database/embedded-postgres.js';
import { testEnv } from './support/test-app.js';

/**
 * The embedded database's directory has one owner at a time. PGlite takes no lock itself: a second process
 * on the same directory (a second `npm start`, the seeder or `migration:run` beside a running server) keeps
 * its own copy of the pages, and whichever writes last silently overwrites what the other committed.
 */
describe('embedded database directory', () => {
  let dir: string;
  const lockFile = () => join(dir, 'sectorwars.lock');

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sw-pglite-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  async function query(db: EmbeddedPostgres, sql: string): Promise<pg.QueryResult> {
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      return await client.query(sql);
    } finally {
      await client.end();
    }
  }

  /** A process that stays alive until killed, and one that has already exited: pids to write into the lock. */
  function liveProcess() {
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    return child;
  }
  async function deadPid(): Promise<number> {
    const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
    await new Promise((r) => child.once('exit', r));
    return child.pid!;
  }
  function holdBy(pid: number, host = hostname()) {
    writeFileSync(lockFile(), JSON.stringify({ pid, host, started_at: '2026-01-01T00:00:00.000Z' }));
  }

  it('refuses a second opener while the first holds it, names the holder, and leaves the first working', async () => {
    const first = await EmbeddedPostgres.start(dir, 2);
    try {
      await query(first, 'CREATE TABLE kept (n int); INSERT INTO kept VALUES (1)');
      const second = EmbeddedPostgres.start(dir, 2);
      await expect(second).rejects.toThrow(DataDirLockedError);
      await expect(second).rejects.toThrow(`in use by process ${process.pid} on ${hostname()}`);
      await query(first, 'INSERT INTO kept VALUES (2)');
    } finally {
      await first.stop();
    }
    expect(existsSync(lockFile())).toBe(false);
    // Released on stop: the next opener gets the directory, with everything the first one wrote.
    const again = await EmbeddedPostgres.start(dir, 2);
    try {
      expect((await query(again, 'SELECT sum(n)::int AS s FROM kept')).rows[0].s).toBe(3);
      expect(JSON.parse(readFileSync(lockFile(), 'utf8')).pid).toBe(process.pid);
    } finally {
      await again.stop();
    }
  });

  it('a server that cannot have it fails with the message alone: Nest does not print it first with its stack', async () => {
    const first = await EmbeddedPostgres.start(dir, 2);
    const printed: string[] = [];
    const capture = (stream: NodeJS.WriteStream) =>
      jest.spyOn(stream, 'write').mockImplementation((chunk: unknown) => {
        printed.push(String(chunk));
        return true;
      });
    const spies = [capture(process.stdout), capture(process.stderr)];
    try {
      await expect(createApp(loadConfig(testEnv(undefined, { PGLITE_DATA_DIR: dir })))).rejects.toThrow(
        DataDirLockedError,
      );
    } finally {
      spies.forEach((spy) => spy.mockRestore());
      await first.stop();
    }
    // The start-up lines before the failure are still there; the error itself is left to main's failStartup,
    // which prints its message once.
    expect(printed.join('')).toContain('Starting Nest application');
    expect(printed.join('')).not.toContain('DataDirLockedError');
    expect(printed.join('')).not.toMatch(/\n\s+at /);
  });

  it('refuses while another live process holds the lock, and takes over once that process is gone', async () => {
    const holder = liveProcess();
    try {
      holdBy(holder.pid!);
      await expect(EmbeddedPostgres.start(dir, 2)).rejects.toThrow(`in use by process ${holder.pid}`);
      // Nothing was opened or created beside the lock.
      expect(existsSync(join(dir, 'PG_VERSION'))).toBe(false);
      expect(JSON.parse(readFileSync(lockFile(), 'utf8')).pid).toBe(holder.pid);
    } finally {
      holder.kill('SIGKILL');
      await new Promise((r) => holder.once('exit', r));
    }
    // The holder died without releasing the lock (kill -9): the file is stale and is taken over.
    const db = await EmbeddedPostgres.start(dir, 2);
    try {
      expect(JSON.parse(readFileSync(lockFile(), 'utf8')).pid).toBe(process.pid);
      expect(existsSync(`${lockFile()}.takeover`)).toBe(false);
    } finally {
      await db.stop();
    }
  });

  it('takes over a lock left by a process that no longer exists, or an empty one a crash left', async () => {
    holdBy(await deadPid());
    const db = await EmbeddedPostgres.start(dir, 2);
    await db.stop();
    writeFileSync(lockFile(), '');
    const again = await EmbeddedPostgres.start(dir, 2);
    await again.stop();
  });

  it('never displaces a holder on another host (a shared volume), nor a takeover in progress', async () => {
    holdBy(process.pid, 'another-host.example');
    await expect(EmbeddedPostgres.start(dir, 2)).rejects.toThrow(
      `in use by process ${process.pid} on another-host.example`,
    );
    holdBy(await deadPid());
    writeFileSync(`${lockFile()}.takeover`, '');
    await expect(EmbeddedPostgres.start(dir, 2)).rejects.toThrow('is being taken over by another process');
    expect(existsSync(join(dir, 'PG_VERSION'))).toBe(false);
  });

  it('names a directory whose files cannot be read, and what to do, instead of WASM Aborted()', async () => {
    const db = await EmbeddedPostgres.start(dir, 2);
    await db.stop();
    truncateSync(join(dir, 'global', 'pg_control'), 100);
    const opening = EmbeddedPostgres.start(dir, 2);
    await expect(opening).rejects.toThrow(EmbeddedDatabaseUnreadableError);
    await expect(opening).rejects.toThrow(`The embedded database in ${dir} could not be opened`);
    await expect(opening).rejects.toThrow('Move the directory aside');
    // The failed opener let go of the directory.
    expect(existsSync(lockFile())).toBe(false);
  });
});
