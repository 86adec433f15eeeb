import { useState } from 'react';
import { errorMessage } from '../api/client';
import type { Webhook, WebhookState } from '../api/types';
import { useSession } from '../auth/session';
import { webhookName } from './webhook-words';

const LABELS: Record<WebhookState, string> = { draft: 'Draft', enabled: 'Enabled', disabled: 'Disabled', deactivated: 'Deactivated' };

const REASONS: Record<string, string> = {
  gone_410: 'the endpoint answered 410 Gone',
  failure_ladder: 'it kept failing (alert ladder)',
  consecutive_errors: 'too many consecutive errors',
  failing_5_days: 'nothing but failures for 5 days',
};

export function stateReason(w: Pick<Webhook, 'state' | 'state_reason'>): string | null {
  if (w.state !== 'deactivated' || !w.state_reason) return null;
  return REASONS[w.state_reason] ?? w.state_reason.replaceAll('_', ' ');
}

export function StateBadge({ w }: { w: Pick<Webhook, 'state' | 'state_reason'> }) {
  const reason = stateReason(w);
  return (
    <span className={`badge state-${w.state}`} title={reason ? `Deactivated by Herald: ${reason}` : undefined}>
      {LABELS[w.state]}
      {reason && <span className="visually-hidden"> by Herald: {reason}</span>}
    </span>
  );
}

/**
 * The on/off switch of a webhook (seed 002: "Click the toggle button that appears on the
 * right end of each webhook"), or Publish for a draft. Without webhooks:write it is a badge.
 */
export function StateControl({ w, org, onChange }: { w: Webhook; org: string; onChange: (w: Webhook) => void }) {
  const { client, can } = useSession();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  if (!can('webhooks:write')) return <StateBadge w={w} />;

  const change = async (body: { state?: 'enabled' | 'disabled'; published?: boolean }) => {
    setBusy(true);
    setError(null);
    try {
      const next = await client.patchWebhook(org, w.id, body);
      onChange({ ...w, ...next });
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  if (w.state === 'draft') {
    return (
      <span className="state-control">
        <StateBadge w={w} />
        <button type="button" className="button small primary" disabled={busy} aria-busy={busy} onClick={() => void change({ published: true })}>
          Publish<span className="visually-hidden"> {webhookName(w)}</span>
        </button>
        {error && <span role="alert" className="error small-text">{error}</span>}
      </span>
    );
  }
  const on = w.state === 'enabled';
  const reason = stateReason(w);
  return (
    <span className="state-control">
      <button
        type="button"
        role="switch"
        aria-checked={on}
        className="switch"
        disabled={busy}
        aria-label={`Enabled: ${webhookName(w)}`}
        onClick={() => void change({ state: on ? 'disabled' : 'enabled' })}
      >
        <span className="switch-track" aria-hidden="true">
          <span className="switch-thumb" />
        </span>
      </button>
      <StateBadge w={w} />
      {reason && <span className="muted small-text">({reason})</span>}
      {error && <span role="alert" className="error small-text">{error}</span>}
    </span>
  );
}
