import { useId } from 'react';
import type { UrlVerdict } from './url-check';

interface Props {
  value: string;
  onChange: (url: string) => void;
  verdict: UrlVerdict;
  /** The server's refusal of the URL on save (HERALD_URL_*), said at the field. */
  serverError: string | null;
  /** Messages are shown once the URL was typed in or the form submitted. */
  show: boolean;
  autoFocus: boolean;
}

/** An HTTP webhook's endpoint URL, checked as it is typed (url-check.ts) and by the server on save. */
export function EndpointField({ value, onChange, verdict, serverError, show, autoFocus }: Props) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>Endpoint URL</label>
      <input
        id={id}
        type="url"
        inputMode="url"
        value={value}
        placeholder="https://example.com/webhooks/herald"
        onChange={(e) => onChange(e.target.value)}
        aria-invalid={show && (verdict.errors.length > 0 || serverError !== null) ? true : undefined}
        aria-describedby={`${id}-msg`}
        required
        autoFocus={autoFocus}
      />
      <div id={`${id}-msg`} aria-live="polite" className="url-messages">
        {show && verdict.errors.map((m) => <p key={m} className="field-error">{m}</p>)}
        {show && serverError && <p className="field-error">{serverError}</p>}
        {show && verdict.errors.length === 0 && verdict.warnings.map((m) => <p key={m} className="field-warning">{m}</p>)}
        {show && verdict.errors.length === 0 && verdict.warnings.length === 0 && !serverError && value.trim() !== '' && (
          <p className="field-ok">Looks right. Herald calls it once when you save to check that it answers.</p>
        )}
      </div>
    </div>
  );
}
