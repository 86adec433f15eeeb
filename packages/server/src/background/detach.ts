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
 * closing a connection that is being dropped anyway), in modules that have no logger. Should it
 * reject after all, that is a bug: Node prints it as a process warning instead of ending the
 * process, and nothing is swallowed silently.
 */
export const cannotReject = (err: unknown): void => {
  process.emitWarning(err instanceof Error ? err : String(err), 'HeraldUnexpectedRejection');
};
