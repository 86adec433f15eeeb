/**
 * The credential the dashboard signs in with: an API key typed by the user, or the token of
 * a portal link. Kept in sessionStorage, so it lives as long as the tab and no longer.
 */
const KEY = 'herald.credential';
const KIND = 'herald.credential.kind';

export type CredentialKind = 'api_key' | 'portal';

export interface StoredCredential {
  token: string;
  kind: CredentialKind;
}

function storage(): Storage | null {
  try {
    return window.sessionStorage;
  } catch {
    // Storage can be refused (some embedded frames): the session then lasts as long as the page.
    return null;
  }
}

let memory: StoredCredential | null = null;

export function loadCredential(): StoredCredential | null {
  const s = storage();
  if (!s) return memory;
  const token = s.getItem(KEY);
  const kind = s.getItem(KIND);
  return token ? { token, kind: kind === 'portal' ? 'portal' : 'api_key' } : null;
}

export function saveCredential(c: StoredCredential): void {
  memory = c;
  const s = storage();
  s?.setItem(KEY, c.token);
  s?.setItem(KIND, c.kind);
}

export function clearCredential(): void {
  memory = null;
  const s = storage();
  s?.removeItem(KEY);
  s?.removeItem(KIND);
}

/**
 * A portal link opens the dashboard at `#/portal?token=…`. The token becomes the tab's
 * credential and leaves the address bar at once (history.replaceState), so it is not kept
 * in the history, bookmarked or copied along with the URL. Answers true when one was taken.
 */
export function capturePortalToken(): boolean {
  const hash = window.location.hash;
  const m = /^#\/portal\?(.*)$/.exec(hash);
  if (!m) return false;
  const token = new URLSearchParams(m[1]).get('token');
  if (!token) return false;
  saveCredential({ token, kind: 'portal' });
  window.history.replaceState(null, '', `${window.location.pathname}${window.location.search}#/portal`);
  return true;
}
