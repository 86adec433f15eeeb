/**
 * The broker destinations of one engine: one `Destination` (one broker connection) per
 * webhook, keyed by webhook id and revision, made on the first publish and closed when the
 * webhook changes (a newer revision is asked for), when it has been idle a while, or when the
 * engine stops. Workers and direct sends share it, so a test send reuses the worker's
 * connection. HTTP webhooks never reach it.
 */
import { cannotReject, detach } from '../background/detach.js';
import type { SecretBox } from '../crypto/secret-box.js';
import {
  createDestination, openDestinationSecrets,
  type Destination, type DestinationErrorCode, type DestinationOptions, type DestinationOutcome, type DestinationSecrets, type BrokerSettings, type OutboundMessage,
} from '../destinations/index.js';
import { blockedHostProblem } from '../destinations/hosts.js';
import type { AttemptErrorCode, Webhook } from '../model.js';
import type { Resolver } from '../outbound/address-guard.js';
import type { SendResult } from '../outbound/http-sender.js';

/** A webhook's broker destination at one revision, as the attempt runner uses it. */
export interface BrokerTarget {
  readonly kind: BrokerSettings['kind'];
  /** Publishes one message; never throws; the outcome in the attempt log's terms. */
  publish(message: OutboundMessage, deadlineMs: number): Promise<SendResult>;
}

export interface DestinationPoolOptions {
  box: SecretBox;
  /** HERALD_ALLOW_PRIVATE_URLS: broker hosts may be private or loopback. */
  allowPrivate: boolean;
  resolve: Resolver;
  /** Connection behaviour (tests shorten the reconnect wait). */
  connection?: DestinationOptions;
  /** A destination unused this long is closed (reopened on the next publish). Default 5 min. */
  idleMs?: number;
}

/** A publish waiting for the entry's next batch. */
interface Waiting {
  message: OutboundMessage;
  /** Absolute time (ms) by which its outcome must be settled. */
  deadline: number;
  settle: (outcome: DestinationOutcome) => void;
}

interface Entry {
  revision: number;
  destination: Destination;
  inFlight: number;
  lastUsed: number;
  retired: boolean;
  /** Publishes gathered for the next batch (sent on the next turn of the event loop). */
  waiting: Waiting[];
}

/** Destination codes as the attempt log names them (`config` alone is too vague there). */
const ATTEMPT_CODES: Readonly<Record<DestinationErrorCode, AttemptErrorCode>> = {
  broker_unreachable: 'broker_unreachable',
  broker_auth: 'broker_auth',
  broker_nack: 'broker_nack',
  unroutable: 'unroutable',
  timeout: 'timeout',
  config: 'destination_config',
  broker_error: 'broker_error',
  blocked_address: 'blocked_address',
};

const SWEEP_MS = 60_000;
/** Most messages in one send(batch). */
const MAX_BATCH = 256;

export class DestinationPool {
  private readonly entries = new Map<string, Entry>();
  private readonly sweeper: NodeJS.Timeout;
  private closed = false;

  constructor(private readonly o: DestinationPoolOptions) {
    this.sweeper = setInterval(() => this.sweep(), SWEEP_MS);
    this.sweeper.unref();
  }

  /**
   * The broker target of a webhook, or null for an HTTP webhook. Opens the sealed credentials
   * now (a webhook whose credentials cannot be opened fails to load, like unreadable keys).
   */
  target(w: Pick<Webhook, 'id' | 'revision' | 'destination'>): BrokerTarget | null {
    const stored = w.destination ?? null;
    // A poll webhook's consumer pulls its deliveries: nothing to publish to.
    if (stored === null || stored.settings.kind === 'poll') return null;
    const secrets = openDestinationSecrets(this.o.box, w.id, stored.sealed);
    const { id, revision } = w;
    const settings = stored.settings;
    return {
      kind: settings.kind,
      publish: (message, deadlineMs) => this.publish(id, revision, settings, secrets, message, deadlineMs),
    };
  }

