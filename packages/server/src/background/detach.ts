/**
 * Starts work nobody awaits. A rejection goes to `onError` (which logs and counts it) instead
 * of becoming an unhandled rejection, which ends a Node process. Lint forbids a bare `void`
 * on a promise (`no-floating-promises` with `ignoreVoid: false`), so every detached promise
 * in the server passes through here or ends with its own `.catch`.
 */
export function detach(work: Promise<unknown>, onError: (err: unknown) => void): void {
  work.catch((err: unknown) => {
    try {
      onError(err);
    } catch {
      // Reporting the failure failed too (a logger that throws): nothing more can be done here.
    }
  });
}

/**
 * For detached work that by construction cannot reject (it catches everything itself, such as
 * closing a connection that is being dropped anyway): named, so the reader sees it was thought of.
 */
export const cannotReject = (): void => undefined;
