import { useEffect } from 'react';

/** The tab's title follows the screen: "Webhooks · Herald". */
export function usePageTitle(title: string): void {
  useEffect(() => {
    document.title = `${title} · Herald`;
  }, [title]);
}
