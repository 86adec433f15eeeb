import { useId } from 'react';
import type { DestinationKind, Policy } from '../../api/types';
import { placeholders, unusedFields, type AdvancedField, type AdvancedState } from './advanced';
import { describedField, FieldMessages } from './FieldMessages';

interface Props {
  value: AdvancedState;
  onChange: (v: AdvancedState) => void;
  presetPolicy: Policy | undefined;
  presetPayload: 'envelope' | 'raw' | undefined;
  errors: Partial<Record<AdvancedField, string>>;
  open: boolean;
  /** The destination chosen in the form: fields it does not use are hidden (unusedFields). */
  kind: DestinationKind;
}

const LABELS: Partial<Record<AdvancedField, string>> = {
  timeoutS: 'timeout', successStatus: 'success statuses', successBodies: 'accepted response bodies', on410: '410 behaviour',
  rateLimit: 'rate limit', maxInFlight: 'most requests at once',
};

/** Why the hidden fields are hidden, by destination. */
function unusedReason(kind: DestinationKind): string {
  if (kind === 'poll') {
    return 'A poll webhook has no timeout, success statuses, accepted bodies, 410 behaviour, rate limit or cap on requests at once: its consumer leases deliveries at its own pace, and an answer with a 2xx status or no status is a success.';
  }
  return 'Success statuses, accepted response bodies and the 410 behaviour are HTTP’s: a message succeeds when the broker confirms it.';
}

