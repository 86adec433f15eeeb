/**
 * Fair claiming (docs/deliveries.md, "Fairness"). Taking the oldest due deliveries of the
 * whole table would let one backlogged webhook fill every claim, and a new event of any other
 * webhook would wait behind its whole backlog. A claim instead walks the webhooks that have
 * pending deliveries, round-robin from where this process's previous claim stopped, and gives
 * each webhook with due work an equal share of the claim, its oldest due deliveries first. A
 * lone webhook still gets the whole claim.
 *
 * Both stores run the same steps on the pending-work table delivery_queue (one narrow row per
 * pending delivery): CLAIM_WEBHOOKS_SQL (one index seek per webhook walked, on
 * delivery_queue_webhook, and the claim's size of the oldest due deliveries, on
 * delivery_queue_due), then per webhook one seek for its oldest due deliveries, so a claim's
 * cost follows the number of webhooks it looks at, not the size of any backlog.
 *
 * Deliveries of `poll` webhooks (pull = 1) are their consumer's to lease (queries/pull.ts):
 * every step here reads pull = 0 only, the leading column of both indexes, so a poll
 * webhook's backlog is never stepped over.
 */

/**
 * The webhooks a claim considers. `walked` (kind 0): webhooks with pending deliveries, in id
 * order after a cursor, then from the start up to it (the wrap), at most `window`. Then
 * (kind 1) the webhooks of the oldest due deliveries (at most the claim's size of them, from
 * delivery_queue_due): the walk alone would pass over a newly due webhook when thousands of
 * webhooks have only retries scheduled for later. Parameters: walkParams().
 */
const CLAIM_WEBHOOKS_BODY = `
WITH RECURSIVE fwd(w, n) AS (
  SELECT (SELECT webhook_id FROM delivery_queue WHERE pull = 0 AND webhook_id > ? ORDER BY pull, webhook_id LIMIT 1), 1
  UNION ALL
  SELECT (SELECT q.webhook_id FROM delivery_queue q WHERE q.pull = 0 AND q.webhook_id > f.w ORDER BY q.pull, q.webhook_id LIMIT 1), f.n + 1
  FROM fwd f WHERE f.w IS NOT NULL AND f.n < ?
), wrap(w, n) AS (
  SELECT (SELECT webhook_id FROM delivery_queue WHERE pull = 0 AND webhook_id <= ? ORDER BY pull, webhook_id LIMIT 1), 1
  UNION ALL
  SELECT (SELECT q.webhook_id FROM delivery_queue q WHERE q.pull = 0 AND q.webhook_id > r.w AND q.webhook_id <= ? ORDER BY q.pull, q.webhook_id LIMIT 1), r.n + 1
  FROM wrap r WHERE r.w IS NOT NULL AND r.n < ?
), walked(w, pass, n) AS (
  SELECT w, 0, n FROM fwd WHERE w IS NOT NULL
  UNION ALL
  SELECT w, 1, n FROM wrap WHERE w IS NOT NULL
), oldest AS (
  SELECT webhook_id FROM delivery_queue WHERE pull = 0 AND next_attempt_at <= ? ORDER BY pull, next_attempt_at LIMIT ?
)
SELECT webhook_id, kind FROM (
  SELECT a.w AS webhook_id, 0 AS kind, a.pass, a.n FROM (SELECT w, pass, n FROM walked ORDER BY pass, n LIMIT ?) a
  UNION ALL
  SELECT DISTINCT o.webhook_id, 1, 0, 0 FROM oldest o
) x`;
export const CLAIM_WEBHOOKS_SQL = `${CLAIM_WEBHOOKS_BODY} ORDER BY kind, pass, n`;

/** Whether any delivery is due for the worker: one probe of delivery_queue_due. Parameters: now. */
export const ANY_DUE_SQL = `SELECT 1 AS due FROM delivery_queue WHERE pull = 0 AND next_attempt_at <= ? LIMIT 1`;

