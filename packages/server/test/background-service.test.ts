import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { LeaderElection, type LeaderLock } from '../src/background/leader-election.js';
import { BackgroundService } from '../src/background/service.js';
import { createLogger } from '../src/ops/logger.js';
import { InProcessNotifier } from '../src/store/notifier.js';
import { ManualClock } from './helpers/manual-clock.js';

const log = createLogger('silent');

/** A service whose looks a test controls: each look waits for `release()` when `hold` is set. */
class Probe extends BackgroundService {
  looks = 0;
  hold = false;
  fail = false;
  nextIn: number | null = null;
  private gate: (() => void) | null = null;

  constructor(clock: ManualClock, extra: { notifier?: InProcessNotifier; firstLookInMs?: number } = {}) {
    super({
      name: 'probe', log, clock, firstLookInMs: extra.firstLookInMs,
      notifier: extra.notifier ? { source: extra.notifier, gatherMs: 50 } : undefined,
    });
  }

  protected async look(): Promise<number | null> {
    this.looks++;
    if (this.hold) await new Promise<void>((r) => (this.gate = r));
    if (this.fail) throw new Error('probe failure');
    return this.nextIn === null ? null : this.now() + this.nextIn;
  }

  release(): void {
    this.gate?.();
    this.gate = null;
  }

  armAt(at: number): void {
    this.arm(at);
  }
}

const tick = () => new Promise((r) => setImmediate(r));

describe('background service lifecycle', () => {
  test('start looks once; settled() resolves when the look has ended; the looked signal reports it', async () => {
    const clock = new ManualClock();
    const s = new Probe(clock);
    const looked = s.signals.looked.next();
    s.start();
    const report = await looked;
    assert.equal(report.startedAt, clock.now());
    assert.equal(report.next, null);
    await s.settled();
    assert.equal(s.looks, 1);
    s.start();
    await s.settled();
    assert.equal(s.looks, 1, 'a second start() of a running service does nothing');
    await s.stop();
  });

  test('wake-ups during a look collapse into exactly one more look', async () => {
    const s = new Probe(new ManualClock());
    s.hold = true;
    s.start();
    await tick();
    assert.equal(s.looks, 1);
    for (let i = 0; i < 5; i++) s.wake();
    s.hold = false;
    const second = s.signals.looked.until(() => s.looks === 2);
    s.release();
    await second;
    await s.settled();
    assert.equal(s.looks, 2);
    await s.stop();
  });

  test('the timer re-arms the next look at the time the look asked for, by the injected clock', async () => {
    const clock = new ManualClock();
    const s = new Probe(clock);
    s.nextIn = 1000;
    s.start();
    await s.settled();
    assert.deepEqual(clock.armed, [clock.now() + 1001], 'one timer, a millisecond past the asked time');
    clock.advance(1000);
    await s.settled();
    assert.equal(s.looks, 1, 'not before its time');
    const looked = s.signals.looked.next();
    clock.advance(1);
    await looked;
    assert.equal(s.looks, 2);
    await s.stop();
    assert.deepEqual(clock.armed, [], 'stop cancels the timer');
  });

  test('only the earliest wake-up is kept armed', async () => {
    const clock = new ManualClock();
    const s = new Probe(clock);
    s.start();
    await s.settled();
    const t0 = clock.now();
    s.armAt(t0 + 5000);
    s.armAt(t0 + 9000);
    assert.deepEqual(clock.armed, [t0 + 5001]);
    s.armAt(t0 + 2000);
    assert.deepEqual(clock.armed, [t0 + 2001]);
    await s.stop();
  });

  test('a look that throws is logged, reported, and retried a second later', async () => {
    const clock = new ManualClock();
    const s = new Probe(clock);
    s.fail = true;
    const looked = s.signals.looked.next();
    s.start();
    const report = await looked;
    assert.equal((report.error as Error).message, 'probe failure');
    assert.equal(report.next, clock.now() + 1000);
    s.fail = false;
    const retried = s.signals.looked.next();
    clock.advance(1001);
    assert.equal((await retried).error, undefined);
    await s.stop();
  });

  test('notifications within the gather window bring one look', async () => {
    const clock = new ManualClock();
    const notifier = new InProcessNotifier();
    const s = new Probe(clock, { notifier });
    s.start();
    await s.settled();
    for (let i = 0; i < 10; i++) notifier.notify();
    await tick();
    assert.equal(s.looks, 1, 'gathered, not yet looked');
    const looked = s.signals.looked.next();
    clock.advance(50);
    await looked;
    await s.settled();
    assert.equal(s.looks, 2);
    await s.stop();
    notifier.notify();
    clock.advance(100);
    await tick();
    assert.equal(s.looks, 2, 'a stopped service no longer listens');
  });

  test('firstLookInMs delays the first look', async () => {
    const clock = new ManualClock();
    const s = new Probe(clock, { firstLookInMs: 10_000 });
    s.start();
    await tick();
    assert.equal(s.looks, 0);
    const looked = s.signals.looked.next();
    clock.advance(10_001);
    await looked;
    assert.equal(s.looks, 1);
    await s.stop();
  });

  test('stop waits for the look under way (every caller), ignores later wake-ups, and the service can start again', async () => {
    const clock = new ManualClock();
    const s = new Probe(clock);
    s.hold = true;
    s.nextIn = 1000;
    s.start();
    await tick();
    let stopped = false;
    let stoppedAgain = false;
    const stopping = s.stop().then(() => (stopped = true));
    const stoppingAgain = s.stop().then(() => (stoppedAgain = true));
    const stoppedSignal = s.signals.stopped.next();
    await tick();
    assert.equal(stopped, false, 'still waiting for the look');
    assert.equal(stoppedAgain, false, 'a second stop() waits for the same stop');
    s.wake();
    s.release();
    await Promise.all([stopping, stoppingAgain, stoppedSignal]);
    assert.equal(s.looks, 1, 'the wake-up after stop() ran nothing');
    assert.deepEqual(clock.armed, [], 'the ending look armed no timer');
    s.hold = false;
    s.start();
    await s.settled();
    assert.equal(s.looks, 2, 'restarted');
    await s.stop();
  });
});

