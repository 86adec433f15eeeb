import type { InboxRequest } from './store.js';

/** What one hand-off came to: the handler took the event, or why not (one line, for the log and the store). */
export type HandoffResult = { ok: true; detail: string } | { ok: false; error: string };

/** Hands one stored request to the user's handler. Never throws: a failure is a result. */
export type HandoffHandler = (request: InboxRequest, attempt: number) => Promise<HandoffResult>;
