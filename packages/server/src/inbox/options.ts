/**
 * `herald inbox` flags and environment, checked once at start. Everything the other inbox
 * modules need arrives through InboxOptions; only this module reads argv, env and key files.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_HEADERS, SIGNATURE_SCHEMES, type SignatureScheme, type VerifyOptions } from '@herald/receiver';

export const INBOX_HELP = `herald inbox — receive webhooks, verify them, store them durably, hand them over in order

Usage:
  herald inbox --scheme <scheme> (--secret <s> | --public-key <file|key>)
               (--forward-to <url> | --exec <command>) [options]

Verification (a bad signature is answered 401 and nothing is stored):
  --scheme <name>          standard, standard-ed25519, hmac-timestamp, hmac-sha256, rsa-sha256
  --preset <name>          instead of --scheme/--header: standard, salesiq, dialog-insight, smarterbot
  --secret <secret>        HMAC schemes; repeat during a key rotation  [env HERALD_INBOX_SECRET]
  --public-key <file|key>  rsa-sha256: PEM or <RSAKeyValue> XML file (or the key itself);
                           standard-ed25519: whpk_…; repeat during a rotation  [env HERALD_INBOX_PUBLIC_KEY]
  --header <name>          the signature header, when not the scheme's default (e.g. X-DI-Signature)
  --tolerance <seconds>    how far a signed timestamp may be from now [300]
  --id-header <name>       the header that de-duplicates requests [webhook-id]

Hand-off (one event at a time, in order of arrival, retried until it succeeds):
  --forward-to <url>       POST the original body and headers there; any 2xx is success
  --exec <command>         run it (sh -c) with the body on stdin and the headers in HTTP_* variables;
                           exit 0 is success
  --timeout <duration>     how long one hand-off may take [30s]
  --retry-min <duration>   first retry delay, doubled on each failure [1s]
  --retry-max <duration>   longest retry delay [5m]
  --max-attempts <n>       give an event up after n failed hand-offs (it stays stored, marked
                           failed) and go on with the next; 0 retries for ever [0]

Receiving:
  --port <n>               [8787]; 0 picks a free port
  --host <address>         [127.0.0.1]; put a TLS proxy in front, or use 0.0.0.0
  --db <file>              the SQLite file [./herald-inbox.db]
  --max-body <bytes>       larger requests are answered 413 [5242880]
  --help                   this text

Durations: 250ms, 2s, 5m, 1h (a bare number is milliseconds).
Delivery to the handler is at least once: an event handed over just before a crash, and not yet
marked done, is handed over again after the restart. See docs/listen-and-inbox.md.`;

/** A bad flag or value: the command prints the message on one line and exits 2. */
export class InboxUsageError extends Error {
  override readonly name = 'InboxUsageError';
}

export type Handoff = { kind: 'forward'; url: string } | { kind: 'exec'; command: string };

export interface InboxOptions {
  verify: VerifyOptions;
  idHeader: string;
  handoff: Handoff;
  timeoutMs: number;
  retryMinMs: number;
  retryMaxMs: number;
  /** 0: retry for ever. */
  maxAttempts: number;
  port: number;
  host: string;
  dbFile: string;
  maxBodyBytes: number;
}

/** Herald's presets, as the scheme and header a receiver checks. */
const PRESETS: Readonly<Record<string, { scheme: SignatureScheme; header?: string }>> = Object.freeze({
  standard: { scheme: 'standard' },
  salesiq: { scheme: 'rsa-sha256', header: 'x-siqsignature' },
  'dialog-insight': { scheme: 'rsa-sha256', header: 'X-DI-Signature' },
  smarterbot: { scheme: 'hmac-timestamp', header: 'X-Webhook-Signature' },
});

const HMAC_SCHEMES: ReadonlySet<SignatureScheme> = new Set<SignatureScheme>(['standard', 'hmac-timestamp', 'hmac-sha256']);

