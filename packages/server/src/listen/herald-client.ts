/**
 * The three calls `herald listen` makes to a Herald: create a development poll webhook, lease
 * due deliveries (long poll), and report answers. Herald's refusals (4xx) become a
 * RefusedError, which stops the command; anything else (network, 5xx, a Herald restarting)
 * is transient and the session retries it.
 */
import { request } from 'undici';
import type { AckItem, PolledDelivery } from '../engine/pull-queue.js';

/** What a poll answers per delivery (the fields the listener uses), and what an ack sends: the engine's own shapes. */
export type LeasedDelivery = Pick<PolledDelivery, 'delivery_id' | 'lease_token' | 'attempt' | 'event_type' | 'headers' | 'body'>;
export type Answer = AckItem;

/** Herald refused the request for what it is (bad key, no such webhook, not a poll webhook). */
export class RefusedError extends Error {
  override readonly name = 'RefusedError';
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

export class HeraldClient {
  constructor(
    private readonly baseUrl: string,
    private readonly key: string,
    private readonly org: string,
  ) {}

  async createPollWebhook(events: readonly string[]): Promise<{ id: string; secret: string | null }> {
    const body = await this.call('POST', `/orgs/${enc(this.org)}/webhooks`, {
      destination: { kind: 'poll' }, events, description: 'herald listen (development)',
    }, 10_000) as { id: string; key?: { secret?: string } };
    return { id: body.id, secret: body.key?.secret ?? null };
  }

  /** `signal` ends the wait early (the command stops). */
  async poll(webhookId: string, waitSec: number, visibilitySec: number, signal?: AbortSignal, limit = 10): Promise<LeasedDelivery[]> {
    const path = `/orgs/${enc(this.org)}/webhooks/${enc(webhookId)}/poll?wait=${waitSec}&visibility=${visibilitySec}&limit=${limit}`;
    // The answer may take the whole wait; a connection silent much longer than that is dead (a laptop that slept).
    const body = await this.call('GET', path, undefined, (waitSec + 15) * 1000, signal) as { data: LeasedDelivery[] };
    return body.data;
  }

  async ack(webhookId: string, answers: readonly Answer[]): Promise<{ delivery_id: string; result: string; status?: string }[]> {
    const body = await this.call('POST', `/orgs/${enc(this.org)}/webhooks/${enc(webhookId)}/poll/ack`, { data: answers }, 15_000);
    return (body as { data: { delivery_id: string; result: string; status?: string }[] }).data;
  }

  private async call(method: 'GET' | 'POST', path: string, payload: unknown, timeoutMs: number, signal?: AbortSignal): Promise<unknown> {
    const res = await request(`${this.baseUrl}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${this.key}`, ...(payload === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(payload === undefined ? {} : { body: JSON.stringify(payload) }),
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      ...(signal ? { signal } : {}),
    });
    const text = await res.body.text();
    let body: unknown = null;
    try {
      body = text === '' ? null : JSON.parse(text);
    } catch {
      // not JSON (a proxy's page): handled below by status
    }
    if (res.statusCode >= 200 && res.statusCode < 300) return body;
    const error = (body as { error?: { code?: string; message?: string } } | null)?.error;
    // 408 and 429 pass; 5xx is a Herald (or a proxy) in trouble: both are tried again.
    if (res.statusCode >= 400 && res.statusCode < 500 && res.statusCode !== 408 && res.statusCode !== 429) {
      throw new RefusedError(res.statusCode, error?.code ?? `HTTP_${res.statusCode}`, error?.message ?? `Herald answered ${res.statusCode}`);
    }
    throw new Error(`Herald answered ${res.statusCode}${error?.code ? ` ${error.code}` : ''}`);
  }
}

const enc = encodeURIComponent;
