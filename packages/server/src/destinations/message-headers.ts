/**
 * The headers a broker message carries: the delivery's request headers without those that
 * describe an HTTP request rather than the delivery. What is left is what a consumer verifies
 * with (webhook-id, webhook-timestamp, webhook-signature, or a preset's own signature headers)
 * and `traceparent` when forwarded. The body is always JSON (AMQP also says so in its
 * `contentType` property). Fewer headers are also less work per message for the broker:
 * RabbitMQ decodes every header of every persistent message (docs/performance.md).
 */
const HTTP_ONLY = new Set(['content-type', 'user-agent']);

export function messageHeaders(requestHeaders: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name in requestHeaders) if (!HTTP_ONLY.has(name)) out[name] = requestHeaders[name] as string;
  return out;
}
