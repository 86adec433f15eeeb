/**
 * One attempt, the same way for every sender of Herald — the worker's deliveries and the
 * direct sends (test, trial, call) — in named phases: sign (headers over the exact body), send,
 * judge against the webhook's success rule, and describe the attempt for the log. What
 * follows (retry, deactivation, the record) is the caller's: the worker decides by policy,
 * a direct send by its mode.
 */
import { newId } from '../ids.js';
import type { Attempt } from '../model.js';
import { traceAttempt } from '../ops/trace-spans.js';
import { forwardTraceparent } from '../ops/tracing.js';
import type { HttpSender, SendResult } from '../outbound/http-sender.js';
import { judge, requestHeaders } from './attempt-outcome.js';
import type { WebhookRuntime } from './webhook-runtime.js';

export interface AttemptRequest {
  deliveryId: string;
  webhookId: string;
  orgId: string;
  /** 1 for the first attempt. */
  attemptNo: number;
  isTest: boolean;
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
  return traceAttempt(req, rt.url, () => attemptOnce(sender, rt, req, now));
}

async function attemptOnce(sender: HttpSender, rt: WebhookRuntime, req: AttemptRequest, now: () => number): Promise<AttemptRun> {
  const startedAt = now();
  let headers: Record<string, string> = {};
  let response: SendResult;
  try {
    headers = requestHeaders(rt.signer, req.deliveryId, Math.floor(startedAt / 1000), req.body);
    forwardTraceparent(headers);
    response = await sender.send(rt.url, headers, req.body, req.timeoutMs, rt.identity);
  } catch (err) {
    response = {
      status_code: null, headers: null, body: null, truncated: false, duration_ms: now() - startedAt,
      error_code: 'error', error_message: err instanceof Error ? err.message : String(err), retry_after_ms: null,
    };
  }
  const verdict = judge(rt.policy.success, response);
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
