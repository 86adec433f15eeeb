/**
 * The pending-work table, delivery_queue (docs/deliveries.md, "Storage"): one narrow row per
 * pending delivery beside its wide `deliveries` row, touched by claims, leases and FIFO
 * parking instead of the wide row. A delivery has one exactly while its status is `pending`.
 */

/**
 * The condition for a webhook's pending-work rows (parameter: webhook id): every index of the
 * table that starts with the webhook leads with `pull`, and naming both values keeps the
 * lookup a seek into each half.
 */
export const OF_WEBHOOK = 'pull IN (0, 1) AND webhook_id = ?';

/** A pending-work row for each delivery a subquery selects from `deliveries`, due at the first parameter. */
export const queueRowsOf = (where: string) =>
  `INSERT INTO delivery_queue (delivery_id, webhook_id, next_attempt_at, lease_token, pull, fifo)
   SELECT id, webhook_id, ?, NULL, pull, fifo FROM deliveries WHERE ${where}`;
