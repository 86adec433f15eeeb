// Orchestrator-side Redis handling for the BullMQ baseline:
//  - turn on AOF with fsync every second for the run (what a team would run in production),
//    remember the previous settings and restore them afterwards;
//  - remove the bench's own queue (dedicated name, Queue.obliterate), never FLUSHALL.
import { Redis } from 'ioredis';
import { Queue } from 'bullmq';
import { HOST, REDIS_PORT } from '../constants.mjs';
import { isShuttingDown, onCleanup, sleep } from '../children.mjs';

export const REDIS_CONNECTION = { host: HOST, port: REDIS_PORT };
export const QUEUE_PREFIX = 'bull';

export function benchQueueName() {
  return `herald-bench-baseline-${process.pid}`;
}

function client() {
  return new Redis({ host: HOST, port: REDIS_PORT, lazyConnect: true, maxRetriesPerRequest: 2, enableOfflineQueue: true });
}

async function info(r, section) {
  const text = await r.info(section);
  const out = {};
  for (const line of text.split('\r\n')) {
    const i = line.indexOf(':');
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}

export async function redisPid() {
  const r = client();
  try {
    await r.connect();
    return Number((await info(r, 'server')).process_id) || null;
  } finally {
    r.disconnect();
  }
}

/**
 * Set appendonly yes + appendfsync everysec. Returns { durable, note, restore() }.
 * restore() is also registered as a cleanup hook so SIGINT puts the settings back.
 */
export async function configureDurability() {
  const r = client();
  await r.connect();
  let prev;
  try {
    const ao = await r.config('GET', 'appendonly');
    const af = await r.config('GET', 'appendfsync');
    prev = { appendonly: ao[1], appendfsync: af[1] };
  } catch (err) {
    r.disconnect();
    return { durable: false, note: `CONFIG GET failed (${err.message}); Redis runs with its own persistence settings`, restore: async () => {} };
  }
  try {
    await r.config('SET', 'appendfsync', 'everysec');
    await r.config('SET', 'appendonly', 'yes');
  } catch (err) {
    r.disconnect();
    return { durable: false, note: `CONFIG SET failed (${err.message}); baseline ran with appendonly=${prev.appendonly} appendfsync=${prev.appendfsync}`, restore: async () => {} };
  }
  // Turning AOF on starts a rewrite; wait (bounded) until it is done so it does not overlap the run.
  for (let i = 0; i < 300; i++) {
    const p = await info(r, 'persistence');
    if (p.aof_rewrite_in_progress === '0' && p.aof_rewrite_scheduled === '0' && p.aof_enabled === '1') break;
    await sleep(100);
  }
  r.disconnect();
  let restored = false;
  const restore = async () => {
    if (restored) return;
    restored = true;
    const r2 = client();
    try {
      await r2.connect();
      await r2.config('SET', 'appendonly', prev.appendonly);
      await r2.config('SET', 'appendfsync', prev.appendfsync);
    } finally {
      r2.disconnect();
    }
  };
  const unregister = onCleanup(restore);
  return {
    durable: true,
    note: `Redis set to appendonly yes, appendfsync everysec for the run (was appendonly ${prev.appendonly}, appendfsync ${prev.appendfsync}; restored after)`,
    restore: async () => {
      unregister();
      await restore();
    },
  };
}

/**
 * Delete every key of the bench queue. Bounded; never touches other keys. While the bench is
 * shutting down only the cleanup hook may run it (a run's own `finally` would race with it and
 * recreate keys by opening a Queue).
 */
export async function obliterateQueue(name, { fromCleanup = false } = {}) {
  if (isShuttingDown() && !fromCleanup) return;
  const q = new Queue(name, { connection: REDIS_CONNECTION, prefix: QUEUE_PREFIX });
  try {
    await q.obliterate({ force: true });
  } finally {
    await q.close();
  }
  // Belt and braces: anything left under the queue's own prefix.
  const r = client();
  await r.connect();
  try {
    let cursor = '0';
    for (let i = 0; i < 10000; i++) {
      const [next, keys] = await r.scan(cursor, 'MATCH', `${QUEUE_PREFIX}:${name}:*`, 'COUNT', 1000);
      if (keys.length) await r.del(...keys);
      cursor = next;
      if (cursor === '0') break;
    }
  } finally {
    r.disconnect();
  }
}