  private async publish(
    id: string, revision: number, settings: BrokerSettings, secrets: DestinationSecrets, message: OutboundMessage, deadlineMs: number,
  ): Promise<SendResult> {
    const started = Date.now();
    const entry = this.acquire(id, revision, settings, secrets);
    entry.inFlight++;
    try {
      const outcome = await this.enqueue(entry, message, started + deadlineMs);
      if (!outcome.ok) return failure(Date.now() - started, ATTEMPT_CODES[outcome.errorCode], outcome.errorMessage);
      return {
        status_code: null, headers: null, body: outcome.detail ?? 'confirmed', truncated: false, duration_ms: Date.now() - started,
        error_code: null, error_message: null, retry_after_ms: null,
      };
    } catch (err) {
      return failure(Date.now() - started, 'broker_error', err instanceof Error ? err.message : String(err));
    } finally {
      entry.inFlight--;
      entry.lastUsed = Date.now();
      if (entry.retired && entry.inFlight === 0) this.closeEntry(entry);
    }
  }

  /**
   * Publishes started in the same turn of the event loop (a claimed batch's attempts start
   * together) go to the broker as one `send(batch)`: one write and one wait for confirms
   * instead of one per message. The batch's deadline is the earliest of its messages'.
   */
  private enqueue(entry: Entry, message: OutboundMessage, deadline: number): Promise<DestinationOutcome> {
    return new Promise((settle) => {
      entry.waiting.push({ message, deadline, settle });
      if (entry.waiting.length === 1) setImmediate(() => detach(this.flush(entry), cannotReject));
    });
  }

  private async flush(entry: Entry): Promise<void> {
    const batch = entry.waiting.splice(0, MAX_BATCH);
    if (entry.waiting.length > 0) setImmediate(() => detach(this.flush(entry), cannotReject));
    const deadline = Math.min(...batch.map((w) => w.deadline));
    let outcomes: DestinationOutcome[];
    try {
      outcomes = await entry.destination.send(batch.map((w) => w.message), Math.max(1, deadline - Date.now()));
    } catch (err) {
      // send() does not throw for a message's failure: this is a bug or an unexpected library error.
      const errorMessage = err instanceof Error ? err.message : String(err);
      outcomes = batch.map(() => ({ ok: false, durationMs: 0, errorCode: 'broker_error', errorMessage }));
    }
    batch.forEach((w, i) => w.settle(outcomes[i] ?? { ok: false, durationMs: 0, errorCode: 'broker_error', errorMessage: 'the destination answered no outcome' }));
  }

  /**
   * The entry for this revision: the current one; a new one when the webhook changed (the old
   * closes once its publishes finish); a one-off for a caller still on an older revision.
   */
  private acquire(id: string, revision: number, settings: BrokerSettings, secrets: DestinationSecrets): Entry {
    const current = this.entries.get(id);
    if (current !== undefined && current.revision === revision) return current;
    const entry: Entry = {
      revision,
      // The address rule is checked before every connection the destination opens, not once:
      // a broker name that later resolves to a private address is refused at its reconnect.
      destination: createDestination(settings, secrets, {
        ...this.o.connection,
        ...(this.o.allowPrivate ? {} : { checkAddress: () => blockedHostProblem(settings, this.o.resolve) }),
      }),
      inFlight: 0,
      lastUsed: Date.now(),
      retired: this.closed,
      waiting: [],
    };
    if (current !== undefined && current.revision > revision) {
      entry.retired = true;
      return entry;
    }
    if (current !== undefined) this.retire(current);
    if (!this.closed) this.entries.set(id, entry);
    return entry;
  }

  /** A retired destination with nothing in flight. Closing a connection being dropped can fail harmlessly. */
  private closeEntry(entry: Entry): void {
    detach(entry.destination.close(), () => undefined);
  }

  private retire(entry: Entry): void {
    entry.retired = true;
    if (entry.inFlight === 0) this.closeEntry(entry);
  }

  private sweep(): void {
    const idleBefore = Date.now() - (this.o.idleMs ?? 300_000);
    for (const [id, entry] of this.entries) {
      if (entry.inFlight === 0 && entry.lastUsed < idleBefore) {
        this.entries.delete(id);
        this.retire(entry);
      }
    }
  }

  /** Open destinations (for tests and metrics). */
  get size(): number {
    return this.entries.size;
  }

  /** Closes every destination; publishes still under way finish first (their destinations close after). */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.sweeper);
    const idle: Promise<void>[] = [];
    for (const entry of this.entries.values()) {
      entry.retired = true;
      if (entry.inFlight === 0) idle.push(entry.destination.close());
    }
    this.entries.clear();
    await Promise.allSettled(idle);
  }
}

function failure(durationMs: number, code: AttemptErrorCode, message: string): SendResult {
  return {
    status_code: null, headers: null, body: null, truncated: false, duration_ms: durationMs,
    error_code: code, error_message: message, retry_after_ms: null,
  };
}
