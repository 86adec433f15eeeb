import { useId, useMemo, useState, type FormEvent } from 'react';
import { ApiError } from '../../api/client';
import type { App, CreatedWebhook, EventType, Org, Preset, PresetName, Webhook, WebhookInput } from '../../api/types';
import { useResource } from '../../api/use-resource';
import { useSession } from '../../auth/session';
import { EventPicker } from '../../components/EventPicker';
import { PresetSummary } from '../../components/PresetSummary';
import { ErrorNotice, Loading } from '../../components/Status';
import { AdvancedFields } from './AdvancedFields';
import { advancedFrom, parseAdvanced } from './advanced';
import {
  checkDestination, destinationChanged, destinationInput, draftFrom, mergeErrors, secretsToRetype, serverDestinationErrors, type DestinationDraft,
} from './destination';
import { DestinationFields } from './DestinationFields';
import { EndpointField } from './EndpointField';
import { checkUrl } from './url-check';

interface FormData {
  types: EventType[];
  apps: App[];
  presets: Preset[];
  org: Org | null;
}

interface Props {
  org: string;
  /** The webhook being edited; absent to create one. */
  initial?: Webhook;
  onSaved: (w: Webhook | CreatedWebhook) => void;
  onCancel?: () => void;
}

/**
 * Create or edit a webhook: its destination (an HTTP URL with live checks, a poll queue or a
 * broker), events from the catalogue, apps, a preset with its policy in words, and the
 * advanced policy. A new webhook is published at once or saved as a draft (published:false)
 * to test first.
 */
