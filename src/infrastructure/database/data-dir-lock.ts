import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { StartupError } from '../startup-failure.js';

/** Another process holds the embedded database's directory. */
export class DataDirLockedError extends StartupError {}

interface Holder {
  pid: number;
  host: string;
  started_at: string;
}

const LOCK_FILE = 'sectorwars.lock';

/**
 * One process at a time on a PGlite data directory, as postmaster.pid does for Postgres. PGlite 0.5 takes no
 * lock of its own: a second process (a second `npm start`, the seeder or `migration:run` beside a running
 * server) opens the same files with its own buffers, and whichever writes last overwrites the other's pages;
 * rows the other committed are lost and the rest stops matching.
 *
 * The lock is a file in the directory holding the owner's pid. A holder that is alive is never displaced; a
 * file whose process is gone (a crash, `kill -9`) is taken over, under a second file created exclusively so
 * that two processes finding the same stale lock cannot both take it. A holder on another host (a shared
 * volume) cannot be checked and is never displaced either: the message says which file to delete.
 */
export class DataDirLock {
  private released = false;
  private readonly onExit = () => this.release();

  private constructor(private readonly file: string) {
    process.once('exit', this.onExit);
  }

  static acquire(dataDir: string): DataDirLock {
    const file = join(dataDir, LOCK_FILE);
    const mine: Holder = { pid: process.pid, host: hostname(), started_at: new Date().toISOString() };
    if (createExclusive(file, mine)) return new DataDirLock(file);

    const holder = readHolder(file);
    if (holder && isLive(holder)) throw lockedBy(dataDir, file, holder);
    // The holder is gone (or the file is unreadable, as a crash between create and write leaves it).
    const takeover = `${file}.takeover`;
    if (!createExclusive(takeover, mine)) {
      throw new DataDirLockedError(
        `${dataDir} is being taken over by another process (${takeover} exists). If no other server, seeder or ` +
          `migration is starting on it, delete ${takeover} and start again.`,
      );
    }
    try {
      const again = readHolder(file);
      if (again && isLive(again)) throw lockedBy(dataDir, file, again);
      unlinkSync(file);
      if (!createExclusive(file, mine)) throw lockedBy(dataDir, file, readHolder(file));
      return new DataDirLock(file);
    } finally {
      unlinkSync(takeover);
    }
  }

  /** Removes the file if it is still ours. Safe to call twice; also runs when the process exits. */
  release(): void {
    if (this.released) return;
    this.released = true;
    process.removeListener('exit', this.onExit);
    const holder = readHolder(this.file);
    if (holder?.pid === process.pid && holder.host === hostname()) {
      try {
        unlinkSync(this.file);
      } catch {
        /* already gone */
      }
    }
  }
}

function createExclusive(file: string, holder: Holder): boolean {
  let fd: number;
  try {
    fd = openSync(file, 'wx');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
  try {
    writeSync(fd, JSON.stringify(holder) + '\n');
  } finally {
    closeSync(fd);
  }
  return true;
}

function readHolder(file: string): Holder | null {
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<Holder>;
    return Number.isInteger(parsed.pid) && typeof parsed.host === 'string' ? (parsed as Holder) : null;
  } catch {
    return null;
  }
}

/** A holder on another host counts as live: its process cannot be checked from here. */
function isLive(holder: Holder): boolean {
  if (holder.host !== hostname()) return true;
  if (holder.pid === process.pid) return true;
  try {
    process.kill(holder.pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists under another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function lockedBy(dataDir: string, file: string, holder: Holder | null): DataDirLockedError {
  const who = holder
    ? `process ${holder.pid} on ${holder.host}, since ${holder.started_at}`
    : 'another process';
  return new DataDirLockedError(
    `The embedded database in ${dataDir} is in use by ${who}. Stop that server (or seeder, or migration) ` +
      `first, or set PGLITE_DATA_DIR to another directory. Two processes on one PGlite directory overwrite ` +
      `each other's data. If that process is certainly gone, delete ${file}.`,
  );
}
