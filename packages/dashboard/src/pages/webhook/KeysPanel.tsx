import { useState } from 'react';
import { errorMessage } from '../../api/client';
import type { Webhook, WebhookKey } from '../../api/types';
import { useResource } from '../../api/use-resource';
import { useSession } from '../../auth/session';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { KeyMaterial } from '../../components/NewKey';
import { ErrorNotice, Loading } from '../../components/Status';
import { formatTime } from '../../format';

const MAX_KEYS = 2;

/**
 * Signing keys (seeds 000 and 001): at most two; the oldest is "In use"; the last one cannot
 * be deleted. A new secret is shown once, with a copy button; public keys stay readable.
 */
export function KeysPanel({ org, w }: { org: string; w: Webhook }) {
  const { client, can } = useSession();
  const keys = useResource(`keys:${org}:${w.id}`, () => client.listKeys(org, w.id));
  const [fresh, setFresh] = useState<WebhookKey | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [deleting, setDeleting] = useState<WebhookKey | null>(null);
  const list = keys.data?.data ?? [];
  const write = can('keys:write');
  const full = list.length >= MAX_KEYS;

  const generate = async () => {
    if (full || busy) return;
    setBusy(true);
    setError(null);
    try {
      const k = await client.addKey(org, w.id);
      setFresh(k);
      await keys.reload();
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby="keys-h">
      <div className="section-head">
        <h2 id="keys-h">Signing keys</h2>
        {write && (
          <span className="with-reason">
            <button
              type="button"
              className="button primary"
              aria-disabled={full || busy ? true : undefined}
              aria-describedby={full ? 'keys-full' : undefined}
              onClick={() => void generate()}
            >
              {busy ? 'Generating…' : 'Generate key'}
            </button>
            {full && (
              <span id="keys-full" className="hint">
                A webhook holds at most {MAX_KEYS} keys: delete one first.
              </span>
            )}
          </span>
        )}
      </div>
      <p className="muted">
        {w.signature.scheme === 'rsa-sha256'
          ? 'Requests are signed with the private key of the key in use; receivers verify with its public key.'
          : 'While two keys exist, receivers may see a signature for each: rotate by adding a key, updating the receiver, then deleting the old one.'}
      </p>
      {error && (
        <p role="alert" className="notice error">
          {error}
        </p>
      )}
      {fresh && (
        <div className="card one-time" role="status">
          <h3>New key {fresh.id}</h3>
          <KeyMaterial k={fresh} />
          <button type="button" className="button small" onClick={() => setFresh(null)}>
            Done, hide it
          </button>
        </div>
      )}
      <ErrorNotice error={keys.error} />
      {keys.loading && !keys.data && <Loading what="keys" />}
      <ul className="key-list">
        {list.map((k) => (
          <li key={k.id} className="card key">
            <div className="section-head">
              <h3>
                <code>{k.id}</code> {k.in_use && <span className="badge ok">In use</span>}
              </h3>
              {write && (
                <span className="with-reason">
                  <button
                    type="button"
                    className="button small danger-outline"
                    aria-disabled={list.length <= 1 ? true : undefined}
                    aria-describedby={list.length <= 1 ? `last-${k.id}` : undefined}
                    onClick={() => list.length > 1 && setDeleting(k)}
                  >
                    Delete<span className="visually-hidden"> key {k.id}</span>
                  </button>
                  {list.length <= 1 && (
                    <span id={`last-${k.id}`} className="hint">
                      The last key cannot be deleted: generate a new key first.
                    </span>
                  )}
                </span>
              )}
            </div>
            <p className="muted small-text">Created {formatTime(k.created_at)}</p>
            <KeyMaterial k={k} />
          </li>
        ))}
      </ul>
      <ConfirmDialog
        open={deleting !== null}
        title="Delete this key?"
        confirmLabel="Delete key"
        danger
        onClose={() => setDeleting(null)}
        onConfirm={async () => {
          await client.deleteKey(org, w.id, deleting!.id);
          if (fresh?.id === deleting!.id) setFresh(null);
          await keys.reload();
        }}
      >
        <p>
          Requests stop carrying a signature made with <code>{deleting?.id}</code> at once. Receivers that only know this key will reject them.
        </p>
      </ConfirmDialog>
    </section>
  );
}
