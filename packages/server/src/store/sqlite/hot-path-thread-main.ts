/**
 * The store thread: owns a second connection to the SQLite file and runs the hot path
 * (ingest, claim, complete, renew, release, next due time) for the main thread, which is left
 * to HTTP. Requests and answers are structured-cloned messages; see hot-path-thread.ts.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { planFanOut } from '../../engine/fan-out.js';
import { SqliteDatabase } from './database.js';
import { SqliteHotPath } from './hot-path.js';

interface Call {
  id: number;
  method: 'ingest' | 'claim' | 'complete' | 'renew' | 'release' | 'nextDueAt' | 'close';
  args: unknown[];
}

const port = parentPort!;
// The hot path's connection gets the larger page cache: claims and results walk its indexes.
const db = new SqliteDatabase((workerData as { file: string }).file, 16);
const hot = new SqliteHotPath(db);

port.on('message', (call: Call) => {
  void (async () => {
    try {
      let result: unknown;
      switch (call.method) {
        case 'ingest':
          result = await hot.ingest(call.args[0] as Parameters<SqliteHotPath['ingest']>[0], planFanOut);
          break;
        case 'close':
          await db.close();
          result = null;
          break;
        default:
          result = await (hot[call.method] as (...a: unknown[]) => Promise<unknown>)(...call.args);
      }
      port.postMessage({ id: call.id, result });
    } catch (err) {
      const e = err as Error & { code?: string };
      port.postMessage({ id: call.id, error: { message: e.message, name: e.name, code: e.code, stack: e.stack } });
    }
  })();
});
port.postMessage({ ready: true });
