import { useEffect } from 'react';
import { useSession } from './auth/session';
import { ApiKeysPage } from './pages/ApiKeysPage';
import { DeliveriesPage } from './pages/DeliveriesPage';
import { DeliveryPage } from './pages/DeliveryPage';
import { NotFound } from './pages/NotFound';
import { OrgsPage } from './pages/OrgsPage';
import { PortalLinksPage } from './pages/PortalLinksPage';
import { WebhookNewPage } from './pages/WebhookNewPage';
import { WebhookPage } from './pages/WebhookPage';
import { WebhooksPage } from './pages/WebhooksPage';
import { lastOrg } from './auth/last-org';
import { navigate, type Route } from './router/routes';
import { useLocation } from './router/use-location';

/** Where a route that names no screen goes: the credential's org, the last org, or the org list. */
function landing(fixedOrg: string | null): Route {
  const org = fixedOrg ?? lastOrg.get();
  return org ? { name: 'webhooks', org } : { name: 'orgs' };
}

/** Picks the screen for the current route, keeping limited credentials inside their org. */
export function Screens() {
  const s = useSession();
  const { route } = useLocation();
  const redirect: Route | null =
    route.name === 'home' || route.name === 'signin' || route.name === 'portal'
      ? landing(s.fixedOrg)
      : 'org' in route && s.fixedOrg && route.org !== s.fixedOrg
        ? { name: 'webhooks', org: s.fixedOrg }
        : (route.name === 'orgs' && s.fixedOrg) || (s.portal && (route.name === 'api-keys' || route.name === 'portal-links'))
          ? landing(s.fixedOrg)
          : null;

  useEffect(() => {
    if (redirect) navigate(redirect, undefined, { replace: true });
  }, [redirect]);
  useEffect(() => {
    if ('org' in route && !s.fixedOrg) lastOrg.set(route.org);
  }, [route, s.fixedOrg]);

  if (redirect) return null;
  switch (route.name) {
    case 'orgs':
      return <OrgsPage />;
    case 'api-keys':
      return <ApiKeysPage />;
    case 'webhooks':
      return <WebhooksPage org={route.org} />;
    case 'webhook-new':
      return <WebhookNewPage org={route.org} />;
    case 'webhook':
      return <WebhookPage org={route.org} id={route.id} tab={route.tab} />;
    case 'deliveries':
      return <DeliveriesPage org={route.org} />;
    case 'delivery':
      return <DeliveryPage org={route.org} id={route.id} />;
    case 'portal-links':
      return <PortalLinksPage org={route.org} />;
    default:
      return <NotFound />;
  }
}
