/**
 * The store thread: owns a second connection to the SQLite file and runs the hot path
 * (ingest, claim, complete, renew, release, next due time) for the main thread, which is left
 * to HTTP, and for a delivery thread if the process runs one (it attaches a port of its own).
 * Requests and answers are structured-cloned messages; see hot-path-thread.ts.
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { planFanOut } from '../../engine/fan-out.js';
import { SqliteDatabase } from './database.js';
import { SqliteHotPath } from './hot-path.js';

interface Call {
  id: number;
  method: 'ingest' | 'claim' | 'complete' | 'renew' | 'release' | 'nextDueAt' | 'close';
  args: unknown[];
}

const parent = parentPort!;
// The hot path's connection gets the larger page cache: claims and results walk its indexes.
const db = new SqliteDatabase((workerData as { file: string }).file, 16);
const hot = new SqliteHotPath(db);

async function run(call: Call): Promise<unknown> {
  switch (call.method) {
    case 'ingest':
      return hot.ingest(call.args[0] as Parameters<SqliteHotPath['ingest']>[0], planFanOut);
    case 'close':
      await db.close();
      return null;
    default:
      return (hot[call.method] as (...a: unknown[]) => Promise<unknown>)(...call.args);
  }
}

/** Answers the calls arriving on `port` on the same port. */
function serve(port: MessagePort | typeof parent): void {
  port.on('message', (m: Call | { attach: MessagePort }) => {
    if ('attach' in m) {
      serve(m.attach);
      return;
    }
    run(m).then(
      (result) => port.postMessage({ id: m.id, result }),
      (err: Error & { code?: string }) => port.postMessage({ id: m.id, error: { message: err.message, name: err.name, code: err.code, stack: err.stack } }),
    );
  });
}

serve(parent);
parent.postMessage({ ready: true });