/** The policy fields a webhook may set over its preset; empty means "as the preset". */
export function AdvancedFields({ value, onChange, presetPolicy, presetPayload, errors, open, kind }: Props) {
  const base = useId();
  const ph = placeholders(presetPolicy);
  const set = <K extends AdvancedField>(k: K, v: AdvancedState[K]) => onChange({ ...value, [k]: v });
  const field = (k: AdvancedField) => describedField(`${base}-${k}`, Boolean(errors[k]));
  const hint = (k: AdvancedField, text: string) => <FieldMessages id={`${base}-${k}`} hint={text} errors={errors[k]} />;
  const unit = kind === 'http' ? 'requests' : 'messages';
  const unused = unusedFields(kind);
  // A field the destination does not use is hidden, unless it holds a mistake to correct.
  const shown = (k: AdvancedField) => !unused.includes(k) || Boolean(errors[k]);
  // Hidden values stay in the form and are saved as they are.
  const kept = unused.filter((k) => String(value[k]).trim() !== '').map((k) => `${LABELS[k]}: ${String(value[k]).trim().replaceAll('\n', ', ')}`);

  return (
    <details className="advanced" open={open}>
      <summary>Advanced policy</summary>
      <p className="muted small-text">Leave a field empty to keep the preset's value (shown in grey).</p>
      {unused.length > 0 && (
        <p className="hint unused-fields">
          {unusedReason(kind)}
          {kept.length > 0 && <> Kept as set, unused here: {kept.join('; ')}.</>}
        </p>
      )}
      <div className="form-grid two">
        {shown('timeoutS') && (
          <div className="field">
            <label htmlFor={`${base}-timeoutS`}>Timeout (seconds)</label>
            <input {...field('timeoutS')} inputMode="decimal" value={value.timeoutS} placeholder={ph.timeoutS} onChange={(e) => set('timeoutS', e.target.value)} />
            {hint('timeoutS', `How long Herald waits for ${kind === 'http' ? 'an answer' : 'the broker to confirm a message'}, 0.1 to 30 s.`)}
          </div>
        )}
        <div className="field">
          <label htmlFor={`${base}-retry`}>Retry schedule</label>
          <input {...field('retry')} value={value.retry} placeholder={ph.retry} onChange={(e) => set('retry', e.target.value)} />
          {hint('retry', 'Delays after each failed attempt, e.g. 1m, 15m, 30m, 60m; "none" for a single attempt.')}
        </div>
        {shown('successStatus') && (
          <div className="field">
            <label htmlFor={`${base}-successStatus`}>Success statuses</label>
            <input {...field('successStatus')} value={value.successStatus} placeholder={ph.successStatus} onChange={(e) => set('successStatus', e.target.value)} />
            {hint('successStatus', '2xx, or exact codes such as 200.')}
          </div>
        )}
        {shown('on410') && (
          <div className="field">
            <label htmlFor={`${base}-on410`}>When the endpoint answers 410 Gone</label>
            <select {...field('on410')} value={value.on410} onChange={(e) => set('on410', e.target.value as AdvancedState['on410'])}>
              <option value="">As the preset ({presetPolicy?.on_410 === 'retry' ? 'retry' : 'deactivate'})</option>
              <option value="deactivate">Deactivate the webhook</option>
              <option value="retry">Retry like any failure</option>
            </select>
            {hint('on410', 'Seed 000: a 410 deactivates at once and mails the owners.')}
          </div>
        )}
        {shown('rateLimit') && (
          <div className="field">
            <label htmlFor={`${base}-rateLimit`}>Rate limit ({unit} per second)</label>
            <input {...field('rateLimit')} inputMode="decimal" value={value.rateLimit} placeholder="no limit" onChange={(e) => set('rateLimit', e.target.value)} />
            {hint('rateLimit', `Most ${unit} started per second, per worker process; a burst of one second, then paced.`)}
          </div>
        )}
        {shown('maxInFlight') && (
          <div className="field">
            <label htmlFor={`${base}-maxInFlight`}>Most {unit} at once</label>
            <input {...field('maxInFlight')} inputMode="numeric" value={value.maxInFlight} placeholder="no cap" onChange={(e) => set('maxInFlight', e.target.value)} />
            {hint('maxInFlight', `Concurrency cap for this ${kind === 'http' ? 'endpoint' : 'broker destination'}, per worker process.`)}
          </div>
        )}
        <div className="field">
          <label htmlFor={`${base}-ordering`}>Order</label>
          <select {...field('ordering')} value={value.ordering} onChange={(e) => set('ordering', e.target.value as AdvancedState['ordering'])}>
            <option value="">As the preset (any order)</option>
            <option value="any">Any order, many at once</option>
            <option value="fifo">FIFO: one at a time, oldest first</option>
          </select>
          {hint('ordering', 'FIFO holds the rest while the oldest delivery is retried.')}
        </div>
        {shown('successBodies') && (
          <div className="field span-2">
            <label htmlFor={`${base}-successBodies`}>Accepted response bodies</label>
            <textarea {...field('successBodies')} rows={2} value={value.successBodies} placeholder={ph.successBodies} onChange={(e) => set('successBodies', e.target.value)} />
            {hint('successBodies', 'One per line; when set, only these exact bodies count as success (seed 003).')}
          </div>
        )}
        <div className="field span-2">
          <label htmlFor={`${base}-filter`}>Filter rule</label>
          <input {...field('filter')} value={value.filter} placeholder="entity.rating <= 2" onChange={(e) => set('filter', e.target.value)} />
          {hint('filter', 'Only events matching this rule over the envelope are delivered; empty delivers every subscribed event.')}
        </div>
        <div className="field">
          <label htmlFor={`${base}-payload`}>Body</label>
          <select {...field('payload')} value={value.payload} onChange={(e) => set('payload', e.target.value as AdvancedState['payload'])}>
            <option value="">As the preset ({presetPayload === 'raw' ? 'entity alone' : 'envelope'})</option>
            <option value="envelope">Event envelope</option>
            <option value="raw">Entity alone (raw)</option>
          </select>
          {hint('payload', 'The envelope carries event, time, org, app and attempt around the entity.')}
        </div>
        <div className="field">
          <label htmlFor={`${base}-alertEmails`}>Alert emails</label>
          <input {...field('alertEmails')} value={value.alertEmails} placeholder="ops@example.com" onChange={(e) => set('alertEmails', e.target.value)} />
          {hint('alertEmails', 'Also mailed when the preset sends alerts, besides the org owner and the webhook’s authors.')}
        </div>
      </div>
    </details>
  );
}
