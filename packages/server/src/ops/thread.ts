import { Worker, type WorkerOptions } from 'node:worker_threads';

/** Worker threads do not inherit tsx's loader: when running from source the thread registers it first. */
function tsxBootstrap(main: URL): string {
  const api = import.meta.resolve('tsx/esm/api');
  return `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(main.href)}); });`;
}

/**
 * Starts the module `name` (a path relative to `from`, without extension) on a worker thread,
 * from dist (.js) or from source when TypeScript runs through tsx (tests), and waits for its
 * first `{ ready: true }` message. A thread that fails before it is ready rejects with its error.
 */
export async function startThread(from: string, name: string, options: WorkerOptions): Promise<Worker> {
  const fromSource = from.endsWith('.ts');
  const main = new URL(`${name}.${fromSource ? 'ts' : 'js'}`, from);
  const worker = fromSource ? new Worker(tsxBootstrap(main), { ...options, eval: true }) : new Worker(main, options);
  await new Promise<void>((resolve, reject) => {
    const onMessage = (m: { ready?: boolean }) => {
      if (!m.ready) return;
      cleanup();
      resolve();
    };
    const onExit = (code: number) => {
      cleanup();
      reject(new Error(`the thread ${name} stopped before it was ready (exit ${code})`));
    };
    const onError = (err: Error) => {
      cleanup();
      reject(err);
    };
    const cleanup = () => {
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
    };
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
  });
  return worker;
}