export function WebhookForm({ org, initial, onSaved, onCancel }: Props) {
  const { client, can, appId } = useSession();
  const data = useResource<FormData>(`webhook-form:${org}`, async () => {
    const [types, apps, presets, orgInfo] = await Promise.all([
      client.listEventTypes(),
      can('apps:read') ? client.listApps(org) : Promise.resolve({ data: [] as App[] }),
      client.listPresets(),
      can('orgs:read') ? client.getOrg(org) : Promise.resolve(null),
    ]);
    return { types: types.data, apps: apps.data, presets: presets.data, org: orgInfo };
  });
  const ids = { desc: useId(), preset: useId(), apps: useId(), secured: useId() };
  const initialDest = useMemo(() => draftFrom(initial), [initial]);
  const [dest, setDest] = useState(initialDest);
  const [urlTouched, setUrlTouched] = useState(Boolean(initial));
  const [description, setDescription] = useState(initial?.description ?? '');
  const [events, setEvents] = useState<string[]>(initial?.events ?? []);
  const [apps, setApps] = useState<string[] | null>(initial?.apps ?? null);
  const [preset, setPreset] = useState<PresetName>(initial?.preset ?? 'standard');
  const [secured, setSecured] = useState(initial?.secured ?? true);
  const [advanced, setAdvanced] = useState(() => advancedFrom(initial));
  const [submitted, setSubmitted] = useState(false);
  const [busy, setBusy] = useState<null | 'publish' | 'draft' | 'save'>(null);
  const [error, setError] = useState<unknown>(null);

  if (data.error) return <ErrorNotice error={data.error} />;
  if (!data.data) return <Loading what="the catalogue and presets" />;
  const { types, presets } = data.data;
  const chosenPreset = presets.find((p) => p.name === preset);
  const http = dest.kind === 'http';
  const verdict = checkUrl(dest.endpoint, data.data.org?.settings.url_rules);
  // HERALD_URL_INVALID, _NOT_ALLOWED (org rules), _UNREACHABLE (the check request on save): said at the field.
  const serverUrlError = error instanceof ApiError && error.code.startsWith('HERALD_URL_') ? error.message : null;
  // A destination is sent when it is new or changed; then its fields are checked, and the server's 422 is said at them.
  const destChanged = !initial || destinationChanged(dest, initialDest);
  const destCheck = http || !destChanged ? {} : checkDestination(dest, secretsToRetype(dest, initial, destChanged));
  const serverDest = serverDestinationErrors(error, dest.kind);
  const destErrors = mergeErrors(submitted ? destCheck : {}, serverDest ?? {});
  const parsed = parseAdvanced(advanced);
  const eventsError = events.length === 0 ? 'Choose at least one event, or every event.' : null;
  const showUrl = urlTouched || submitted;
  const invalid = (http ? verdict.errors.length > 0 : Object.keys(destCheck).length > 0) || eventsError !== null || Object.keys(parsed.errors).length > 0;
  const changeDest = (next: DestinationDraft) => {
    setDest(next);
    // The server's verdict was about the settings sent: it goes once they change.
    if (serverDest) setError(null);
  };

  const submit = async (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const submitter = (e.nativeEvent as SubmitEvent).submitter;
    const mode = initial ? 'save' : submitter?.getAttribute('value') === 'draft' ? 'draft' : 'publish';
    setSubmitted(true);
    if (invalid) return;
    setBusy(mode);
    setError(null);
    const hasPolicy = Object.keys(parsed.policy).length > 0;
    const body: WebhookInput = {
      description: description.trim(),
      events,
      preset,
      secured,
      filter: parsed.filter,
      alert_emails: parsed.alert_emails,
      ...(parsed.payload ? { payload: parsed.payload } : {}),
    };
    if (!appId) body.apps = apps;
    if (http) {
      body.url = dest.endpoint.trim();
      if (initial && initial.destination.kind !== 'http') body.destination = { kind: 'http' };
    } else if (destChanged) body.destination = destinationInput(dest);
    try {
      if (initial) {
        body.policy = hasPolicy ? parsed.policy : null;
        // If-Match: a change someone saved since this form was opened is not overwritten (412).
        onSaved(await client.patchWebhook(org, initial.id, body, initial.etag));
      } else {
        if (hasPolicy) body.policy = parsed.policy;
        body.published = mode === 'publish';
        onSaved(await client.createWebhook(org, body));
      }
    } catch (err) {
      setError(err);
    } finally {
      setBusy(null);
    }
  };

  return (
    <form className="webhook-form" onSubmit={(e) => void submit(e)} noValidate>
      <div className="form-col">
        <DestinationFields
          value={dest}
          onChange={changeDest}
          errors={destErrors}
          initial={initial?.destination}
          changed={destChanged}
          onKeep={() => changeDest(initialDest)}
          endpoint={
            <EndpointField
              value={dest.endpoint}
              onChange={(endpoint) => {
                changeDest({ ...dest, endpoint });
                setUrlTouched(true);
              }}
              verdict={verdict}
              serverError={serverUrlError}
              show={showUrl}
              autoFocus={!initial}
            />
          }
        />
      <div className="field">
        <label htmlFor={ids.desc}>Description (optional)</label>
        <input id={ids.desc} value={description} maxLength={1000} onChange={(e) => setDescription(e.target.value)} />
      </div>

      <EventPicker types={types} value={events} onChange={setEvents} />
      {submitted && eventsError && <p className="field-error">{eventsError}</p>}

      {appId ? (
        <p className="muted">
          Receives the data events of app <strong>{appId}</strong>.
        </p>
      ) : (
        data.data.apps.length > 0 && (
          <fieldset>
            <legend>Apps</legend>
            <p className="hint">Data events reach the webhooks of their app; admin events reach every webhook of the org.</p>
            <label className="check">
              <input type="radio" name={ids.apps} checked={apps === null} onChange={() => setApps(null)} />
              Every app of the org
            </label>
            <label className="check">
              <input type="radio" name={ids.apps} checked={apps !== null} onChange={() => setApps(apps ?? [])} />
              Only these apps
            </label>
            {apps !== null && (
              <div className="indent">
                {data.data.apps.map((a) => (
                  <label key={a.id} className="check">
                    <input
                      type="checkbox"
                      checked={apps.includes(a.id)}
                      onChange={(e) => setApps(e.target.checked ? [...apps, a.id] : apps.filter((x) => x !== a.id))}
                    />
                    {a.name} <code className="muted">{a.id}</code>
                  </label>
                ))}
              </div>
            )}
          </fieldset>
        )
      )}

      </div>
      <div className="form-col">
        <fieldset>
          <legend>Preset</legend>
          <p className="hint">A preset sets the signature and delivery policy to behave like a known system.</p>
          <div className="preset-options">
            {presets.map((p) => (
              <label key={p.name} className={`check preset-option ${p.name === preset ? 'chosen' : ''}`}>
                <input type="radio" name={ids.preset} value={p.name} checked={p.name === preset} onChange={() => setPreset(p.name)} aria-describedby={p.name === preset ? `${ids.preset}-summary` : undefined} />
                <span>
                  <strong>{p.name}</strong>
                </span>
              </label>
            ))}
          </div>
          {chosenPreset && <PresetSummary preset={chosenPreset} id={`${ids.preset}-summary`} kind={dest.kind} />}
        </fieldset>

        <label className="check">
          <input id={ids.secured} type="checkbox" checked={secured} onChange={(e) => setSecured(e.target.checked)} />
          Sign every request (recommended: receivers verify the signature)
        </label>

        <AdvancedFields
          value={advanced}
          onChange={setAdvanced}
          presetPolicy={chosenPreset?.policy}
          presetPayload={chosenPreset?.payload}
          kind={dest.kind}
          errors={parsed.errors}
          open={Object.keys(parsed.errors).length > 0 || Boolean(initial && Object.keys(initial.policy_overrides ?? {}).length > 0)}
        />
      </div>
      <div className="form-foot">

        {error !== null && !serverUrlError && !serverDest && <ErrorNotice error={error} />}
        {serverDest && (
          <p role="alert" className="field-error">
            Herald refused the destination settings: correct the fields marked above.
          </p>
        )}
        {submitted && invalid && (
          <p role="alert" className="field-error">
            Correct the fields marked above before saving.
          </p>
        )}
        <div className="actions">
          {initial ? (
            <button type="submit" className="button primary" disabled={busy !== null} aria-busy={busy === 'save'}>
              {busy === 'save' ? 'Saving…' : 'Save changes'}
            </button>
          ) : (
            <>
              <button type="submit" name="mode" value="publish" className="button primary" disabled={busy !== null} aria-busy={busy === 'publish'}>
                {busy === 'publish' ? 'Creating…' : 'Create webhook'}
              </button>
              <button type="submit" name="mode" value="draft" className="button" disabled={busy !== null} aria-busy={busy === 'draft'}>
                {busy === 'draft' ? 'Saving…' : 'Save as draft'}
              </button>
            </>
          )}
          {onCancel && (
            <button type="button" className="button" onClick={onCancel}>
              Cancel
            </button>
          )}
      </div>
      {!initial && (
        <p className="hint">
          A draft receives no events until you publish it; you can send it tests and trial runs meanwhile.
        </p>
      )}
      </div>
    </form>
  );
}

