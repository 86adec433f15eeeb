import { useState } from 'react';
import type { EventTypeSummary, Webhook } from '../../api/types';
import { useResource } from '../../api/use-resource';
import { useSession } from '../../auth/session';
import { ErrorNotice, Loading } from '../../components/Status';
import { ExamplePanel, TestPanel, TrialPanel } from './direct-panels';

type Open = { event: string; mode: 'example' | 'test' | 'trial' } | null;

/**
 * Per event type (seed 004): Example shows the payload as it would be sent; Test sends it
 * now, marked as a test and logged; Trial (seed 001) opens the example in an editor, runs it
 * and shows the whole exchange without writing anything to the delivery log.
 */
export function EventsPanel({ org, w }: { org: string; w: Webhook }) {
  const { client, can } = useSession();
  const catalogue = useResource('event-types', () => client.listEventTypes());
  const [open, setOpen] = useState<Open>(null);

  if (catalogue.error) return <ErrorNotice error={catalogue.error} />;
  if (!catalogue.data) return <Loading what="event types" />;
  const known = new Map(catalogue.data.data.map((t) => [t.name, t]));
  // A subscribed name missing from the catalogue is listed from its name alone.
  const types: EventTypeSummary[] = w.events.includes('*')
    ? catalogue.data.data
    : w.events.map((name) => known.get(name) ?? { name, kind: 'admin', description: 'Not in the catalogue', example: null, deprecated: false });
  // A trial run needs an endpoint that answers now (409 HERALD_WEBHOOK_IS_POLL): not offered for poll.
  const poll = w.destination.kind === 'poll';
  const toggle = (event: string, mode: 'example' | 'test' | 'trial') =>
    setOpen((o) => (o && o.event === event && o.mode === mode ? null : { event, mode }));

  return (
    <section aria-labelledby="events-h">
      <h2 id="events-h">Example, test and trial</h2>
      <p className="muted">
        <strong>Test</strong> sends the example now with <code>{w.preset === 'dialog-insight' ? 'isTest' : 'is_test'}: true</code> and logs it as a
        test.{' '}
        {poll ? (
          <>A test waits in the poll queue for this webhook's consumer. A trial needs an endpoint that answers at once, which a poll webhook has not.</>
        ) : (
          <>
            <strong>Trial</strong> lets you edit the example, runs it against this endpoint and shows the whole exchange; nothing is written to the
            delivery log. Both reach the endpoint whatever the webhook's state or filter{w.state === 'draft' ? ', drafts included' : ''}.
          </>
        )}
      </p>
      <ul className="event-list">
        {types.map((t) => {
          const isOpen = (mode: string) => open?.event === t.name && open.mode === mode;
          const panelId = `panel-${t.name.replaceAll('.', '-')}`;
          return (
            <li key={t.name} className="card event-row">
              <div className="event-row-head">
                <div>
                  <h3>
                    <code>{t.name}</code> <span className={`badge kind-${t.kind}`}>{t.kind}</span>
                  </h3>
                  {t.description && <p className="muted small-text">{t.description}</p>}
                </div>
                <div className="button-row" role="group" aria-label={`Actions for ${t.name}`}>
                  <button type="button" className="button small" aria-expanded={isOpen('example')} aria-controls={panelId} onClick={() => toggle(t.name, 'example')}>
                    Example<span className="visually-hidden"> of {t.name}</span>
                  </button>
                  {can('webhooks:write') && (
                    <button type="button" className="button small" aria-expanded={isOpen('test')} aria-controls={panelId} onClick={() => toggle(t.name, 'test')}>
                      Test<span className="visually-hidden"> {t.name}</span>
                    </button>
                  )}
                  {can('webhooks:write') && !poll && (
                    <button type="button" className="button small" aria-expanded={isOpen('trial')} aria-controls={panelId} onClick={() => toggle(t.name, 'trial')}>
                      Trial<span className="visually-hidden"> {t.name}</span>
                    </button>
                  )}
                </div>
              </div>
              <div id={panelId}>
                {isOpen('example') && <ExamplePanel event={t} />}
                {isOpen('test') && <TestPanel org={org} w={w} event={t} />}
                {isOpen('trial') && <TrialPanel org={org} w={w} event={t} />}
              </div>
            </li>
          );
        })}
      </ul>
      {types.length === 0 && <p className="muted">The catalogue is empty: no event type to try.</p>}
    </section>
  );
}
