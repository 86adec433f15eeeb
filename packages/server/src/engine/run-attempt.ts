/**
 * One attempt, the same way for every sender of Herald — the worker's deliveries and the
 * direct sends (test, trial, call) — in named phases: sign (headers over the exact body), send,
 * judge against the webhook's success rule, and describe the attempt for the log. "Send" is an
 * HTTP POST, or for a webhook with a broker destination a publish the broker must confirm
 * (the one branch on `rt.broker`; the HTTP path is otherwise as it was). What
 * follows (retry, deactivation, the record) is the caller's: the worker decides by policy,
 * a direct send by its mode.
 */
import { newId } from '../ids.js';
import type { Attempt } from '../model.js';
import { traceAttempt } from '../ops/trace-spans.js';
import { forwardTraceparent } from '../ops/tracing.js';
import type { HttpSender, SendResult } from '../outbound/http-sender.js';
import { deliveryHeaders, judge, requestHeaders } from './attempt-outcome.js';
import type { BrokerTarget } from './destination-pool.js';
import type { WebhookRuntime } from './webhook-runtime.js';

export interface AttemptRequest {
  deliveryId: string;
  webhookId: string;
  orgId: string;
  /** 1 for the first attempt. */
  attemptNo: number;
  isTest: boolean;
  /** e.g. conversation.created (broker destinations name their routing key, subject or stream after it). */
  eventType: string;
  /** The exact bytes to sign and send. */
  body: string;
  timeoutMs: number;
  /** The worker's deliveries: the event, so the attempt's span links to its ingest (ops/trace-spans.ts). */
  eventId?: string;
}

export interface AttemptRun {
  attempt: Attempt;
  /** What the receiver answered (or why there was no answer). */
  response: SendResult;
  ok: boolean;
}

/**
 * Signs, sends and judges one request. Never throws: a sender that fails unexpectedly is an
 * attempt that failed with code `error`, so a claimed delivery always gets its result.
 */
export function runAttempt(sender: HttpSender, rt: WebhookRuntime, req: AttemptRequest, now: () => number = Date.now): Promise<AttemptRun> {
  const broker = rt.broker;
  if (broker !== null) return traceAttempt(req, rt.url, () => attemptOnce(sender, rt, req, now, broker), broker.kind);
  return traceAttempt(req, rt.url, () => attemptOnce(sender, rt, req, now));
}

async function attemptOnce(sender: HttpSender, rt: WebhookRuntime, req: AttemptRequest, now: () => number, broker?: BrokerTarget): Promise<AttemptRun> {
  const startedAt = now();
  let headers: Record<string, string> = {};
  let response: SendResult;
  try {
    // A broker message carries the delivery's own headers, not the HTTP request's.
    headers = (broker === undefined ? requestHeaders : deliveryHeaders)(rt.signer, req.deliveryId, Math.floor(startedAt / 1000), req.body);
    forwardTraceparent(headers);
    response = broker === undefined
      ? await sender.send(rt.url, headers, req.body, req.timeoutMs, rt.identity)
      : await broker.publish({ deliveryId: req.deliveryId, eventType: req.eventType, headers, body: req.body }, req.timeoutMs);
  } catch (err) {
    response = {
      status_code: null, headers: null, body: null, truncated: false, duration_ms: now() - startedAt,
      error_code: 'error', error_message: err instanceof Error ? err.message : String(err), retry_after_ms: null,
    };
  }
  // A broker's confirm is its success; the status rules are HTTP's.
  const verdict = broker === undefined ? judge(rt.policy.success, response) : confirmed(response);
  const attempt: Attempt = {
    id: newId('att', startedAt),
    delivery_id: req.deliveryId,
    webhook_id: req.webhookId,
    org_id: req.orgId,
    attempt: req.attemptNo,
    started_at: startedAt,
    duration_ms: response.duration_ms,
    outcome: verdict.ok ? 'success' : 'failure',
    status_code: response.status_code,
    error_code: verdict.error_code,
    error_message: verdict.error_message,
    request_headers: headers,
    response_headers: response.headers,
    response_body: response.body,
    response_truncated: response.truncated,
    is_test: req.isTest,
  };
  return { attempt, response, ok: verdict.ok };
}

function confirmed(res: SendResult): { ok: boolean; error_code: Attempt['error_code']; error_message: string | null } {
  if (res.error_code === null) return { ok: true, error_code: null, error_message: null };
  return { ok: false, error_code: res.error_code, error_message: res.error_message };
}
