import { createContext, useContext } from 'react';
import type { HeraldClient } from '../api/client';
import type { WhoAmI } from '../api/types';

/**
 * Who is signed in and what they may do, from GET /api/v1/whoami. Screens ask `can(scope)`
 * before showing a button, so a read-only portal link or a narrow key sees no action that
 * the API would refuse.
 */
export interface Session {
  client: HeraldClient;
  who: WhoAmI;
  /** Opened through a portal link: one tenant, no admin screens. */
  portal: boolean;
  /** The one org the credential is limited to, or null (an admin key: pick an org). */
  fixedOrg: string | null;
  /** The one app a portal link is limited to, or null. */
  appId: string | null;
  can: (scope: string) => boolean;
  signOut: () => void;
}

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside a signed-in screen');
  return s;
}

export function makeSession(client: HeraldClient, who: WhoAmI, signOut: () => void): Session {
  const scopes = new Set<string>(who.scopes);
  return {
    client,
    who,
    portal: who.kind === 'portal',
    fixedOrg: who.org_id,
    appId: who.app_id,
    can: (scope) => scopes.has(scope),
    signOut,
  };
}
