import { useId, useMemo, useState } from 'react';
import type { EventType } from '../api/types';

interface Props {
  types: EventType[];
  value: string[];
  onChange: (events: string[]) => void;
  disabled?: boolean;
}

/**
 * Picks event types from the catalogue, grouped by module (the part before the first dot),
 * with a filter box; "Every event" subscribes to `*`, including types added later.
 */
export function EventPicker({ types, value, onChange, disabled }: Props) {
  const [filter, setFilter] = useState('');
  const filterId = useId();
  const all = value.includes('*');
  const chosen = new Set(value);
  const groups = useMemo(() => {
    const f = filter.trim().toLowerCase();
    const m = new Map<string, EventType[]>();
    for (const t of types) {
      if (f && !t.name.toLowerCase().includes(f) && !t.description.toLowerCase().includes(f)) continue;
      const g = t.name.split('.')[0] ?? t.name;
      m.set(g, [...(m.get(g) ?? []), t]);
    }
    return [...m.entries()];
  }, [types, filter]);

  const toggle = (name: string, on: boolean) => {
    const next = new Set(value.filter((v) => v !== '*'));
    if (on) next.add(name);
    else next.delete(name);
    onChange([...next]);
  };
  const toggleGroup = (names: string[], on: boolean) => {
    const next = new Set(value.filter((v) => v !== '*'));
    for (const n of names) {
      if (on) next.add(n);
      else next.delete(n);
    }
    onChange([...next]);
  };

  return (
    <fieldset className="event-picker" disabled={disabled}>
      <legend>Events</legend>
      <label className="check">
        <input type="checkbox" checked={all} onChange={(e) => onChange(e.target.checked ? ['*'] : [])} />
        Every event, including types added later
      </label>
      {!all && (
        <>
          <div className="field inline">
            <label htmlFor={filterId}>Filter event types</label>
            <input id={filterId} type="search" value={filter} onChange={(e) => setFilter(e.target.value)} placeholder="conversation, operator…" />
          </div>
          <p className="muted small-text" aria-live="polite">
            {value.length === 0 ? 'No event chosen yet' : `${value.length} chosen: ${value.join(', ')}`}
          </p>
          {types.length === 0 && <p className="muted">The catalogue is empty: an administrator imports event types first.</p>}
          <div className="event-groups">
            {groups.map(([group, list]) => {
              const names = list.map((t) => t.name);
              const allOn = names.every((n) => chosen.has(n));
              return (
                <fieldset key={group} className="event-group">
                  <legend>
                    <label className="check">
                      <input type="checkbox" checked={allOn} onChange={(e) => toggleGroup(names, e.target.checked)} />
                      All {group} events
                    </label>
                  </legend>
                  {list.map((t) => (
                    <label key={t.name} className="check event-option">
                      <input type="checkbox" checked={chosen.has(t.name)} onChange={(e) => toggle(t.name, e.target.checked)} />
                      <span>
                        <code>{t.name}</code> <span className={`badge kind-${t.kind}`}>{t.kind}</span>
                        {t.description && <span className="muted small-text block">{t.description}</span>}
                      </span>
                    </label>
                  ))}
                </fieldset>
              );
            })}
          </div>
        </>
      )}
    </fieldset>
  );
}