/** A lock shared by "processes" of one test: the first to hold it keeps it until release or loss. */
class SharedLock {
  owner: FakeLock | null = null;
}

class FakeLock implements LeaderLock {
  /** The database cannot be reached from this "process". */
  down = false;

  constructor(
    private readonly shared: SharedLock,
    private readonly onLost: () => void,
  ) {}

  async hold(): Promise<boolean> {
    if (this.down) throw new Error('connection refused');
    if (this.shared.owner === null) this.shared.owner = this;
    return this.shared.owner === this;
  }

  async release(): Promise<void> {
    if (this.shared.owner === this) this.shared.owner = null;
  }

  /** The connection dropped and cannot be made again: the server freed the lock. */
  lose(): void {
    this.down = true;
    if (this.shared.owner === this) this.shared.owner = null;
    this.onLost();
  }
}

describe('leader election (with a fake lock)', () => {
  const elect = (clock: ManualClock, shared: SharedLock | null, changes: boolean[]) => {
    let lock: FakeLock | null = null;
    const e = new LeaderElection({
      lock: (onLost) => (shared ? (lock = new FakeLock(shared, onLost)) : null),
      retryMs: 3000,
      log,
      clock,
      onChange: async (leader) => {
        changes.push(leader);
      },
    });
    return { e, lock: () => lock! };
  };

  test('without a lock (SQLite) the one process leads at once and arms no retries', async () => {
    const clock = new ManualClock();
    const changes: boolean[] = [];
    const { e } = elect(clock, null, changes);
    e.start();
    await e.settled();
    assert.equal(e.isLeader, true);
    assert.deepEqual(clock.armed, []);
    await e.stop();
    assert.deepEqual(changes, [true, false]);
  });

  test('one of two leads; the other takes over at its next try once the leader stops or loses its connection', async () => {
    const clock = new ManualClock();
    const shared = new SharedLock();
    const ca: boolean[] = [];
    const cb: boolean[] = [];
    const a = elect(clock, shared, ca);
    const b = elect(clock, shared, cb);
    a.e.start();
    await a.e.settled();
    b.e.start();
    await b.e.settled();
    assert.deepEqual([a.e.isLeader, b.e.isLeader], [true, false]);

    // The leader's connection drops: it stands down at once; the follower takes the lock at its next try.
    const aLooked = a.e.signals.looked.next();
    const bTook = b.e.signals.looked.until(() => b.e.isLeader);
    a.lock().lose();
    await aLooked;
    assert.equal(a.e.isLeader, false, 'stood down as soon as the lock was lost');
    clock.advance(3001);
    await bTook;
    a.lock().down = false;
    const aTried = a.e.signals.looked.next();
    clock.advance(3001);
    await aTried;
    assert.deepEqual([a.e.isLeader, b.e.isLeader], [false, true], 'back online, the old leader follows');

    // The new leader stops: it gives the lock back, and the other leads within one retry.
    await b.e.stop();
    assert.equal(shared.owner, null);
    const aTook = a.e.signals.looked.until(() => a.e.isLeader);
    clock.advance(3001);
    await aTook;
    await a.e.stop();
    assert.deepEqual(ca, [true, false, true, false]);
    assert.deepEqual(cb, [true, false]);
  });
});
