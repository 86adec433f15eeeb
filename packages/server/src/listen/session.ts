/**
 * The loop of `herald listen`: long-poll Herald, forward each delivery to the local URL with
 * its signed headers and body, report the local answer through ack, print one line each.
 * Network errors and a restarting Herald are waited out with a bounded backoff; only Herald's
 * refusal (RefusedError) ends it. At least once: a delivery forwarded but not acked (a crash,
 * a lost connection) is handed out again after its visibility timeout.
 */
import { request } from 'undici';
import { RefusedError, type Answer, type HeraldClient, type LeasedDelivery } from './herald-client.js';

/** The local answer's body kept for the attempt log, at most. */
const ANSWER_BODY_MAX = 64 * 1024;
const BACKOFF_MIN_MS = 250;
const BACKOFF_MAX_MS = 10_000;

export interface SessionOptions {
  client: HeraldClient;
  webhookId: string;
  forwardTo: string;
  timeoutMs: number;
  waitSec: number;
  visibilitySec: number;
  log: (line: string) => void;
}

export class ListenSession {
  private stopped = false;
  private wakeSleep: (() => void) | null = null;
  /** Ends a long poll in progress when the command stops. */
  private readonly stopping = new AbortController();

  constructor(private readonly o: SessionOptions) {}

  /** Runs until stop() (resolves) or until Herald refuses (rejects with the RefusedError). */
  async run(): Promise<void> {
    let backoff = BACKOFF_MIN_MS;
    let down = false;
    while (!this.stopped) {
      try {
        const items = await this.o.client.poll(this.o.webhookId, this.o.waitSec, this.o.visibilitySec, this.stopping.signal);
        if (down) this.o.log(`connected to Herald again`);
        down = false;
        backoff = BACKOFF_MIN_MS;
        for (const item of items) {
          if (this.stopped) break;
          await this.handle(item);
        }
      } catch (err) {
        if (err instanceof RefusedError) throw err;
        if (this.stopped) break;
        this.o.log(`Herald unreachable (${describe(err)}); trying again in ${(backoff / 1000).toFixed(1)} s`);
        down = true;
        await this.sleep(backoff);
        backoff = Math.min(BACKOFF_MAX_MS, backoff * 2);
      }
    }
  }

  stop(): void {
    this.stopped = true;
    this.stopping.abort();
    this.wakeSleep?.();
  }

  /** Forwards one delivery and reports the answer; a failed report throws (transient) and the delivery comes back later. */
  private async handle(item: LeasedDelivery): Promise<void> {
    const answer = await this.forward(item);
    const [result] = await this.o.client.ack(this.o.webhookId, [answer]);
    const local = answer.status !== undefined ? String(answer.status) : `failed (${answer.error ?? 'no answer'})`;
    const outcome = result?.result === 'recorded' ? result.status ?? 'recorded' : result?.result ?? 'no answer';
    this.o.log(`${item.delivery_id} ${item.event_type} attempt ${item.attempt} -> ${local}; Herald: ${outcome}`);
  }

  private async forward(item: LeasedDelivery): Promise<Answer> {
    const base = { delivery_id: item.delivery_id, lease_token: item.lease_token };
    try {
      const res = await request(this.o.forwardTo, {
        method: 'POST', headers: item.headers, body: item.body, signal: AbortSignal.timeout(this.o.timeoutMs),
      });
      const body = await cappedText(res.body, ANSWER_BODY_MAX);
      return { ...base, status: res.statusCode, body };
    } catch (err) {
      const e = err as { name?: string };
      const why = e.name === 'TimeoutError' || e.name === 'AbortError' ? `no answer within ${this.o.timeoutMs} ms` : describe(err);
      return { ...base, ok: false, error: `${this.o.forwardTo}: ${why}` };
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakeSleep = null;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakeSleep = done;
    });
  }
}

async function cappedText(body: AsyncIterable<Buffer | Uint8Array> & { destroy?: () => void }, max: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const b = Buffer.from(chunk);
    chunks.push(b);
    size += b.length;
    if (size >= max) {
      body.destroy?.();
      break;
    }
  }
  return Buffer.concat(chunks).subarray(0, max).toString('utf8');
}

function describe(err: unknown): string {
  const e = err as { code?: string; message?: string; cause?: { code?: string; message?: string } };
  const code = e.code ?? e.cause?.code;
  const message = e.message ?? String(err);
  return code !== undefined && !message.includes(code) ? `${code} ${message}` : message;
}