const FLAGS = {
  scheme: { type: 'string' },
  preset: { type: 'string' },
  secret: { type: 'string', multiple: true },
  'public-key': { type: 'string', multiple: true },
  header: { type: 'string' },
  tolerance: { type: 'string' },
  'id-header': { type: 'string' },
  'forward-to': { type: 'string' },
  exec: { type: 'string' },
  timeout: { type: 'string' },
  'retry-min': { type: 'string' },
  'retry-max': { type: 'string' },
  'max-attempts': { type: 'string' },
  port: { type: 'string' },
  host: { type: 'string' },
  db: { type: 'string' },
  'max-body': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** `--help` was asked for: the caller prints INBOX_HELP and exits 0. */
export const HELP_REQUESTED = 'help';

export function parseInboxArgs(argv: readonly string[], env: NodeJS.ProcessEnv, cwd = process.cwd()): InboxOptions | typeof HELP_REQUESTED {
  let values: ReturnType<typeof parseFlags>;
  try {
    values = parseFlags(argv);
  } catch (err) {
    // parseArgs' own messages are one line and name the flag; keep them.
    throw new InboxUsageError((err as Error).message);
  }
  if (values.help) return HELP_REQUESTED;

  const { scheme, header } = schemeAndHeader(values.scheme, values.preset, values.header);
  const verify: VerifyOptions = { scheme, header, toleranceSeconds: integer('--tolerance', values.tolerance, 300, 0) };
  const secrets = values.secret ?? splitList(env.HERALD_INBOX_SECRET);
  const publicKeys = values['public-key'] ?? splitList(env.HERALD_INBOX_PUBLIC_KEY);
  if (HMAC_SCHEMES.has(scheme)) {
    if (secrets.length === 0) throw new InboxUsageError(`--scheme ${scheme} needs --secret (or HERALD_INBOX_SECRET)`);
    if (values['public-key']) throw new InboxUsageError(`--scheme ${scheme} verifies with --secret, not --public-key`);
    verify.secret = secrets;
  } else {
    if (publicKeys.length === 0) throw new InboxUsageError(`--scheme ${scheme} needs --public-key (or HERALD_INBOX_PUBLIC_KEY)`);
    if (values.secret) throw new InboxUsageError(`--scheme ${scheme} verifies with --public-key, not --secret`);
    verify.publicKey = publicKeys.map((k) => readKey(k, cwd));
  }

  const retryMinMs = duration('--retry-min', values['retry-min'], 1_000);
  const retryMaxMs = duration('--retry-max', values['retry-max'], 300_000);
  if (retryMaxMs < retryMinMs) throw new InboxUsageError('--retry-max must be at least --retry-min');
  return {
    verify,
    idHeader: (values['id-header'] ?? 'webhook-id').toLowerCase(),
    handoff: handoff(values['forward-to'], values.exec),
    timeoutMs: duration('--timeout', values.timeout, 30_000),
    retryMinMs,
    retryMaxMs,
    maxAttempts: integer('--max-attempts', values['max-attempts'], 0, 0),
    port: integer('--port', values.port, 8787, 0, 65_535),
    host: values.host ?? '127.0.0.1',
    dbFile: resolve(cwd, values.db ?? 'herald-inbox.db'),
    maxBodyBytes: integer('--max-body', values['max-body'], 5 * 1024 * 1024, 1),
  };
}

function parseFlags(argv: readonly string[]) {
  return parseArgs({ args: [...argv], options: FLAGS, allowPositionals: false, strict: true }).values;
}

function schemeAndHeader(scheme: string | undefined, preset: string | undefined, header: string | undefined): { scheme: SignatureScheme; header: string } {
  if (preset !== undefined) {
    if (scheme !== undefined) throw new InboxUsageError('give --preset or --scheme, not both');
    const p = PRESETS[preset];
    if (p === undefined) throw new InboxUsageError(`--preset must be one of ${Object.keys(PRESETS).join(', ')}, got "${preset}"`);
    return { scheme: p.scheme, header: header ?? p.header ?? DEFAULT_HEADERS[p.scheme] };
  }
  if (scheme === undefined) throw new InboxUsageError('--scheme (or --preset) is required; run "herald inbox --help"');
  if (!(SIGNATURE_SCHEMES as readonly string[]).includes(scheme)) {
    throw new InboxUsageError(`--scheme must be one of ${SIGNATURE_SCHEMES.join(', ')}, got "${scheme}"`);
  }
  const s = scheme as SignatureScheme;
  return { scheme: s, header: header ?? DEFAULT_HEADERS[s] };
}

function handoff(forwardTo: string | undefined, exec: string | undefined): Handoff {
  if ((forwardTo === undefined) === (exec === undefined)) throw new InboxUsageError('give exactly one of --forward-to <url> or --exec <command>');
  if (exec !== undefined) {
    if (exec.trim() === '') throw new InboxUsageError('--exec needs a command');
    return { kind: 'exec', command: exec };
  }
  let url: URL;
  try {
    url = new URL(forwardTo as string);
  } catch {
    throw new InboxUsageError(`--forward-to must be an http(s) URL, got "${forwardTo}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new InboxUsageError(`--forward-to must be an http(s) URL, got "${forwardTo}"`);
  return { kind: 'forward', url: url.href };
}

/** A key given inline (whpk_…, PEM, XML) is used as is; anything else names a file. */
function readKey(value: string, cwd: string): string {
  const v = value.trim();
  if (v.startsWith('whpk_') || v.startsWith('-----BEGIN') || v.startsWith('<RSAKeyValue')) return v;
  try {
    return readFileSync(resolve(cwd, v), 'utf8').trim();
  } catch (err) {
    throw new InboxUsageError(`--public-key: cannot read "${v}" (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}

/** Secrets in an environment variable: several separated by spaces or commas (rotation). */
function splitList(value: string | undefined): string[] {
  return value === undefined ? [] : value.split(/[\s,]+/).filter((s) => s !== '');
}

function integer(flag: string, value: string | undefined, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined) return fallback;
  const n = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new InboxUsageError(`${flag} must be a whole number from ${min} to ${max}, got "${value}"`);
  return n;
}

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/** "250ms", "2s", "5m", "1h", or a bare number of milliseconds. */
export function parseDuration(value: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(value.trim());
  if (m === null) return undefined;
  const ms = Number(m[1]) * (UNIT_MS[m[2] ?? 'ms'] ?? 1);
  return Number.isFinite(ms) ? Math.round(ms) : undefined;
}

function duration(flag: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const ms = parseDuration(value);
  if (ms === undefined || ms < 1) throw new InboxUsageError(`${flag} must be a duration such as 250ms, 2s or 5m, got "${value}"`);
  return ms;
}
