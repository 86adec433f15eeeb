/**
 * `herald listen` flags and environment, checked once at start. Only this module reads argv
 * and env; the session gets everything through ListenOptions.
 */
import { parseArgs } from 'node:util';
import { parseDuration } from '../inbox/options.js';

export const LISTEN_HELP = `herald listen — forward a Herald webhook's deliveries to a local URL (development)

Usage:
  herald listen --forward-to <url> --org <org> (--webhook <id> | --create [--events <types>]) [options]

Herald holds the deliveries of a webhook whose destination is poll; this command leases them
over HTTPS (no public URL needed), POSTs each to --forward-to with its original signed headers
and body, and reports the local answer back, so the attempt log shows your handler's status
and body. A failed answer is retried by the webhook's policy.

  --forward-to <url>      where to POST each delivery, e.g. http://localhost:3000/hooks
  --url <herald>          the Herald to listen to [env HERALD_URL, else http://127.0.0.1:8080]
  --api-key <key>         an API key of the org with webhooks:read and deliveries:write, or a
                          manage portal link (its token or the whole link)  [env HERALD_API_KEY]
  --org <org>             the org of the webhook
  --webhook <id>          a webhook whose destination is poll
  --create                create a development webhook (destination poll) instead, and print
                          its id and signing secret
  --events <types>        with --create: the event types it subscribes to, comma separated [*]
  --timeout <duration>    how long the local URL may take to answer [10s]
  --visibility <seconds>  how long a delivery stays leased before Herald hands it out again [60]
  --help                  this text

It reconnects by itself after a network error or a Herald restart (waiting up to 10 s between
tries) and stops on SIGINT/SIGTERM. At least once: a delivery forwarded but not yet reported
when this command stops is forwarded again later. Exit codes: 0 stopped, 1 Herald refused the
key or the webhook, 2 a bad flag. See docs/listen-and-inbox.md.`;

export class ListenUsageError extends Error {
  override readonly name = 'ListenUsageError';
}

export interface ListenOptions {
  forwardTo: string;
  heraldUrl: string;
  apiKey: string;
  org: string;
  /** Null with --create. */
  webhookId: string | null;
  /** With --create. */
  events: string[];
  timeoutMs: number;
  visibilitySec: number;
  /** Seconds one long poll waits (Herald's maximum). */
  waitSec: number;
}

export const LISTEN_HELP_REQUESTED = 'help';

const FLAGS = {
  'forward-to': { type: 'string' },
  url: { type: 'string' },
  'api-key': { type: 'string' },
  org: { type: 'string' },
  webhook: { type: 'string' },
  create: { type: 'boolean' },
  events: { type: 'string' },
  timeout: { type: 'string' },
  visibility: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export function parseListenArgs(argv: readonly string[], env: NodeJS.ProcessEnv): ListenOptions | typeof LISTEN_HELP_REQUESTED {
  let values: ReturnType<typeof parseFlags>;
  try {
    values = parseFlags(argv);
  } catch (err) {
    throw new ListenUsageError((err as Error).message);
  }
  if (values.help) return LISTEN_HELP_REQUESTED;
  const forwardTo = httpUrl('--forward-to', values['forward-to']);
  const heraldUrl = httpUrl('--url', values.url ?? env.HERALD_URL ?? 'http://127.0.0.1:8080').replace(/\/+$/, '');
  const apiKey = portalToken(values['api-key'] ?? env.HERALD_API_KEY ?? '');
  if (apiKey === '') throw new ListenUsageError('--api-key (or HERALD_API_KEY) is required');
  if (values.org === undefined || values.org === '') throw new ListenUsageError('--org is required');
  if ((values.webhook === undefined) === (values.create !== true)) throw new ListenUsageError('give exactly one of --webhook <id> or --create');
  if (values.events !== undefined && values.create !== true) throw new ListenUsageError('--events goes with --create');
  const timeoutMs = values.timeout === undefined ? 10_000 : parseDuration(values.timeout);
  if (timeoutMs === undefined || timeoutMs < 1) throw new ListenUsageError(`--timeout must be a duration such as 500ms or 10s, got "${values.timeout}"`);
  const visibilitySec = values.visibility === undefined ? 60 : Number(values.visibility);
  if (!Number.isInteger(visibilitySec) || visibilitySec < 1 || visibilitySec > 300) {
    throw new ListenUsageError(`--visibility must be a whole number of seconds from 1 to 300, got "${values.visibility}"`);
  }
  if (timeoutMs >= visibilitySec * 1000) throw new ListenUsageError('--timeout must be shorter than --visibility, or a slow answer would be handed out twice');
  return {
    forwardTo, heraldUrl, apiKey, org: values.org, webhookId: values.webhook ?? null,
    events: (values.events ?? '*').split(',').map((e) => e.trim()).filter((e) => e !== ''),
    timeoutMs, visibilitySec, waitSec: 25,
  };
}

function parseFlags(argv: readonly string[]) {
  return parseArgs({ args: [...argv], options: FLAGS, allowPositionals: false, strict: true }).values;
}

function httpUrl(flag: string, value: string | undefined): string {
  if (value === undefined) throw new ListenUsageError(`${flag} is required`);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ListenUsageError(`${flag} must be an http(s) URL, got "${value}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ListenUsageError(`${flag} must be an http(s) URL, got "${value}"`);
  return url.href;
}

/** A whole portal link (…#/portal?token=hpt_…) is reduced to its token; a key is kept as it is. */
function portalToken(value: string): string {
  const m = /[?&]token=(hpt_[^&\s]+)/.exec(value);
  return m ? decodeURIComponent(m[1]!) : value.trim();
}
