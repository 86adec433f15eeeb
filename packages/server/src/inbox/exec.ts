import { spawn } from 'node:child_process';
import type { HandoffHandler } from './handoff.js';
import type { InboxRequest } from './store.js';

/**
 * `--exec`: runs the command through `sh -c` with the body on stdin and the request in the
 * environment, CGI style (`HTTP_WEBHOOK_ID`, `HTTP_CONTENT_TYPE`…) plus INBOX_SEQ,
 * INBOX_REQUEST_ID, INBOX_RECEIVED_AT and INBOX_ATTEMPT. Exit 0 is success. The command's
 * output goes to the inbox's stderr, so stdout keeps one line per request and hand-off.
 */
export function execHandler(command: string, timeoutMs: number, baseEnv: NodeJS.ProcessEnv): HandoffHandler {
  return (req, attempt) =>
    new Promise((resolve) => {
      const started = performance.now();
      // Its own process group, so a timeout kills whatever the shell started too.
      const child = spawn('/bin/sh', ['-c', command], { env: requestEnv(baseEnv, req, attempt), stdio: ['pipe', 2, 2], detached: true });
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        killGroup(child.pid);
      }, timeoutMs);
      child.once('error', (err) => {
        clearTimeout(timer);
        resolve({ ok: false, error: `cannot run the command: ${err.message}` });
      });
      child.once('close', (code, signal) => {
        clearTimeout(timer);
        const ms = Math.round(performance.now() - started);
        if (timedOut) resolve({ ok: false, error: `the command did not finish within ${timeoutMs} ms` });
        else if (code === 0) resolve({ ok: true, detail: `exit 0 in ${ms} ms` });
        else resolve({ ok: false, error: signal ? `the command was killed by ${signal}` : `the command exited ${code}` });
      });
      // A command that does not read its stdin closes the pipe early: that is its choice, not a failure.
      child.stdin?.once('error', () => undefined);
      child.stdin?.end(req.body);
    });
}

function requestEnv(base: NodeJS.ProcessEnv, req: InboxRequest, attempt: number): NodeJS.ProcessEnv {
  const fromHeaders: Record<string, string> = {};
  for (const [name, value] of req.headers) {
    const key = `HTTP_${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
    // httpoxy: a request's "Proxy" header must never become HTTP_PROXY for the command.
    if (key === 'HTTP_PROXY') continue;
    fromHeaders[key] = fromHeaders[key] === undefined ? value : `${fromHeaders[key]}, ${value}`;
  }
  return {
    ...base,
    ...fromHeaders,
    INBOX_SEQ: String(req.seq),
    INBOX_REQUEST_ID: req.requestId ?? '',
    INBOX_RECEIVED_AT: new Date(req.receivedAt).toISOString(),
    INBOX_ATTEMPT: String(attempt),
  };
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
}
