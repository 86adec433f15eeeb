import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { StoreStartError } from '../start-errors.js';

/** The lock itself: an empty SQLite file whose write lock the owner holds until it exits. */
const LOCK_FILE = 'herald.lock';
/** Who holds it, for the message a second process prints; only the lock's owner writes it. */
const PID_FILE = 'herald.pid';

export interface DataDirLock {
  release(): void;
}

/**
 * Makes this process the only Herald that uses an SQLite data directory. A second one would
 * release the first one's live leases at start (it believes they were left by a dead
 * predecessor) and send the same deliveries again.
 *
 * The lock is SQLite's own: a RESERVED lock on herald.lock, taken with BEGIN IMMEDIATE and held
 * by a transaction that never ends. It is an OS advisory lock (fcntl), so the kernel drops it
 * when the process dies, even by kill -9: no stale lock can block a restart and no pid reuse can
 * fool it, which a pid file alone could not promise. SQLite also tracks its locks per
 * connection inside one process, so a second open in the same process is refused too.
 * The file is never deleted: unlinking it could let two processes lock two different inodes.
 */
export function lockDataDir(dir: string): DataDirLock {
  const file = join(dir, LOCK_FILE);
  const pidFile = join(dir, PID_FILE);
  // timeout 0: fail at once instead of waiting for the other process's busy handler.
  const db = new Database(file, { timeout: 0 });
  try {
    db.exec('BEGIN IMMEDIATE');
  } catch (err) {
    db.close();
    if ((err as { code?: string }).code !== 'SQLITE_BUSY') throw err;
    throw new StoreStartError(
      'HERALD_DATA_DIR_LOCKED',
      `another Herald (pid ${holderPid(pidFile)}) is using ${dir}; stop it or use another HERALD_DATA_DIR`,
    );
  }
  writeFileSync(pidFile, `${process.pid}\n`);
  let held = true;
  return {
    release() {
      if (!held) return;
      held = false;
      if (holderPid(pidFile) === String(process.pid)) rmSync(pidFile, { force: true });
      db.exec('ROLLBACK');
      db.close();
    },
  };
}

function holderPid(pidFile: string): string {
  try {
    return readFileSync(pidFile, 'utf8').trim() || 'unknown';
  } catch {
    // The holder has just taken the lock and not written its pid yet.
    return 'unknown';
  }
}
