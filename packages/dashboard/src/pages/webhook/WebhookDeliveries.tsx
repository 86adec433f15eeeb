import { useId, useState, type FormEvent } from 'react';
import { errorMessage } from '../../api/client';
import type { RecoverResult, Webhook } from '../../api/types';
import { useSession } from '../../auth/session';
import { fromLocalInput, toLocalInput } from '../../format';
import { DeliveryLog } from '../deliveries/DeliveryLog';

/** One webhook's delivery log, and recovery of its failed and skipped deliveries. */
export function WebhookDeliveries({ org, w }: { org: string; w: Webhook }) {
  const { can } = useSession();
  return (
    <>
      {can('deliveries:write') && <Recover org={org} w={w} />}
      <h2>Delivery log</h2>
      <DeliveryLog org={org} webhookId={w.id} subscribedTypes={w.events} route={{ name: 'webhook', org, id: w.id, tab: 'deliveries' }} />
    </>
  );
}

/**
 * Re-queues every failed or skipped delivery created since a time. The API does it in one
 * synchronous call and answers counts, so the screen shows a busy state, then the counts.
 */
function Recover({ org, w }: { org: string; w: Webhook }) {
  const { client } = useSession();
  const id = useId();
  const [since, setSince] = useState(() => toLocalInput(Date.now() - 24 * 3_600_000));
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<RecoverResult | null>(null);
  const [error, setError] = useState<string | null>(null);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const iso = fromLocalInput(since);
    if (!iso) {
      setError('Choose a date and time to recover from.');
      return;
    }
    setBusy(true);
    setError(null);
    setResult(null);
    try {
      setResult(await client.recover(org, w.id, iso));
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="card recover" aria-labelledby={`${id}-h`}>
      <h2 id={`${id}-h`}>Recover failed and skipped deliveries</h2>
      <p className="muted small-text">
        Sends again every delivery of this webhook that failed, or was skipped while it was off, since the time you choose.
      </p>
      {w.state !== 'enabled' && (
        <p className="notice warning">This webhook is {w.state}: enable it first, or recovered deliveries are skipped again.</p>
      )}
      <form className="inline-form" onSubmit={(e) => void submit(e)}>
        <div className="field">
          <label htmlFor={id}>Since</label>
          <input id={id} type="datetime-local" value={since} onChange={(e) => setSince(e.target.value)} required />
        </div>
        <button type="submit" className="button primary" disabled={busy} aria-busy={busy}>
          {busy ? 'Recovering…' : 'Recover'}
        </button>
      </form>
      <div role="status" aria-live="polite">
        {busy && (
          <p className="progress">
            <span className="spinner" aria-hidden="true" /> Re-queuing deliveries…
          </p>
        )}
        {result && (
          <p className="notice success">
            {result.recovered === 0
              ? 'Nothing to recover since that time.'
              : `Re-queued ${result.recovered} deliver${result.recovered === 1 ? 'y' : 'ies'} (in ${result.batches} batch${result.batches === 1 ? '' : 'es'}).`}
            {result.recovered > 0 &&
              (result.webhook_state === 'enabled'
                ? ' They are being sent now.'
                : ` The webhook is ${result.webhook_state}, so they are skipped again: enable it, then recover.`)}
          </p>
        )}
      </div>
      {error && (
        <p role="alert" className="notice error">
          {error}
        </p>
      )}
    </section>
  );
}
