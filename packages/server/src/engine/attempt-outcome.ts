import type { AttemptErrorCode, SuccessRule } from '../model.js';
import type { SendResult } from '../outbound/http-sender.js';
import { isSuccess } from '../policy/resolve.js';
import type { Signer } from '../signing/index.js';

const USER_AGENT = 'Herald-Webhooks/0.1';

/** Every header of a delivery request: JSON, Herald's user agent, and the delivery's headers. */
export function requestHeaders(signer: Signer, deliveryId: string, timestampSec: number, body: string): Record<string, string> {
  return {
    'content-type': 'application/json',
    'user-agent': USER_AGENT,
    ...deliveryHeaders(signer, deliveryId, timestampSec, body),
  };
}

/**
 * The headers of the delivery itself, without those that describe an HTTP request: what a
 * consumer verifies with (webhook-id, webhook-timestamp, webhook-signature, or a preset's own).
 * A broker message carries these (the body is always JSON; AMQP says so in its `contentType`
 * property): fewer headers are also less work per message for the broker, since RabbitMQ
 * decodes every header of every persistent message (docs/destinations.md).
 */
export function deliveryHeaders(signer: Signer, deliveryId: string, timestampSec: number, body: string): Record<string, string> {
  return signer.headers(deliveryId, timestampSec, body);
}

/** Whether a response meets the webhook's success rule, and if not, why (a stable code and a message). */
export function judge(rule: SuccessRule, res: SendResult): { ok: boolean; error_code: AttemptErrorCode | null; error_message: string | null } {
  const ok = res.status_code !== null && isSuccess(rule, res.status_code, res.body);
  if (ok) return { ok, error_code: null, error_message: null };
  return {
    ok,
    error_code: res.error_code ?? failureCode(res.status_code ?? 0),
    error_message: res.error_message ?? `Receiver answered ${res.status_code}`,
  };
}

function failureCode(status: number): AttemptErrorCode {
  if (status >= 300 && status < 400) return 'redirect';
  if (status >= 200 && status < 300) return 'body_mismatch';
  return 'status';
}
