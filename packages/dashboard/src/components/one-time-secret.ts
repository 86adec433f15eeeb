import type { WebhookKey } from '../api/types';

/**
 * A key the API answered once (a new webhook's first key, with its secret): kept in memory
 * only until the webhook's screen shows it, never stored.
 */
const pending = new Map<string, WebhookKey>();

export const oneTimeKey = {
  put(webhookId: string, key: WebhookKey): void {
    pending.set(webhookId, key);
  },
  peek(webhookId: string): WebhookKey | null {
    return pending.get(webhookId) ?? null;
  },
  forget(webhookId: string): void {
    pending.delete(webhookId);
  },
};
