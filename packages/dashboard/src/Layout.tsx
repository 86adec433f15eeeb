import { useEffect, useRef, type ReactNode } from 'react';
import { useResource } from './api/use-resource';
import { useSession } from './auth/session';
import { formatTime } from './format';
import { lastOrg } from './auth/last-org';
import { href, type Route } from './router/routes';
import { useLocation } from './router/use-location';

/** The org a route is about, else the one the credential is limited to, else the last one opened. */
export function routeOrg(route: Route, fixedOrg: string | null): string | null {
  return 'org' in route ? route.org : (fixedOrg ?? lastOrg.get());
}

function NavLink({ to, current, children }: { to: Route; current: boolean; children: ReactNode }) {
  return (
    <li>
      <a href={href(to)} aria-current={current ? 'page' : undefined}>
        {children}
      </a>
    </li>
  );
}

/**
 * The frame around every signed-in screen: a skip link, the header with what this
 * credential may reach (one tenant for a portal link), and the main region. On each new
 * screen focus moves to its heading, so keyboard and screen-reader users start there.
 */
export function Layout({ children }: { children: ReactNode }) {
  const s = useSession();
  const { route, hash } = useLocation();
  const org = routeOrg(route, s.fixedOrg);
  const orgInfo = useResource(org && s.can('orgs:read') ? `org:${org}` : null, () => s.client.getOrg(org!));
  const main = useRef<HTMLElement>(null);
  const path = hash.split('?')[0];
  const first = useRef(true);

  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    const h1 = main.current?.querySelector('h1');
    if (h1 instanceof HTMLElement) {
      h1.tabIndex = -1;
      h1.focus({ preventScroll: false });
    }
    window.scrollTo(0, 0);
  }, [path]);

  const is = (...names: Route['name'][]) => names.includes(route.name);
  const orgName = orgInfo.data?.name ?? org ?? '';
  const access = s.who.access === 'read' ? 'read only' : 'manage';

  return (
    <>
      <a
        className="skip-link"
        href="#main"
        onClick={(e) => {
          e.preventDefault();
          main.current?.focus();
        }}
      >
        Skip to content
      </a>
      <header className="topbar">
        <div className="topbar-inner">
          <a className="brand" href={href({ name: 'home' })}>
            <span className="logo" aria-hidden="true">
              H
            </span>
            <span>Herald</span>
          </a>
          {org && (
            <span className="org-name">
              {s.portal ? 'Webhooks of ' : ''}
              <strong>{orgName}</strong>
              {s.appId && <span className="muted"> · app {s.appId}</span>}
              {!s.fixedOrg && (
                <>
                  {' '}
                  <a className="small-text" href={href({ name: 'orgs' })}>
                    Switch org
                  </a>
                </>
              )}
            </span>
          )}
          <nav aria-label="Main">
            <ul>
              {org && (
                <NavLink to={{ name: 'webhooks', org }} current={is('webhooks', 'webhook', 'webhook-new')}>
                  Webhooks
                </NavLink>
              )}
              {org && !s.appId && s.can('deliveries:read') && (
                <NavLink to={{ name: 'deliveries', org }} current={is('deliveries', 'delivery')}>
                  Deliveries
                </NavLink>
              )}
              {org && !s.portal && s.can('portal_links:write') && (
                <NavLink to={{ name: 'portal-links', org }} current={is('portal-links')}>
                  Portal links
                </NavLink>
              )}
              {!s.fixedOrg && (
                <NavLink to={{ name: 'orgs' }} current={is('orgs')}>
                  Orgs
                </NavLink>
              )}
              {!s.portal && s.can('api_keys:read') && (
                <NavLink to={{ name: 'api-keys' }} current={is('api-keys')}>
                  API keys
                </NavLink>
              )}
            </ul>
          </nav>
          <div className="who">
            {s.portal ? (
              <span className="small-text muted">
                Portal ({access}){s.who.expires_at && <> · until {formatTime(s.who.expires_at)}</>}
              </span>
            ) : (
              <span className="small-text muted key-id">Key {s.who.key_id}</span>
            )}
            <button type="button" className="button small" onClick={s.signOut}>
              {s.portal ? 'Leave' : 'Sign out'}
            </button>
          </div>
        </div>
      </header>
      <main id="main" ref={main} tabIndex={-1}>
        {children}
      </main>
    </>
  );
}
