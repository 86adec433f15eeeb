import { useId } from 'react';
import type { DeliveryFilters, DeliveryStatus } from '../../api/types';
import { STATUS_OPTIONS, statusLabel } from '../../components/DeliveryStatus';
import { fromLocalInput, toLocalInput } from '../../format';

interface Props {
  value: DeliveryFilters;
  /** Names the event filter offers (catalogue, subscriptions and types seen in the log). */
  eventTypes: string[];
  onChange: (f: DeliveryFilters) => void;
}

const local = (iso: string | undefined) => (iso ? toLocalInput(Date.parse(iso)) : '');

/** Status, event type and time window of the delivery log; each change applies at once. */
export function DeliveryFiltersForm({ value, eventTypes, onChange }: Props) {
  const id = useId();
  const set = (patch: Partial<DeliveryFilters>) => onChange({ ...value, ...patch });
  const any = Boolean(value.status || value.event_type || value.since || value.until);
  return (
    <form className="filters" role="search" aria-label="Filter deliveries" onSubmit={(e) => e.preventDefault()}>
      <div className="field">
        <label htmlFor={`${id}-status`}>Status</label>
        <select id={`${id}-status`} value={value.status ?? ''} onChange={(e) => set({ status: e.target.value as DeliveryStatus | '' })}>
          <option value="">Any status</option>
          {STATUS_OPTIONS.map((s) => (
            <option key={s} value={s}>
              {statusLabel(s)}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor={`${id}-event`}>Event type</label>
        <select id={`${id}-event`} value={value.event_type ?? ''} onChange={(e) => set({ event_type: e.target.value })}>
          <option value="">Any event</option>
          {eventTypes.map((t) => (
            <option key={t} value={t}>
              {t}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor={`${id}-since`}>From</label>
        <input id={`${id}-since`} type="datetime-local" value={local(value.since)} onChange={(e) => set({ since: fromLocalInput(e.target.value) })} />
      </div>
      <div className="field">
        <label htmlFor={`${id}-until`}>Until</label>
        <input id={`${id}-until`} type="datetime-local" value={local(value.until)} onChange={(e) => set({ until: fromLocalInput(e.target.value) })} />
      </div>
      {any && (
        <div className="field end">
          <button type="button" className="button small" onClick={() => onChange({})}>
            Clear filters
          </button>
        </div>
      )}
    </form>
  );
}
