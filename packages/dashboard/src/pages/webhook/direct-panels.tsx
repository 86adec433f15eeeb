import { useEffect, useId, useRef, useState } from 'react';
import { errorMessage } from '../../api/client';
import type { DirectResult, EventTypeSummary, Webhook } from '../../api/types';
import { useResource } from '../../api/use-resource';
import { useSession } from '../../auth/session';
import { CodeBlock } from '../../components/CodeBlock';
import { Exchange } from '../../components/Exchange';
import { ErrorNotice, Loading } from '../../components/Status';
import { href } from '../../router/routes';

/** The app a data event is sent for: the webhook's first app, if it names any. */
const appFor = (w: Webhook, t: EventTypeSummary) => (t.kind === 'data' && w.apps && w.apps[0] ? { app_id: w.apps[0] } : {});

export function ExamplePanel({ event }: { event: EventTypeSummary }) {
  const { client } = useSession();
  const ex = useResource(`example:${event.name}`, () => client.eventExample(event.name));
  if (ex.error) return <ErrorNotice error={ex.error} />;
  if (!ex.data) return <Loading what="the example" />;
  return (
    <div className="panel">
      <h4>Example payload</h4>
      <p className="muted small-text">As it would be sent (envelope); your real data may differ.</p>
      <CodeBlock text={JSON.stringify(ex.data, null, 2)} label={`Example payload of ${event.name}`} copy />
    </div>
  );
}

/** Sends the example now as a test: logged, marked is_test. */
export function TestPanel({ org, w, event }: { org: string; w: Webhook; event: EventTypeSummary }) {
  const { client } = useSession();
  const [result, setResult] = useState<DirectResult | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(true);
  const started = useRef(false);

  useEffect(() => {
    if (started.current) return;
    started.current = true;
    client
      .direct(org, w.id, 'test', { event: event.name, ...appFor(w, event) })
      .then(setResult, setError)
      .finally(() => setBusy(false));
  }, [client, org, w, event]);

  const poll = w.destination.kind === 'poll';
  return (
    <div className="panel" aria-busy={busy}>
      <h4>Test send</h4>
      {busy && <p role="status">{poll ? "Queuing a test for this webhook's consumer…" : 'Sending a test to the endpoint…'}</p>}
      <ErrorNotice error={error} />
      {result?.queued && <QueuedTest org={org} w={w} deliveryId={result.delivery_id} />}
      {result && !result.queued && (
        <>
          <p role="status">
            Test sent{result.delivery_id && (
              <>
                {' '}
                and logged: <a href={href({ name: 'delivery', org, id: result.delivery_id })}>view the delivery</a>
              </>
            )}
            .
          </p>
          <Exchange result={result} title={`Test exchange for ${event.name}`} />
        </>
      )}
    </div>
  );
}

/**
 * A poll webhook's test send: nothing goes out now (the API answers `queued`); the delivery
 * waits for the consumer, which gets it signed when it leases it and answers it.
 */
function QueuedTest({ org, w, deliveryId }: { org: string; w: Webhook; deliveryId: string | null }) {
  const delivery = deliveryId ? href({ name: 'delivery', org, id: deliveryId }) : null;
  return (
    <div role="status" className="notice info queued-test">
      <p>
        <strong>Queued for this webhook's consumer</strong>: nothing was sent now. {deliveryId ? <>Delivery <code>{deliveryId}</code></> : 'The test'}{' '}
        waits until the consumer leases it with its next poll (<code>GET …/webhooks/{w.id}/poll</code>, or <code>herald listen</code>), signed like
        any delivery; its answer is recorded as the attempt.
      </p>
      <p>
        {delivery && (
          <>
            <a href={delivery}>View the delivery</a> ·{' '}
          </>
        )}
        <a href={href({ name: 'webhook', org, id: w.id, tab: 'overview' })}>How its consumer fetches deliveries</a>
      </p>
    </div>
  );
}

/** Seed 001's trial run: edit the example, run it, see everything; the log is not touched. */
export function TrialPanel({ org, w, event }: { org: string; w: Webhook; event: EventTypeSummary }) {
  const { client } = useSession();
  const editorId = useId();
  const heading = useRef<HTMLHeadingElement>(null);
  const [text, setText] = useState(() => JSON.stringify(event.example ?? {}, null, 2));
  const [parseError, setParseError] = useState<string | null>(null);
  const [result, setResult] = useState<DirectResult | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    heading.current?.focus();
  }, []);

  const run = async () => {
    let entity: unknown;
    try {
      entity = JSON.parse(text);
      setParseError(null);
    } catch (err) {
      setParseError(`The payload is not valid JSON: ${(err as Error).message}`);
      return;
    }
    setBusy(true);
    setError(null);
    setResult(null);
    try {
      setResult(await client.direct(org, w.id, 'trial', { event: event.name, entity, ...appFor(w, event) }));
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="panel trial">
      <h4 ref={heading} tabIndex={-1}>
        Trial run of {event.name}
      </h4>
      <div className="field">
        <label htmlFor={editorId}>Payload entity (JSON)</label>
        <textarea
          id={editorId}
          className="code-editor"
          rows={Math.min(18, Math.max(6, text.split('\n').length + 1))}
          spellCheck={false}
          value={text}
          onChange={(e) => setText(e.target.value)}
          aria-invalid={parseError ? true : undefined}
          aria-describedby={`${editorId}-hint${parseError ? ` ${editorId}-err` : ''}`}
        />
        <p id={`${editorId}-hint`} className="hint">
          The example's entity: change values to match your data. Herald wraps it as a real delivery would be and signs it.
        </p>
        {parseError && (
          <p id={`${editorId}-err`} className="field-error" role="alert">
            {parseError}
          </p>
        )}
      </div>
      <div className="actions">
        <button type="button" className="button primary" onClick={() => void run()} disabled={busy} aria-busy={busy}>
          {busy ? 'Running…' : 'Run trial'}
        </button>
        <button type="button" className="button" onClick={() => setText(JSON.stringify(event.example ?? {}, null, 2))} disabled={busy}>
          Reset to the example
        </button>
      </div>
      {error && (
        <p role="alert" className="notice error">
          {error}
        </p>
      )}
      {result && (
        <>
          <p role="status" className="notice info">
            Trial finished: {result.succeeded ? 'the endpoint accepted it' : 'the endpoint did not accept it'}. Nothing was written to the delivery log.
          </p>
          <Exchange result={result} title={`Trial exchange for ${event.name}`} />
        </>
      )}
    </div>
  );
}
