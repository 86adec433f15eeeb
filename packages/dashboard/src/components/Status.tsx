import type { ReactNode } from 'react';
import { errorMessage } from '../api/client';

/** Something went wrong: said at once to screen readers. */
export function ErrorNotice({ error, children }: { error: unknown; children?: ReactNode }) {
  if (!error) return null;
  return (
    <div role="alert" className="notice error">
      <p>{errorMessage(error)}</p>
      {children}
    </div>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <p role="status" className="muted loading">
      Loading {what}…
    </p>
  );
}

export function Notice({ kind = 'info', children }: { kind?: 'info' | 'success' | 'warning'; children: ReactNode }) {
  return (
    <div role="status" className={`notice ${kind}`}>
      {children}
    </div>
  );
}
