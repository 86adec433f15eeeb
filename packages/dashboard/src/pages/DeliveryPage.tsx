import { useEffect, useRef, useState } from 'react';
import { errorMessage } from '../api/client';
import { rebuildBody } from '../api/envelope';
import type { Attempt, DeliveryDetail, Webhook } from '../api/types';
import { useResource } from '../api/use-resource';
import { useSession } from '../auth/session';
import { CodeBlock } from '../components/CodeBlock';
import { DeliveryStatusBadge } from '../components/DeliveryStatus';
import { HeadersTable } from '../components/HeadersTable';
import { ErrorNotice, Loading } from '../components/Status';
import { webhookName } from '../components/webhook-words';
import { formatAgo, formatMs, formatTime, prettyBody } from '../format';
import { href } from '../router/routes';
import { usePageTitle } from './page-title';

/** One delivery: its event, every attempt's request and response, and resend. */
export function DeliveryPage({ org, id }: { org: string; id: string }) {
  usePageTitle(`Delivery ${id}`);
  const { client, can, appId } = useSession();
  const detail = useResource(`delivery:${org}:${id}`, () => client.getDelivery(org, id));
  const d = detail.data;
  const hook = useResource(d ? `webhook:${org}:${d.webhook_id}` : null, () => client.getWebhook(org, d!.webhook_id));
  const [resend, setResend] = useState<{ busy: boolean; message: string | null; error: string | null; ok?: boolean }>({ busy: false, message: null, error: null });
  const polling = useRef<number | null>(null);

  useEffect(() => () => {
    if (polling.current !== null) window.clearTimeout(polling.current);
  }, []);

  const doResend = async () => {
    if (!d) return;
    const before = d.attempts;
    setResend({ busy: true, message: null, error: null });
    try {
      await client.retryDelivery(org, d.id);
      // The attempt runs in a worker: look again until it is recorded (bounded: 20 s).
      const until = Date.now() + 20_000;
      const poll = async () => {
        const next = await client.getDelivery(org, d.id);
        detail.set(next);
        if ((next.attempts > before && next.status !== 'pending') || Date.now() > until) {
          setResend({
            busy: false,
            ok: next.status === 'succeeded',
            message: next.attempts > before ? `Resent: attempt ${next.attempts} ${next.status}.` : 'Resend queued; refresh later to see the attempt.',
            error: null,
          });
          return;
        }
        polling.current = window.setTimeout(() => void poll().catch((err: unknown) => setResend({ busy: false, message: null, error: errorMessage(err) })), 500);
      };
      await poll();
    } catch (err) {
      setResend({ busy: false, message: null, error: errorMessage(err) });
    }
  };

  const webhookLog = d ? href({ name: 'webhook', org, id: d.webhook_id, tab: 'deliveries' }) : '#';
  return (
    <div className="page">
      <p className="breadcrumb">
        {appId ? <a href={href({ name: 'webhooks', org })}>Webhooks</a> : <a href={href({ name: 'deliveries', org })}>Deliveries</a>}
        {d && (
          <>
            {' '}
            › <a href={webhookLog}>{hook.data ? webhookName(hook.data) : d.webhook_id}</a>
          </>
        )}
      </p>
      <div className="page-head">
        <h1>Delivery</h1>
        {d && can('deliveries:write') && (
          <button type="button" className="button primary" onClick={() => void doResend()} disabled={resend.busy} aria-busy={resend.busy}>
            {resend.busy ? 'Resending…' : 'Resend'}
          </button>
        )}
      </div>
      <div role="status" aria-live="polite">
        {resend.busy && <p className="progress"><span className="spinner" aria-hidden="true" /> Sending it again…</p>}
        {resend.message && <p className={`notice ${resend.ok ? 'success' : 'warning'}`}>{resend.message}</p>}
      </div>
      {resend.error && <p role="alert" className="notice error">{resend.error}</p>}
      <ErrorNotice error={detail.error} />
      {!d && !detail.error && <Loading what="the delivery" />}
      {d && <DeliverySummary d={d} w={hook.data} org={org} />}
      {d && <Attempts d={d} w={hook.data ?? null} />}
    </div>
  );
}

