/**
 * A webhook's `destination` when it is saved: `http` (a POST to `url`, the default) or a
 * broker, whose settings are checked (422 HERALD_DESTINATION_INVALID with every problem),
 * whose hosts follow the outbound address rule of URLs, and whose credentials are sealed at
 * rest. A broker webhook's `url` column holds the broker's address without credentials, so
 * lists and logs name where its deliveries go. `poll` (its consumer pulls, nothing is sent)
 * goes the same way, with no settings, no secrets and `poll:` as its url.
 */
import type { AppContext } from '../api/context.js';
import { checkDestination, sealDestinationSecrets, type DestinationSettings } from '../destinations/index.js';
import { blockedHostProblem } from '../destinations/hosts.js';
import { secretsSet } from '../destinations/view.js';
import { HeraldError } from '../errors.js';
import type { StoredDestination, Webhook } from '../model.js';

export interface DestinationInputBody {
  kind: string;
  [field: string]: unknown;
}

export interface PreparedDestination {
  /** What the webhook's url column holds. */
  url: string;
  stored: StoredDestination;
}

function invalid(problems: string[], extra: Record<string, unknown> = {}): HeraldError {
  return new HeraldError('HERALD_DESTINATION_INVALID', [problems.join('; ')], { problems, ...extra });
}

/** True for a broker destination input; an `http` one may carry nothing but its kind. */
export function isBrokerInput(input: DestinationInputBody | undefined): input is DestinationInputBody {
  if (input === undefined || input.kind !== 'http') return input !== undefined;
  const extra = Object.keys(input).filter((k) => k !== 'kind');
  if (extra.length > 0) throw invalid(extra.map((k) => `destination.${k} is not a setting of an http destination (its address is url)`));
  return false;
}

/** Checks, guards and seals a broker destination of webhook `webhookId`. */
export async function prepareBrokerDestination(ctx: AppContext, webhookId: string, input: DestinationInputBody): Promise<PreparedDestination> {
  const parsed = checkDestination(input);
  if ('problems' in parsed) throw invalid(parsed.problems);
  if (!ctx.config.allowPrivateUrls) {
    const blocked = await blockedHostProblem(parsed.settings, ctx.sender.resolve);
    if (blocked !== null) throw invalid([blocked], { reason: 'blocked_address' });
  }
  return {
    url: brokerAddress(parsed.settings),
    stored: {
      settings: parsed.settings,
      secrets_set: secretsSet(parsed.settings, parsed.secrets),
      sealed: sealDestinationSecrets(ctx.box, webhookId, parsed.secrets),
    },
  };
}

/** The broker's address as the url column shows it (credentials were taken out when parsed). */
function brokerAddress(settings: DestinationSettings): string {
  const s = settings as unknown as { url?: unknown; servers?: unknown };
  if (typeof s.url === 'string') return s.url;
  if (Array.isArray(s.servers) && typeof s.servers[0] === 'string') return s.servers[0];
  return `${settings.kind}:`;
}

/**
 * A `url` sent for a broker webhook without a new destination: the one it shows (a form that
 * sends back what it read) is accepted; another is refused, since a broker has no URL to change.
 */
export function refuseUrlForBroker(current: Webhook, url: string | undefined): void {
  if (url === undefined || !current.destination || url === current.url) return;
  throw invalid([`this webhook publishes to ${current.destination.settings.kind}: change its destination, or send destination {"kind":"http"} with url to make it an http webhook`]);
}

/** A url sent together with a broker destination. */
export function refuseUrlWithBroker(url: string | undefined): void {
  if (url !== undefined) throw invalid(['url is the address of an http destination; a broker destination names its own (destination.url or destination.servers)']);
}
