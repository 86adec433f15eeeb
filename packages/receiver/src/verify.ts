import { ownBytes, utf8 } from './bytes.js';
import type { CheckInput } from './check.js';
import { WebhookVerificationError } from './errors.js';
import type { HeaderSource } from './headers.js';
import { checkHmacSha256, checkRsa } from './body-only.js';
import { checkHmacTimestamp } from './hmac-timestamp.js';
import { importKeys } from './keys.js';
import { DEFAULT_HEADERS, SIGNATURE_SCHEMES, type SignatureScheme } from './schemes.js';
import { checkStandard } from './standard.js';

export interface VerifyOptions {
  scheme: SignatureScheme;
  /** HMAC schemes: the secret, or several while you rotate (any one may match). */
  secret?: string | readonly string[];
  /** RSA: SPKI PEM or .NET `<RSAKeyValue>` XML; Ed25519: `whpk_…` (or SPKI PEM). Several while you rotate. */
  publicKey?: string | readonly string[];
  /** The signature header, when the webhook uses another name than DEFAULT_HEADERS[scheme]. */
  header?: string;
  /** Timestamped schemes (`standard`, `standard-ed25519`, `hmac-timestamp`) only. Default 300. */
  toleranceSeconds?: number;
  /** Milliseconds since the epoch, like Date.now (the default); for tests. */
  now?: () => number;
}

export interface WebhookRequestParts {
  headers: HeaderSource;
  /** The body exactly as received: bytes, or the text decoded as UTF-8. Not a re-serialised object. */
  body: string | Uint8Array;
}

export interface Verifier {
  /** Resolves with the parsed JSON payload, or rejects with a WebhookVerificationError. */
  verify(parts: WebhookRequestParts): Promise<unknown>;
}

const DEFAULT_TOLERANCE_SECONDS = 300;

/** Checks the options and imports the keys once, for servers that verify many requests. */
export function createVerifier(opts: VerifyOptions): Verifier {
  if (!SIGNATURE_SCHEMES.includes(opts.scheme)) {
    throw new WebhookVerificationError('bad_key', `Unknown scheme ${String(opts.scheme)}; use one of ${SIGNATURE_SCHEMES.join(', ')}`);
  }
  const tolerance = opts.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  if (typeof tolerance !== 'number' || Number.isNaN(tolerance) || tolerance < 0) {
    throw new RangeError('toleranceSeconds must be a number of seconds, 0 or more');
  }
  const header = opts.header ?? DEFAULT_HEADERS[opts.scheme];
  const defaultHeader = header.toLowerCase() === DEFAULT_HEADERS[opts.scheme].toLowerCase();
  const now = opts.now ?? Date.now;
  let keys: Promise<CryptoKey[]> | undefined;

  return {
    async verify(parts) {
      // Configuration errors first, whatever the request: a wrong key must not look like a bad request.
      keys ??= importKeys(opts);
      const input: CheckInput = {
        headers: parts.headers,
        body: typeof parts.body === 'string' ? utf8(parts.body) : ownBytes(parts.body),
        keys: await keys,
        header,
        defaultHeader,
        toleranceSeconds: tolerance,
        nowMs: now(),
      };
      switch (opts.scheme) {
        case 'standard':
          await checkStandard(input, 'v1');
          break;
        case 'standard-ed25519':
          await checkStandard(input, 'v1a');
          break;
        case 'hmac-timestamp':
          await checkHmacTimestamp(input);
          break;
        case 'hmac-sha256':
          await checkHmacSha256(input);
          break;
        case 'rsa-sha256':
          await checkRsa(input);
          break;
      }
      return parseJson(parts.body);
    },
  };
}

/** Verifies one request; resolves with the parsed JSON payload. */
export async function verify(parts: WebhookRequestParts, opts: VerifyOptions): Promise<unknown> {
  return createVerifier(opts).verify(parts);
}

/**
 * For Fetch-style runtimes (Hono, Next.js route handlers, Cloudflare Workers, Deno, Bun):
 * reads the request's bytes and verifies them. Consumes the body; use the returned payload.
 */
export async function verifyRequest(request: Request, verifier: Verifier | VerifyOptions): Promise<unknown> {
  const body = new Uint8Array(await request.arrayBuffer());
  return asVerifier(verifier).verify({ headers: request.headers, body });
}

export function asVerifier(v: Verifier | VerifyOptions): Verifier {
  return 'verify' in v && typeof v.verify === 'function' ? v : createVerifier(v as VerifyOptions);
}

const decoder = new TextDecoder('utf-8', { fatal: true });

function parseJson(body: string | Uint8Array): unknown {
  try {
    return JSON.parse(typeof body === 'string' ? body : decoder.decode(body));
  } catch {
    throw new WebhookVerificationError('bad_format', 'The signature is valid but the body is not UTF-8 JSON');
  }
}
