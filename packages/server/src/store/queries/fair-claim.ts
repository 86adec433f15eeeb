/**
 * Fair claiming (docs/deliveries.md, "Fairness"). Taking the oldest due deliveries of the
 * whole table would let one backlogged webhook fill every claim, and a new event of any other
 * webhook would wait behind its whole backlog. A claim instead walks the webhooks that have
 * pending deliveries, round-robin from where this process's previous claim stopped, and gives
 * each webhook with due work an equal share of the claim, its oldest due deliveries first. A
 * lone webhook still gets the whole claim.
 *
 * Both stores run the same steps: PENDING_WEBHOOKS_SQL (one index seek per webhook, on
 * deliveries_pending_webhook), then per webhook one seek for its oldest due deliveries, so a
 * claim's cost follows the number of webhooks it looks at, not the size of any backlog.
 */

/**
 * Webhooks with pending deliveries, in id order after a cursor, then from the start up to it
 * (the wrap), at most `window` in all. Parameters: pendingWebhookParams().
 */
export const PENDING_WEBHOOKS_SQL = `
WITH RECURSIVE fwd(w, n) AS (
  SELECT (SELECT webhook_id FROM deliveries WHERE status = 'pending' AND webhook_id > ? ORDER BY webhook_id LIMIT 1), 1
  UNION ALL
  SELECT (SELECT d.webhook_id FROM deliveries d WHERE d.status = 'pending' AND d.webhook_id > f.w ORDER BY d.webhook_id LIMIT 1), f.n + 1
  FROM fwd f WHERE f.w IS NOT NULL AND f.n < ?
), wrap(w, n) AS (
  SELECT (SELECT webhook_id FROM deliveries WHERE status = 'pending' AND webhook_id <= ? ORDER BY webhook_id LIMIT 1), 1
  UNION ALL
  SELECT (SELECT d.webhook_id FROM deliveries d WHERE d.status = 'pending' AND d.webhook_id > r.w AND d.webhook_id <= ? ORDER BY d.webhook_id LIMIT 1), r.n + 1
  FROM wrap r WHERE r.w IS NOT NULL AND r.n < ?
), walked(w, pass, n) AS (
  SELECT w, 0, n FROM fwd WHERE w IS NOT NULL
  UNION ALL
  SELECT w, 1, n FROM wrap WHERE w IS NOT NULL
)
SELECT w AS webhook_id FROM walked ORDER BY pass, n LIMIT ?`;

export function pendingWebhookParams(cursor: string, window: number): unknown[] {
  return [cursor, window, cursor, cursor, window, window];
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
