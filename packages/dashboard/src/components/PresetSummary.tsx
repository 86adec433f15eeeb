import type { DestinationKind, Preset } from '../api/types';
import { policySentences, type AlertRule } from './policy-words';

/** A preset's policy as sentences for a destination kind, with the seed sentences it reproduces. */
export function PresetSummary({ preset, id, kind }: { preset: Preset; id?: string; kind?: DestinationKind }) {
  const alerts = (preset as Preset & { alerts?: AlertRule }).alerts;
  return (
    <div className="preset-summary" id={id}>
      <p className="muted">{preset.description}</p>
      <ul>
        {policySentences(preset.policy, preset.signature, preset.payload, preset.name, { alerts, kind }).map((s) => (
          <li key={s}>{s}</li>
        ))}
      </ul>
      {preset.sources.length > 0 && (
        <details>
          <summary>Where this comes from ({preset.sources.length} sentences)</summary>
          <ul className="sources">
            {preset.sources.map((s) => (
              <li key={`${s.seed}-${s.setting}-${s.sentence}`}>
                <q>{s.sentence}</q> <span className="muted">— seed {s.seed}: {s.setting}</span>
              </li>
            ))}
          </ul>
        </details>
      )}
    </div>
  );
}
