/**
 * Hash routes: the server serves only `/` and /assets/*, so every screen lives in the
 * fragment (#/o/acme/webhooks/wh_1/keys). Each route is plain data; links are built with
 * href() so a route and its URL cannot drift apart.
 */
export type WebhookTab = 'overview' | 'deliveries' | 'keys' | 'events' | 'edit';

export type Route =
  | { name: 'home' }
  | { name: 'signin' }
  | { name: 'portal' }
  | { name: 'orgs' }
  | { name: 'api-keys' }
  | { name: 'webhooks'; org: string }
  | { name: 'webhook-new'; org: string }
  | { name: 'webhook'; org: string; id: string; tab: WebhookTab }
  | { name: 'deliveries'; org: string }
  | { name: 'delivery'; org: string; id: string }
  | { name: 'portal-links'; org: string }
  | { name: 'not-found'; path: string };

const TABS: readonly WebhookTab[] = ['overview', 'deliveries', 'keys', 'events', 'edit'];

export interface Location {
  route: Route;
  query: URLSearchParams;
}

export function parseHash(hash: string): Location {
  const raw = hash.replace(/^#/, '') || '/';
  const [path = '/', qs = ''] = raw.split('?', 2);
  const query = new URLSearchParams(qs);
  const parts = path.split('/').filter(Boolean).map((p) => {
    try {
      return decodeURIComponent(p);
    } catch {
      return p;
    }
  });
  const route = match(parts, path);
  return { route, query };
}

function match(p: string[], path: string): Route {
  const [a, org, b, id, tab] = p;
  if (p.length === 0) return { name: 'home' };
  if (p.length === 1 && a === 'signin') return { name: 'signin' };
  if (p.length === 1 && a === 'portal') return { name: 'portal' };
  if (p.length === 1 && a === 'orgs') return { name: 'orgs' };
  if (p.length === 1 && a === 'api-keys') return { name: 'api-keys' };
  if (a === 'o' && org) {
    if (p.length === 2) return { name: 'webhooks', org };
    if (b === 'webhooks' && p.length === 3) return { name: 'webhooks', org };
    if (b === 'webhooks' && id === 'new' && p.length === 4) return { name: 'webhook-new', org };
    if (b === 'webhooks' && id && p.length === 4) return { name: 'webhook', org, id, tab: 'overview' };
    if (b === 'webhooks' && id && tab && p.length === 5 && (TABS as readonly string[]).includes(tab)) return { name: 'webhook', org, id, tab: tab as WebhookTab };
    if (b === 'deliveries' && p.length === 3) return { name: 'deliveries', org };
    if (b === 'deliveries' && id && p.length === 4) return { name: 'delivery', org, id };
    if (b === 'portal-links' && p.length === 3) return { name: 'portal-links', org };
  }
  return { name: 'not-found', path };
}

const e = encodeURIComponent;

export function href(r: Route, query?: Record<string, string | undefined>): string {
  let path: string;
  switch (r.name) {
    case 'home': path = '/'; break;
    case 'signin': path = '/signin'; break;
    case 'portal': path = '/portal'; break;
    case 'orgs': path = '/orgs'; break;
    case 'api-keys': path = '/api-keys'; break;
    case 'webhooks': path = `/o/${e(r.org)}/webhooks`; break;
    case 'webhook-new': path = `/o/${e(r.org)}/webhooks/new`; break;
    case 'webhook': path = `/o/${e(r.org)}/webhooks/${e(r.id)}${r.tab === 'overview' ? '' : `/${r.tab}`}`; break;
    case 'deliveries': path = `/o/${e(r.org)}/deliveries`; break;
    case 'delivery': path = `/o/${e(r.org)}/deliveries/${e(r.id)}`; break;
    case 'portal-links': path = `/o/${e(r.org)}/portal-links`; break;
    case 'not-found': path = r.path; break;
  }
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) if (v) q.set(k, v);
  const qs = q.toString();
  return `#${path}${qs ? `?${qs}` : ''}`;
}

export function navigate(r: Route, query?: Record<string, string | undefined>, opts: { replace?: boolean } = {}): void {
  const target = href(r, query);
  if (opts.replace) {
    window.history.replaceState(null, '', `${window.location.pathname}${window.location.search}${target}`);
    window.dispatchEvent(new HashChangeEvent('hashchange'));
  } else {
    window.location.hash = target;
  }
}
