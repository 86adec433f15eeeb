/** The org an admin last opened, so a reload or a new screen lands there (this tab only). */
const KEY = 'herald.org';

export const lastOrg = {
  get(): string | null {
    try {
      return window.sessionStorage.getItem(KEY);
    } catch {
      return null;
    }
  },
  set(org: string): void {
    try {
      window.sessionStorage.setItem(KEY, org);
    } catch {
      // not kept: the org list is shown next time
    }
  },
};
