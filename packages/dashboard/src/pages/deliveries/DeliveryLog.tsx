import { useRef, useState } from 'react';
import { errorMessage } from '../../api/client';
import type { Delivery, DeliveryFilters, DeliveryStatus, Page } from '../../api/types';
import { useResource } from '../../api/use-resource';
import { useSession } from '../../auth/session';
import { DeliveryStatusBadge } from '../../components/DeliveryStatus';
import { ErrorNotice, Loading } from '../../components/Status';
import { formatAgo, formatTime } from '../../format';
import { href, navigate, type Route } from '../../router/routes';
import { useLocation } from '../../router/use-location';
import { DeliveryFiltersForm } from './DeliveryFiltersForm';

interface Props {
  org: string;
  /** One webhook's log; absent for the org's. */
  webhookId?: string;
  /** Webhook names by id (webhookName), to name them in the org's log. */
  webhookNames?: Map<string, string>;
  /** Event types the log's webhooks subscribe to ('*' is ignored), offered by the event filter. */
  subscribedTypes?: readonly string[];
  /** The route the filters are written into (the hash query), so a filtered log can be shared. */
  route: Route;
}

const FILTER_KEYS = ['status', 'event_type', 'since', 'until'] as const;

function filtersFrom(q: URLSearchParams): DeliveryFilters {
  const f: DeliveryFilters = {};
  const status = q.get('status');
  if (status) f.status = status as DeliveryStatus;
  for (const k of ['event_type', 'since', 'until'] as const) {
    const v = q.get(k);
    if (v) f[k] = v;
  }
  return f;
}

/**
 * What the event filter offers: the catalogue, the webhooks' subscriptions, and every type seen
 * in the log so far, so that types nobody registered (ingest accepts them) can be picked too.
 */
function filterTypes(catalogue: readonly string[], subscribed: readonly string[], seen: ReadonlySet<string>, current: string | undefined): string[] {
  const all = new Set([...catalogue, ...subscribed.filter((t) => t !== '*'), ...seen]);
  if (current) all.add(current);
  return [...all].sort();
}

/** The delivery log, newest first, with filters and "Load older" paging. */
export function DeliveryLog({ org, webhookId, webhookNames, subscribedTypes = [], route }: Props) {
  const { client } = useSession();
  const { query } = useLocation();
  const filters = filtersFrom(query);
  const filterKey = FILTER_KEYS.map((k) => query.get(k) ?? '').join('|');
  const types = useResource('event-types', () => client.listEventTypes());
  const first = useResource(`deliveries:${org}:${webhookId ?? '*'}:${filterKey}`, () => client.listDeliveries(org, filters, webhookId));
  const [older, setOlder] = useState<{ key: string; rows: Delivery[]; cursor: string | null } | null>(null);
  const [loadingMore, setLoadingMore] = useState(false);
  const [moreError, setMoreError] = useState<string | null>(null);

  const pages: Page<Delivery> | undefined = first.data;
  const extra = older && older.key === filterKey ? older : null;
  const rows = [...(pages?.data ?? []), ...(extra?.rows ?? [])];
  const cursor = extra ? extra.cursor : (pages?.next_cursor ?? null);
  // Kept across filter changes: filtering by one type must not hide the others from the filter.
  const seenTypes = useRef(new Set<string>());
  for (const r of rows) if (r.event_type) seenTypes.current.add(r.event_type);
  const eventTypes = filterTypes((types.data?.data ?? []).map((t) => t.name), subscribedTypes, seenTypes.current, filters.event_type);

  const loadMore = async () => {
    if (!cursor) return;
    setLoadingMore(true);
    setMoreError(null);
    try {
      const next = await client.listDeliveries(org, { ...filters, cursor }, webhookId);
      setOlder({ key: filterKey, rows: [...(extra?.rows ?? []), ...next.data], cursor: next.next_cursor ?? null });
    } catch (err) {
      setMoreError(errorMessage(err));
    } finally {
      setLoadingMore(false);
    }
  };

  const setFilters = (f: DeliveryFilters) => {
    const q: Record<string, string | undefined> = {};
    for (const k of FILTER_KEYS) q[k] = f[k] || undefined;
    navigate(route, q, { replace: true });
  };

  return (
    <div className="delivery-log">
      <DeliveryFiltersForm value={filters} eventTypes={eventTypes} onChange={setFilters} />
      <div className="section-head">
        <p className="muted small-text" role="status">
          {first.loading ? 'Loading…' : `${rows.length} deliver${rows.length === 1 ? 'y' : 'ies'} shown${cursor ? ', more below' : ''}`}
        </p>
        <button type="button" className="button small" onClick={() => void first.reload()} disabled={first.loading}>
          Refresh
        </button>
      </div>
      <ErrorNotice error={first.error} />
      {first.loading && !pages && <Loading what="deliveries" />}
      {pages && rows.length === 0 && <p className="empty card">No delivery matches.</p>}
      {rows.length > 0 && (
        <table className="table responsive deliveries-table">
          <caption className="visually-hidden">Deliveries, newest first</caption>
          <thead>
            <tr>
              <th scope="col">Created</th>
              {!webhookId && <th scope="col">Webhook</th>}
              <th scope="col">Event</th>
              <th scope="col">Status</th>
              <th scope="col" className="num">
                Attempts
              </th>
              <th scope="col">Last response</th>
              <th scope="col">
                <span className="visually-hidden">Details</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((d) => (
              <tr key={d.id}>
                <td data-label="Created">
                  <time dateTime={d.created_at} title={formatTime(d.created_at)}>
                    {formatAgo(d.created_at)}
                  </time>
                </td>
                {!webhookId && (
                  <td data-label="Webhook" className="break">
                    <a href={href({ name: 'webhook', org, id: d.webhook_id, tab: 'overview' })}>{webhookNames?.get(d.webhook_id) ?? d.webhook_id}</a>
                  </td>
                )}
                <td data-label="Event">{d.event_type ? <code>{d.event_type}</code> : <code className="muted">{d.event_id}</code>}</td>
                <td data-label="Status">
                  <DeliveryStatusBadge d={d} />
                  {d.status === 'pending' && d.next_attempt_at && <span className="muted small-text block">next {formatAgo(d.next_attempt_at)}</span>}
                </td>
                <td data-label="Attempts" className="num">
                  {d.attempts}
                </td>
                <td data-label="Last response">
                  {d.last_status_code !== null ? `HTTP ${d.last_status_code}` : d.last_error ? <span className="bad-text">{d.last_error}</span> : '—'}
                </td>
                <td data-label="Details">
                  <a href={href({ name: 'delivery', org, id: d.id })}>
                    Details<span className="visually-hidden"> of delivery {d.id}</span>
                  </a>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {moreError && (
        <p role="alert" className="notice error">
          {moreError}
        </p>
      )}
      {cursor && rows.length > 0 && (
        <div className="actions">
          <button type="button" className="button" onClick={() => void loadMore()} disabled={loadingMore} aria-busy={loadingMore}>
            {loadingMore ? 'Loading…' : 'Load older deliveries'}
          </button>
        </div>
      )}
    </div>
  );
}
