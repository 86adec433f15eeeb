/**
 * Broker names templated from the event type: "herald.{event_type}" → "herald.conversation.created".
 * `{event_type}` is the only placeholder; any other brace is refused when the settings are
 * saved, so a typo never publishes to a literal "{evnt_type}" name.
 */
const PLACEHOLDER = '{event_type}';

/** Problems of a template (empty when usable). */
export function templateProblems(field: string, template: string): string[] {
  const rest = template.split(PLACEHOLDER).join('');
  if (/[{}]/.test(rest)) return [`${field} may only use the placeholder ${PLACEHOLDER}`];
  return [];
}

/** The name for one event type. */
export function renderName(template: string, eventType: string): string {
  return template.split(PLACEHOLDER).join(eventType);
}

/** A sample rendering, to check a template's shape at save time. */
export function sampleName(template: string): string {
  return renderName(template, 'module.action');
}

/**
 * Why a NATS subject cannot be published to (null: it can): tokens separated by dots, none
 * empty, no whitespace, and no wildcard (`*`, `>`), which only subscriptions may use.
 */
export function natsSubjectProblem(subject: string): string | null {
  if (subject === '') return 'is empty';
  if (/\s/.test(subject)) return 'contains whitespace';
  const tokens = subject.split('.');
  if (tokens.some((t) => t === '')) return 'has an empty token (two dots in a row, or a dot at an end)';
  if (tokens.some((t) => t === '*' || t === '>' || t.includes('*') || t.includes('>'))) return 'contains a wildcard (* or >)';
  return null;
}

/** AMQP short strings (routing keys, exchange names) hold at most 255 bytes. */
export const AMQP_SHORTSTR_MAX = 255;
