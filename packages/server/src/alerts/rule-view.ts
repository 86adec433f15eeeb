import { formatDuration } from '../policy/duration.js';
import type { AlertRule } from '../policy/presets.js';

/** A preset's alert rule as the API shows it (durations as "1h", "8h", "5d"). */
export function alertRuleView(r: AlertRule): Record<string, unknown> {
  switch (r.rule) {
    case 'failure-ladder':
      return { rule: r.rule, window: formatDuration(r.window_ms), on_410: 'deactivate and mail' };
    case 'daily-errors':
      return {
        rule: r.rule, mail_at: r.mail_at, on_410: 'deactivate and mail',
        deactivate_after: { errors: r.deactivate_after.errors, span: formatDuration(r.deactivate_after.span_ms) },
      };
    case 'failing-days':
      return { rule: r.rule, span: formatDuration(r.span_ms), on_410: 'deactivate and mail' };
    case 'none':
      return { rule: r.rule, on_410: 'deactivate and mail' };
  }
}
