/**
 * `herald inbox`: wires the parts together and runs until SIGTERM/SIGINT. Answers the exit
 * code for main(): 0 after --help, 2 for a bad flag or a start-up failure, -1 while running.
 */
import type { AddressInfo } from 'node:net';
import { createVerifier, WebhookVerificationError, type Verifier } from '@herald/receiver';
import { Dispatcher } from './dispatcher.js';
import { execHandler } from './exec.js';
import { forwardHandler } from './forward.js';
import type { HandoffHandler } from './handoff.js';
import { HELP_REQUESTED, INBOX_HELP, InboxUsageError, parseInboxArgs, type InboxOptions } from './options.js';
import { createInboxServer } from './receiver.js';
import { InboxStore } from './store.js';

/** One line per event on stdout, stamped, so the output can be tailed or grepped. */
function logLine(line: string): void {
  process.stdout.write(`${new Date().toISOString()} ${line}\n`);
}

function fail(message: string): number {
  // One line, whatever the message: parseArgs' own span several.
  const line = message.replace(/\s*\n\s*/g, ' ').replace(/\.+$/, '');
  process.stderr.write(`herald inbox: ${line}\n`);
  return 2;
}

export async function inboxCommand(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let opts: InboxOptions | typeof HELP_REQUESTED;
  try {
    opts = parseInboxArgs(argv, env);
  } catch (err) {
    if (err instanceof InboxUsageError) return fail(`${err.message.replace(/[\s.]+$/, '')}. Run "herald inbox --help" for the flags`);
    throw err;
  }
  if (opts === HELP_REQUESTED) {
    process.stdout.write(`${INBOX_HELP}\n`);
    return 0;
  }
  let verifier: Verifier;
  try {
    verifier = await checkedVerifier(opts);
  } catch (err) {
    return fail((err as Error).message);
  }
  let store: InboxStore;
  try {
    store = new InboxStore(opts.dbFile);
  } catch (err) {
    return fail(`cannot open ${opts.dbFile}: ${(err as Error).message}`);
  }
  const handler: HandoffHandler =
    opts.handoff.kind === 'forward' ? forwardHandler(opts.handoff.url, opts.timeoutMs) : execHandler(opts.handoff.command, opts.timeoutMs, env);
  const dispatcher = new Dispatcher(store, handler, { retryMinMs: opts.retryMinMs, retryMaxMs: opts.retryMaxMs, maxAttempts: opts.maxAttempts, log: logLine });
  const server = createInboxServer({
    store,
    verifier,
    idHeader: opts.idHeader,
    maxBodyBytes: opts.maxBodyBytes,
    onStored: () => dispatcher.wake(),
    log: logLine,
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port, opts.host, () => resolve());
    });
  } catch (err) {
    store.close();
    return fail(`cannot listen on ${opts.host}:${opts.port}: ${(err as Error).message}`);
  }
  const { port } = server.address() as AddressInfo;
  const target = opts.handoff.kind === 'forward' ? opts.handoff.url : `exec ${JSON.stringify(opts.handoff.command)}`;
  logLine(`herald inbox listening on http://${opts.host.includes(':') ? `[${opts.host}]` : opts.host}:${port} (${opts.verify.scheme}, store ${opts.dbFile}) handing over to ${target}`);
  // Requests stored before a crash or a stop are handed over first, in their order.
  dispatcher.start();

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logLine(`${signal}: stopping (stored requests not yet handed over wait in ${opts.dbFile})`);
    server.close();
    server.closeAllConnections();
    dispatcher.stop().then(
      () => {
        store.close();
        process.exit(0);
      },
      (err: unknown) => {
        process.stderr.write(`herald inbox: ${(err as Error).message}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  return -1;
}

/**
 * Imports the keys now, with a request that has no headers: a key that cannot be used fails
 * here, at start, rather than turn every delivery into an error.
 */
async function checkedVerifier(opts: InboxOptions): Promise<Verifier> {
  const verifier = createVerifier(opts.verify);
  try {
    await verifier.verify({ headers: {}, body: '{}' });
  } catch (err) {
    if (err instanceof WebhookVerificationError && err.code === 'bad_key') throw new Error(`the ${opts.verify.scheme} key cannot be used: ${err.message}`);
    if (!(err instanceof WebhookVerificationError)) throw err;
  }
  return verifier;
}
