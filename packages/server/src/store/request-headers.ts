/**
 * How an attempt's request headers are stored (docs/deliveries.md, "Storage"). Every request
 * Herald sends starts with the same two headers, and the signature schemes name the delivery's
 * id in a header (`webhook-id`): ~90 of the attempt row's ~500 bytes, written to the table and
 * to PostgreSQL's WAL once per attempt. They are stored as what differs:
 *
 *   `[1,{"webhook-id":null,"webhook-timestamp":"1700000000",…}]`
 *
 * the number of a standard first part (STANDARD_PARTS), then the other headers in order, a
 * `null` value standing for the delivery's id. Headers without the standard first part (a
 * failure before signing stores `{}`) and rows written before this format are plain JSON
 * objects. Reading gives back exactly the object that was written: same headers, same order.
 */

/**
 * Standard first parts by number. Stored rows name them: never change or remove an entry; a
 * new user agent gets a new number.
 */
const STANDARD_PARTS: Readonly<Record<number, readonly (readonly [string, string])[]>> = {
  1: [['content-type', 'application/json'], ['user-agent', 'Herald-Webhooks/0.1']],
};

/** The stored text of one attempt's request headers. */
export function packRequestHeaders(headers: Readonly<Record<string, string>>, deliveryId: string): string {
  const entries = Object.entries(headers);
  for (const [n, part] of Object.entries(STANDARD_PARTS)) {
    if (!part.every(([k, v], i) => entries[i]?.[0] === k && entries[i]?.[1] === v)) continue;
    const rest: Record<string, string | null> = {};
    for (const [k, v] of entries.slice(part.length)) rest[k] = v === deliveryId ? null : v;
    return `[${n},${JSON.stringify(rest)}]`;
  }
  return JSON.stringify(headers);
}

/** An attempt's request headers from their stored text, in either form. */
export function unpackRequestHeaders(stored: string, deliveryId: string): Record<string, string> {
  const value = JSON.parse(stored) as Record<string, string> | [number, Record<string, string | null>];
  if (!Array.isArray(value)) return value;
  const [n, rest] = value;
  const out: Record<string, string> = {};
  for (const [k, v] of STANDARD_PARTS[n] ?? []) out[k] = v;
  for (const [k, v] of Object.entries(rest)) out[k] = v ?? deliveryId;
  return out;
}