function DeliverySummary({ d, w, org }: { d: DeliveryDetail; w: Webhook | undefined; org: string }) {
  return (
    <section className="card" aria-label="Summary">
      <dl className="details">
        <div>
          <dt>Status</dt>
          <dd>
            <DeliveryStatusBadge d={d} />
            {d.status === 'pending' && d.next_attempt_at && <> next attempt {formatAgo(d.next_attempt_at)}</>}
          </dd>
        </div>
        <div>
          <dt>Event</dt>
          <dd>
            <code>{d.event?.event ?? d.event_type ?? '—'}</code> <span className="muted small-text">{d.event_id}</span>
          </dd>
        </div>
        <div>
          <dt>Webhook</dt>
          <dd className="break">
            <a href={href({ name: 'webhook', org, id: d.webhook_id, tab: 'overview' })}>{w ? webhookName(w) : d.webhook_id}</a>
          </dd>
        </div>
        <div>
          <dt>Delivery id (webhook-id header)</dt>
          <dd>
            <code>{d.id}</code>
          </dd>
        </div>
        <div>
          <dt>Created</dt>
          <dd>{formatTime(d.created_at)}</dd>
        </div>
        <div>
          <dt>Attempts</dt>
          <dd>{d.attempts}</dd>
        </div>
      </dl>
      {d.event && (
        <details>
          <summary>Event entity</summary>
          <CodeBlock text={JSON.stringify(d.event.entity, null, 2)} label="Event entity" copy />
        </details>
      )}
    </section>
  );
}

function Attempts({ d, w }: { d: DeliveryDetail; w: Webhook | null }) {
  if (d.attempt_list.length === 0) return <p className="muted">No attempt yet{d.status === 'skipped' ? ': the webhook was not enabled when the event came' : ''}.</p>;
  const newestFirst = [...d.attempt_list].sort((a, b) => b.attempt - a.attempt || Date.parse(b.started_at) - Date.parse(a.started_at));
  return (
    <section aria-labelledby="attempts-h">
      <h2 id="attempts-h">Attempts</h2>
      <ol className="attempts" reversed>
        {newestFirst.map((a, i) => (
          <li key={a.id}>
            <AttemptView a={a} d={d} w={w} open={i === 0} />
          </li>
        ))}
      </ol>
    </section>
  );
}

function AttemptView({ a, d, w, open }: { a: Attempt; d: DeliveryDetail; w: Webhook | null; open: boolean }) {
  const body = d.event ? rebuildBody(d.event, w, a.attempt, a.is_test) : null;
  return (
    <details className="attempt card" open={open}>
      <summary>
        <span className={`badge ${a.outcome === 'success' ? 'ok' : 'bad'}`}>{a.outcome === 'success' ? 'Succeeded' : 'Failed'}</span>{' '}
        <strong>Attempt {a.attempt}</strong> · {a.status_code !== null ? `HTTP ${a.status_code}` : (a.error_code ?? 'no response')} · {formatMs(a.duration_ms)} ·{' '}
        <time dateTime={a.started_at}>{formatTime(a.started_at)}</time>
      </summary>
      {a.error_message && (
        <p className="bad-text">
          {a.error_code}: {a.error_message}
        </p>
      )}
      <div className="exchange-grid">
        <div>
          <h3>Request</h3>
          <HeadersTable headers={a.request_headers} caption="Request headers" />
          {body !== null && (
            <>
              <CodeBlock text={prettyBody(body)} label="Request body" copy />
              <p className="hint">Rebuilt from the stored event with this attempt's number; the signature above was made over the compact form.</p>
            </>
          )}
        </div>
        <div>
          <h3>Response</h3>
          {a.status_code !== null ? (
            <>
              <p>
                Status <strong>{a.status_code}</strong> in {formatMs(a.duration_ms)}
              </p>
              <HeadersTable headers={a.response_headers} caption="Response headers" />
              <CodeBlock text={prettyBody(a.response_body)} label="Response body" />
              {a.response_truncated && <p className="hint">The body was longer than Herald keeps; it is cut.</p>}
            </>
          ) : (
            <p>No response after {formatMs(a.duration_ms)}.</p>
          )}
        </div>
      </div>
    </details>
  );
}
