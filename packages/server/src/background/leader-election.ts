/**
 * Which process runs maintenance (retention, digest period closing, the fifo rescue): one
 * elected leader, as River does (internal/leadership), so that many workers on one PostgreSQL
 * do not all run the same scans. On PostgreSQL the leader is the process holding a
 * session-level advisory lock; the others try to take it every `retryMs`, so when the leader
 * stops (it gives the lock back) or dies (PostgreSQL ends its session), another process leads
 * within about `retryMs`. On SQLite the data directory is locked to one process: it leads.
 */
import type { Logger } from '../ops/logger.js';
import { PostgresDatabase } from '../store/postgres/database.js';
import { PostgresLeaderLock } from '../store/postgres/leader-lock.js';
import type { Store } from '../store/store.js';
import type { Clock } from './clock.js';
import { BackgroundService } from './service.js';

/** A lock only one process can hold at a time. */
export interface LeaderLock {
  /** Takes the lock, or checks it is still held; answers whether this process holds it. */
  hold(): Promise<boolean>;
  release(): Promise<void>;
}

export interface LeaderElectionDeps {
  /** Null: this process is the only one (SQLite) and always leads. */
  lock: (onLost: () => void) => LeaderLock | null;
  /** How often a follower tries to take the lock and a leader checks its connection, ms. */
  retryMs: number;
  log: Logger;
  clock?: Clock;
  /** Starts (true) or stops (false) the leader's services; awaited before the next try. */
  onChange: (leader: boolean) => Promise<void>;
}

/** The store's leader lock: an advisory lock on PostgreSQL, none on SQLite. */
export function leaderLockFor(store: Store): (onLost: () => void) => LeaderLock | null {
  return (onLost) => (store.db instanceof PostgresDatabase ? new PostgresLeaderLock(store.db.pool, onLost) : null);
}

export class LeaderElection extends BackgroundService {
  private readonly lock: LeaderLock | null;
  private leader = false;

  constructor(private readonly d: LeaderElectionDeps) {
    super({ name: 'leader election', log: d.log, clock: d.clock });
    // A lost connection is answered at once: stand down, and try again (another may lead now).
    this.lock = d.lock(() => this.wake());
  }

  /** Whether this process runs maintenance now. */
  get isLeader(): boolean {
    return this.leader;
  }

  protected async look(): Promise<number | null> {
    let held = true;
    if (this.lock) {
      try {
        held = await this.lock.hold();
      } catch (err) {
        this.log.warn({ err }, 'leader election: the lock cannot be checked; not leading until it can');
        held = false;
      }
    }
    if (this.running) await this.become(held);
    return this.lock ? this.now() + this.d.retryMs : null;
  }

  private async become(leader: boolean): Promise<void> {
    if (leader === this.leader) return;
    this.leader = leader;
    this.log.info({ leader }, leader
      ? 'leader: this process now runs retention, digest period closing and the fifo rescue'
      : 'no longer leader: this process stopped running maintenance');
    await this.d.onChange(leader);
  }

  /** Stops the leader's services first, then gives the lock back, so two never overlap. */
  protected override async afterStop(): Promise<void> {
    await this.become(false);
    await this.lock?.release();
  }
}
