import { useState } from 'react';
import type { Webhook } from '../../api/types';
import { useSession } from '../../auth/session';
import { CodeBlock } from '../../components/CodeBlock';
import { ErrorNotice } from '../../components/Status';
import { href } from '../../router/routes';

/** What a key needs to poll and ack (docs/destinations.md, "poll"). */
const CONSUMER_SCOPES = ['webhooks:read', 'deliveries:write'] as const;

/**
 * What the consumer of a poll webhook needs: the addresses it leases and answers deliveries
 * at, the credential (an org key with two scopes, made here once on demand: the API shows a
 * key only when it is created), and the `herald listen` command that does it all.
 */
export function PollConsumer({ org, w }: { org: string; w: Webhook }) {
  const { client, can, who } = useSession();
  const [made, setMade] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const origin = window.location.origin;
  const base = `${origin}/api/v1/orgs/${encodeURIComponent(org)}/webhooks/${encodeURIComponent(w.id)}`;
  const mayMake = can('api_keys:write') && CONSUMER_SCOPES.every((s) => can(s));
  const command = `HERALD_API_KEY=${made ?? '<key>'} herald listen --url ${origin} --org ${org} --webhook ${w.id} \\\n  --forward-to http://localhost:3000/hooks`;

  const makeKey = async () => {
    setBusy(true);
    setError(null);
    try {
      const k = await client.createApiKey({ name: `Poll consumer of ${w.id}`, scopes: [...CONSUMER_SCOPES], org_id: org });
      setMade(k.key);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby="poll-h" className="card">
      <h2 id="poll-h">How its consumer fetches deliveries</h2>
      <p>
        Herald keeps this webhook's deliveries until its consumer leases them, and records the consumer's answer to each as an attempt (retried by
        the policy when it failed). Each delivery is the signed request an HTTP endpoint would get: verify it with the webhook's{' '}
        <a href={href({ name: 'webhook', org, id: w.id, tab: 'keys' })}>signing key</a>.
      </p>
      <dl className="details one-column">
        <div>
          <dt>Lease due deliveries (long poll)</dt>
          <dd>
            <code className="break">GET {base}/poll?limit=10&amp;wait=25&amp;visibility=60</code>
          </dd>
        </div>
        <div>
          <dt>Answer them</dt>
          <dd>
            <code className="break">POST {base}/poll/ack</code>
          </dd>
        </div>
        <div>
          <dt>Credential</dt>
          <dd>
            <code>Authorization: Bearer</code> with an API key of org {org} holding <code>{CONSUMER_SCOPES[0]}</code> and <code>{CONSUMER_SCOPES[1]}</code>
            {who.kind === 'portal' ? ', or a portal link with manage access (until it expires)' : ', or a portal link with manage access'}.
          </dd>
        </div>
      </dl>
      <p>
        With the <code>herald</code> command, each delivery is forwarded to a handler on your machine and its answer reported:
      </p>
      <CodeBlock text={command} label="herald listen command" copy wrap />
      {mayMake && made === null && (
        <div className="actions">
          <button type="button" className="button" disabled={busy} aria-busy={busy} onClick={() => void makeKey()}>
            {busy ? 'Creating…' : 'Create a key for its consumer'}
          </button>
        </div>
      )}
      <ErrorNotice error={error} />
      {made !== null && (
        <div className="one-time notice" role="status" aria-label="Consumer key">
          <p>
            A key of org {org} with only those two scopes is in the command above. Copy it now: Herald stores only its hash and cannot show it again
            (revoke it under API keys).
          </p>
          <CodeBlock text={made} label="Consumer API key" copy wrap />
          <button type="button" className="button small" onClick={() => setMade(null)}>
            Done, hide it
          </button>
        </div>
      )}
    </section>
  );
}
