import { lazy, Suspense, useState } from 'react';
import type { Webhook } from '../../api/types';
import { useResource } from '../../api/use-resource';
import { useSession } from '../../auth/session';
import { KeyMaterial } from '../../components/NewKey';
import { oneTimeKey } from '../../components/one-time-secret';
import { policySentences } from '../../components/policy-words';
import { ErrorNotice, Loading, Notice } from '../../components/Status';
import { appsWords, destinationWords } from '../../components/webhook-words';
import { stateReason } from '../../components/WebhookState';
import { formatAgo, formatTime } from '../../format';
import { href } from '../../router/routes';
import { useLocation } from '../../router/use-location';
import { PollConsumer } from './PollConsumer';

// The charts library is most of the bundle: loaded with the first webhook page, not before.
const StatsChart = lazy(() => import('../../components/StatsChart').then((m) => ({ default: m.StatsChart })));

export function Overview({ org, w }: { org: string; w: Webhook }) {
  const { client } = useSession();
  const { query } = useLocation();
  const stats = useResource(`stats:${org}:${w.id}`, () => client.webhookStats(org, w.id, 24));
  const [created, setCreated] = useState(() => oneTimeKey.peek(w.id));
  const reason = stateReason(w);

  return (
    <>
      {query.get('created') && <Notice kind="success">Webhook created{w.state === 'draft' ? ' as a draft' : ' and published'}.</Notice>}
      {query.get('saved') && <Notice kind="success">Changes saved.</Notice>}
      {created && (
        <section className="card one-time" aria-labelledby="one-time-h">
          <h2 id="one-time-h">Its first key</h2>
          <KeyMaterial k={created} />
          <button
            type="button"
            className="button small"
            onClick={() => {
              oneTimeKey.forget(w.id);
              setCreated(null);
            }}
          >
            Done, hide it
          </button>
        </section>
      )}
      {w.state === 'draft' && (
        <Notice kind="warning">
          This webhook is a draft: it receives no events until it is published. Send it a test or a trial run first from{' '}
          <a href={href({ name: 'webhook', org, id: w.id, tab: 'events' })}>Example, test and trial</a>.
        </Notice>
      )}
      {w.state === 'deactivated' && (
        <Notice kind="warning">
          Herald deactivated this webhook{reason ? ` because ${reason}` : ''}. Switch it on again when the endpoint is fixed; events that
          arrived meanwhile are kept as skipped deliveries and can be recovered from the{' '}
          <a href={href({ name: 'webhook', org, id: w.id, tab: 'deliveries' })}>delivery log</a>.
        </Notice>
      )}
      <ErrorNotice error={stats.error} />
      {stats.loading && !stats.data && <Loading what="the last 24 hours" />}
      {stats.data && (
        <Suspense fallback={<Loading what="the charts" />}>
          <StatsChart stats={stats.data} />
        </Suspense>
      )}
      {w.destination.kind === 'poll' && <PollConsumer org={org} w={w} />}
      <section aria-labelledby="settings-h" className="card">
        <h2 id="settings-h">How it is delivered</h2>
        <dl className="details">
          <div>
            <dt>Destination</dt>
            <dd>
              {destinationWords(w)}
              {w.destination.kind !== 'http' && w.destination.kind !== 'poll' && (
                <span className="muted break">
                  {' '}
                  · {w.url}
                  {w.destination.secrets_set.length > 0 && <> · {w.destination.secrets_set.join(' and ')} set (never shown)</>}
                </span>
              )}
            </dd>
          </div>
          <div>
            <dt>Events</dt>
            <dd>{w.events.includes('*') ? 'Every event' : w.events.map((e) => <code key={e} className="chip">{e}</code>)}</dd>
          </div>
          <div>
            <dt>Apps</dt>
            <dd>{appsWords(w)}</dd>
          </div>
          <div>
            <dt>Preset</dt>
            <dd>{w.preset}</dd>
          </div>
          {w.filter && (
            <div>
              <dt>Filter rule</dt>
              <dd>
                <code>{w.filter}</code>
              </dd>
            </div>
          )}
          <div>
            <dt>Policy</dt>
            <dd>
              <ul className="plain">
                {policySentences(w.policy, w.signature, w.payload, w.preset, { secured: w.secured, kind: w.destination.kind }).map((s) => (
                  <li key={s}>{s}</li>
                ))}
              </ul>
            </dd>
          </div>
          <div>
            <dt>Last triggered</dt>
            <dd title={formatTime(w.last_triggered_at)}>{formatAgo(w.last_triggered_at)}</dd>
          </div>
          <div>
            <dt>Last success · last failure</dt>
            <dd>
              {formatAgo(w.last_success_at)} · {formatAgo(w.last_failure_at)}
            </dd>
          </div>
          <div>
            <dt>Failures</dt>
            <dd>
              {w.failures} in all, {w.consecutive_failures} in a row now
            </dd>
          </div>
          <div>
            <dt>Created</dt>
            <dd>
              {formatTime(w.created_at)}
              {w.created_by && <> by {w.created_by}</>}
            </dd>
          </div>
          <div>
            <dt>Changed</dt>
            <dd>
              {formatTime(w.updated_at)}
              {w.modified_by && <> by {w.modified_by}</>}
            </dd>
          </div>
        </dl>
      </section>
    </>
  );
}
