import type { Attempt, DeliveryStatus, WebhookState } from '../model.js';

/** An event ready to be stored (ids and times assigned by the ingest pipeline). */
export interface NewEvent {
  id: string;
  org_id: string;
  app_id: string | null;
  type: string;
  entity_type: string | null;
  entity_id: string | null;
  entity: string;
  modified_fields: string[];
  event_time: number;
  idempotency_key: string | null;
  request_hash: string | null;
  created_at: number;
  /** Fan out only to these webhooks among the subscribers (operational events); not stored. */
  only_webhooks?: readonly string[];
}

/** A webhook that subscribes to an event's type, as fan-out sees it. */
export interface Subscriber {
  id: string;
  state: WebhookState;
  /** The webhook's revision when the event was stored (its settings' cache key). */
  revision: number;
  apps: string[] | null;
  filter: string | null;
  /** Its events wait for a digest period instead of being sent one by one. */
  digest: boolean;
  /** One delivery at a time, oldest first (policy.ordering = fifo). */
  fifo: boolean;
  /** Its destination is `poll`: its consumer leases its deliveries, the worker never claims them. */
  pull: boolean;
}

/** One planned delivery of an event. `batched` ones get no due time: only a digest sends them. */
export interface PlannedDelivery {
  id: string;
  webhook_id: string;
  status: 'pending' | 'batched' | 'skipped';
  /** Of a fifo webhook: stored with the fifo mark, so it waits behind older pending ones. */
  fifo?: boolean;
  /** Of a poll webhook: stored with the pull mark, leased by its consumer (queries/pull.ts). */
  pull?: boolean;
  /**
   * Written leased to the ingesting engine's worker, which sends it once the commit is durable
   * (engine/fresh-deliveries.ts): its pending-work row holds the lease token and falls due when
   * the lease ends. Otherwise the row is due at the event's creation.
   */
  lease?: { token: string; until: number };
}

/** Decides which subscribers get a delivery; runs inside the ingest transaction. */
export type FanOutPlanner = (event: NewEvent, subscribers: readonly Subscriber[]) => PlannedDelivery[];

/** One ingest request: its events are stored all together or not at all. */
export type IngestGroup = readonly NewEvent[];

export type IngestedEvent = { event_id: string; deliveries: number; replayed: boolean };
export type IngestGroupResult =
  | { ok: true; events: IngestedEvent[] }
  | { ok: false; conflict: string /* the idempotency key */ };

/** A delivery claimed by a worker, with what it needs to build the request. */
export interface ClaimedDelivery {
  id: string;
  org_id: string;
  webhook_id: string;
  /** null when the webhook was deleted. */
  webhook_revision: number | null;
  webhook_state: WebhookState | null;
  /** Attempts made before this one. */
  attempts: number;
  is_test: boolean;
  /** Of a fifo webhook: when it finishes, the webhook's next delivery is released. */
  fifo: boolean;
  lease_token: string;
  event_id: string;
  event_type: string;
  app_id: string | null;
  entity_type: string | null;
  entity_id: string | null;
  entity: string;
  modified_fields: string;
  event_time: number;
}

/** What a worker writes back for one claimed delivery. */
export interface DeliveryResult {
  delivery_id: string;
  webhook_id: string;
  lease_token: string;
  status: DeliveryStatus;
  next_attempt_at: number | null;
  /** The attempt made, or null when none was (webhook disabled or deleted). */
  attempt: Attempt | null;
  /** Set when this outcome deactivates the webhook (410). */
  deactivate_reason?: string;
  /** The delivery is of a fifo webhook (a finished one releases the next). */
  fifo?: boolean;
}

export interface CompletionReport {
  /** Deliveries whose lease was still held: their result was written. */
  applied: number;
  /** Deliveries whose lease had passed to another worker: only the attempt was recorded. */
  fenced: string[];
}

/** The batched hot path, written per dialect. */
export interface HotPath {
  ingest(groups: readonly IngestGroup[], plan: FanOutPlanner): Promise<IngestGroupResult[]>;
  /**
   * Leases up to `limit` due deliveries until now + leaseMs under one fresh token, shared
   * fairly between the webhooks that have due work (docs/deliveries.md, "Fairness"); none of
   * the webhooks in `skip` (those this worker already holds enough of).
   */
  claim(limit: number, now: number, leaseMs: number, token: string, skip?: ReadonlySet<string>): Promise<ClaimedDelivery[]>;
  /**
   * Leases up to `limit` due deliveries of one poll webhook (pull = 1, queries/pull.ts) until
   * now + leaseMs under `token`, oldest first; the worker's claim never takes these.
   */
  claimPull(webhookId: string, limit: number, now: number, leaseMs: number, token: string): Promise<ClaimedDelivery[]>;
  complete(results: readonly DeliveryResult[], now: number): Promise<CompletionReport>;
  /** Extends the leases of deliveries this worker holds that still have requests in flight. */
  renew(held: HeldLeases, until: number): Promise<void>;
  /** Gives back leases (shutdown, a claim that cannot be sent): the deliveries are due again at `now`. */
  release(held: HeldLeases, now: number): Promise<void>;
  /** Earliest next_attempt_at of any pending delivery (leased ones: their lease expiry). */
  nextDueAt(): Promise<number | null>;
}

/**
 * Deliveries one worker holds, found by id (the pending-work table's primary key, so no index
 * of lease tokens is kept), and the tokens of its claims holding them: a row is renewed or
 * released only while its token is one of these, so a lease that ended and went to another
 * holder is left alone (the fence).
 */
export interface HeldLeases {
  ids: readonly string[];
  tokens: readonly string[];
}

/** Wakes workers when work is added: in-process on SQLite, LISTEN/NOTIFY on PostgreSQL. */
export interface WorkNotifier {
  /** New work: wakes this process's listeners and (PostgreSQL) every other process. */
  notify(): void;
  /** Wakes this thread's listeners only: for work another thread of the process already announced. */
  wakeLocal(): void;
  subscribe(fn: () => void): () => void;
  close(): Promise<void>;
}
