import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { StartupError } from '../startup-failure.js';
import { DataDirLock } from './data-dir-lock.js';

/** PGlite could not open the files in the data directory (it says only `Aborted()`). */
export class EmbeddedDatabaseUnreadableError extends StartupError {
  constructor(dataDir: string, cause: unknown) {
    super(
      `The embedded database in ${dataDir} could not be opened (${cause instanceof Error ? cause.message : String(cause)}). ` +
        `Its files are probably damaged: by two processes writing them at once, a full disk, or an interrupted ` +
        `copy. Move the directory aside to start with a new one (the demo galaxy is seeded again), or restore it ` +
        `from a backup.`,
      { cause },
    );
  }
}

/**
 * PGlite (Postgres compiled to WASM) served on a loopback port, so the application reaches it through the
 * ordinary `pg` driver exactly as it reaches a real Postgres. The socket server's queue keeps each client
 * connection's transaction exclusive, which an in-process adapter sharing one session does not.
 */
export class EmbeddedPostgres {
  private constructor(
    private readonly db: PGlite,
    private readonly server: PGLiteSocketServer,
    private readonly lock: DataDirLock | null,
    readonly url: string,
  ) {}

  /**
   * Throws DataDirLockedError, before opening anything, while another process has `dataDir` open, and
   * EmbeddedDatabaseUnreadableError when its files cannot be read.
   */
  static async start(dataDir: string, maxConnections: number): Promise<EmbeddedPostgres> {
    let lock: DataDirLock | null = null;
    if (!dataDir.startsWith('memory://')) {
      mkdirSync(dataDir, { recursive: true });
      lock = DataDirLock.acquire(dataDir);
    }
    try {
      const db = await PGlite.create({ dataDir, extensions: { pg_trgm } }).catch((err: unknown) => {
        throw lock ? new EmbeddedDatabaseUnreadableError(dataDir, err) : err;
      });
      const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections });
      await server.start();
      // getServerConn() reports the port the OS assigned (we ask for port 0 so parallel test suites never collide).
      const url = `postgres://postgres:postgres@${server.getServerConn()}/postgres`;
      return new EmbeddedPostgres(db, server, lock, url);
    } catch (err) {
      lock?.release();
      throw err;
    }
  }

  async stop(): Promise<void> {
    try {
      await this.server.stop();
      await this.db.close();
    } finally {
      this.lock?.release();
    }
  }
}