/**
 * CLAIM_WEBHOOKS_SQL that answers nothing at once when no delivery is due: most looks (one per
 * finished request) find nothing due, and PostgreSQL runs the EXISTS first, as a one-time
 * filter, without the walk. Parameters: walkParams(), then now.
 */
export const CLAIM_WEBHOOKS_IF_DUE_SQL = `${CLAIM_WEBHOOKS_BODY}
WHERE EXISTS (${ANY_DUE_SQL}) ORDER BY kind, pass, n`;

export function walkParams(cursor: string, window: number, now: number, limit: number): unknown[] {
  return [cursor, window, cursor, cursor, window, now, limit, window];
}

/**
 * The webhooks of one claim from CLAIM_WEBHOOKS_SQL's rows, those in `skip` left out; moves
 * the round-robin cursor past the walked ones.
 */
export function claimWebhooks(rows: readonly { webhook_id: string; kind: number | string }[], window: number, roundRobin: RoundRobin, skip: ReadonlySet<string>): string[] {
  const walked: string[] = [];
  const all = new Set<string>();
  for (const r of rows) {
    if (Number(r.kind) === 0) walked.push(r.webhook_id);
    if (!skip.has(r.webhook_id)) all.add(r.webhook_id);
  }
  roundRobin.advance(walked, window);
  return [...all];
}

/**
 * Webhooks a claim looks at, at most. Every webhook with due work among them gets at least
 * one delivery in the claim as long as they number no more than the claim's size.
 */
export function claimWindow(limit: number): number {
  return Math.max(limit, 64);
}

/** Each webhook's share of a claim of `limit`: equal, rounded up. */
export function shareOf(limit: number, webhooks: number): number {
  return Math.ceil(limit / Math.max(1, webhooks));
}

/**
 * Where this process's next claim starts its walk. When a claim looked at a full window,
 * webhooks after it were not looked at: the next claim starts after the last one seen, so
 * with thousands of webhooks pending each still gets its turn. It lives in the process (each
 * worker process walks on its own), and is only a starting point: the claim checks everything.
 */
export class RoundRobin {
  private cursor = '';

  get after(): string {
    return this.cursor;
  }

  advance(seen: readonly string[], window: number): void {
    if (seen.length >= window) this.cursor = seen[seen.length - 1] ?? '';
  }
}

export interface DueCandidate {
  id: string;
  next_attempt_at: number;
}

/**
 * The ids of a claim of at most `limit`, in two rounds: each webhook its equal share of due
 * deliveries, oldest first; then what webhooks with less due left over, split between those
 * that filled their share. `fetch(webhook, count, offset)` answers a webhook's due
 * deliveries, oldest first. PostgreSQL's claim statement does the same in SQL.
 */
export function fillClaim(webhooks: readonly string[], limit: number, fetch: (webhook: string, count: number, offset: number) => DueCandidate[]): string[] {
  const first = shareOf(limit, webhooks.length);
  const lists = webhooks.map((w) => fetch(w, first, 0));
  const taken = lists.reduce((n, l) => n + l.length, 0);
  const hungry = webhooks.flatMap((w, i) => (lists[i]!.length === first ? [i] : []));
  if (taken < limit && hungry.length > 0) {
    const more = shareOf(limit - taken, hungry.length);
    for (const i of hungry) lists[i]!.push(...fetch(webhooks[i]!, more, first));
  }
  return interleave(lists, limit);
}

/**
 * At most `limit` ids from per-webhook lists (each oldest first): every webhook's oldest,
 * then every webhook's second, and so on; within a round the older first.
 */
export function interleave(perWebhook: readonly (readonly DueCandidate[])[], limit: number): string[] {
  const ranked: { id: string; rn: number; at: number }[] = [];
  for (const list of perWebhook) list.forEach((c, i) => ranked.push({ id: c.id, rn: i, at: Number(c.next_attempt_at) }));
  ranked.sort((a, b) => a.rn - b.rn || a.at - b.at);
  return ranked.slice(0, limit).map((r) => r.id);
}
