/**
 * `herald listen`: checks the flags, finds or creates the poll webhook, and runs the session
 * until SIGTERM/SIGINT. Answers the exit code for main(): 0 after --help, 2 for a bad flag,
 * 1 when Herald refuses the key or the webhook, -1 while running.
 */
import { HeraldClient, RefusedError } from './herald-client.js';
import { LISTEN_HELP, LISTEN_HELP_REQUESTED, ListenUsageError, parseListenArgs, type ListenOptions } from './options.js';
import { ListenSession } from './session.js';

function logLine(line: string): void {
  process.stdout.write(`${new Date().toISOString()} ${line}\n`);
}

function fail(message: string, code: number): number {
  process.stderr.write(`herald listen: ${message.replace(/\s*\n\s*/g, ' ').replace(/\.+$/, '')}\n`);
  return code;
}

function refused(err: RefusedError): string {
  return `Herald refused: ${err.code} (${err.message})`;
}

export async function listenCommand(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let opts: ListenOptions | typeof LISTEN_HELP_REQUESTED;
  try {
    opts = parseListenArgs(argv, env);
  } catch (err) {
    if (err instanceof ListenUsageError) return fail(`${err.message.replace(/[\s.]+$/, '')}. Run "herald listen --help" for the flags`, 2);
    throw err;
  }
  if (opts === LISTEN_HELP_REQUESTED) {
    process.stdout.write(`${LISTEN_HELP}\n`);
    return 0;
  }
  const client = new HeraldClient(opts.heraldUrl, opts.apiKey, opts.org);
  let webhookId = opts.webhookId;
  if (webhookId === null) {
    try {
      const made = await client.createPollWebhook(opts.events);
      webhookId = made.id;
      logLine(`created webhook ${made.id} (destination poll, events ${opts.events.join(',')}); reuse it with --webhook ${made.id}`);
      if (made.secret !== null) logLine(`its signing secret (verify with it): ${made.secret}`);
    } catch (err) {
      return fail(err instanceof RefusedError ? refused(err) : `cannot reach Herald at ${opts.heraldUrl}: ${(err as Error).message}`, 1);
    }
  }
  const session = new ListenSession({
    client, webhookId, forwardTo: opts.forwardTo, timeoutMs: opts.timeoutMs, waitSec: opts.waitSec, visibilitySec: opts.visibilitySec, log: logLine,
  });
  logLine(`herald listen: webhook ${webhookId} of ${opts.org} at ${opts.heraldUrl} -> ${opts.forwardTo}`);
  const stop = (signal: string) => {
    logLine(`${signal}: stopping (deliveries not yet answered come back after their visibility timeout)`);
    session.stop();
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  session.run().then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(`herald listen: ${err instanceof RefusedError ? refused(err) : (err as Error).message}\n`);
      process.exit(1);
    },
  );
  return -1;
}
