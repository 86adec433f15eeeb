/**
 * The one boundary between Herald's threads: an interface called across a worker thread's
 * port. Both ends are built from the same list of method names (so a call the other side
 * does not serve fails at once, by name, instead of hanging), calls are checked on arrival,
 * and errors cross as data and are rebuilt here, in one place (a HeraldError keeps its code,
 * status and details, so the API answers what the engine refused exactly as if it had run
 * on the API's own thread).
 */
import type { MessagePort, Worker } from 'node:worker_threads';
import { ERRORS, HeraldError, type ErrorCode } from '../errors.js';

/** Anything that carries messages both ways: a Worker seen from its parent, or a port. */
export interface Endpoint {
  postMessage(value: unknown): void;
  on(event: 'message', listener: (value: unknown) => void): unknown;
  off(event: 'message', listener: (value: unknown) => void): unknown;
}

type Method<T> = { [K in keyof T]: T[K] extends (...args: never[]) => unknown ? K : never }[keyof T] & string;

/** How an interface's methods cross: `calls` answer (a promise), `notices` are one-way. */
export interface ChannelSpec<T> {
  readonly name: string;
  readonly calls: readonly Method<T>[];
  readonly notices: readonly Method<T>[];
}

/**
 * A ChannelSpec that names every method of T, checked by the compiler: a method of T left out
 * of both lists is a type error naming it (`missing`), instead of a call that fails at run time.
 */
export function channelSpec<T>() {
  return <const C extends readonly Method<T>[], const N extends readonly Method<T>[]>(
    spec: { name: string; calls: C; notices: N } & ([Exclude<Method<T>, C[number] | N[number]>] extends [never] ? unknown : { missing: Exclude<Method<T>, C[number] | N[number]> }),
  ): ChannelSpec<T> => spec;
}

/** The remote side of T as the caller sees it: every call answers a promise. */
export type Remote<T> = {
  [K in keyof T]: T[K] extends (...args: infer A) => infer R ? (...args: A) => R extends Promise<unknown> ? R : R extends void ? void : Promise<R> : never;
};

interface WireError {
  name: string;
  message: string;
  code?: string;
  details?: unknown;
  stack?: string;
}

/**
 * Optional ambient context carried with each call (e.g. a trace: ops/tracing.ts): `capture`
 * runs on the caller's side as the call is posted (undefined: nothing travels), `run` on the
 * serving side around the method. The channel does not look inside what travels.
 */
export interface ChannelContext {
  capture(): unknown;
  run<R>(carried: unknown, fn: () => R): R;
}

type Wire =
  | { ch: string; call: string; id: number; args: unknown[]; cx?: unknown }
  | { ch: string; notice: string; args: unknown[] }
  | { ch: string; id: number; ok: unknown }
  | { ch: string; id: number; err: WireError };

function toWire(err: unknown): WireError {
  if (err instanceof Error) {
    const e = err as Error & { code?: unknown; details?: unknown };
    return {
      name: e.name,
      message: e.message,
      ...(typeof e.code === 'string' ? { code: e.code } : {}),
      ...(e.details !== undefined ? { details: e.details } : {}),
      ...(e.stack !== undefined ? { stack: e.stack } : {}),
    };
  }
  return { name: 'Error', message: String(err) };
}

/** Rebuilds an error that crossed the channel: HeraldErrors as HeraldErrors, others as Error with their code. */
export function fromWire(w: WireError): Error {
  if (w.name === 'HeraldError' && w.code !== undefined && w.code in ERRORS) {
    const e = new HeraldError(w.code as ErrorCode, [], w.details);
    e.message = w.message;
    return e;
  }
  const e = Object.assign(new Error(w.message), { name: w.name }, w.code !== undefined ? { code: w.code } : {});
  if (w.stack !== undefined) e.stack = w.stack;
  return e;
}

function isWire(m: unknown, ch: string): m is Wire {
  return typeof m === 'object' && m !== null && (m as { ch?: unknown }).ch === ch;
}

/**
 * Serves `impl` on `endpoint` for the methods the spec names; anything else answers an error
 * (a call) or is dropped (a notice). Answers once the method's promise settles.
 */
export function serveChannel<T extends object>(endpoint: Endpoint, spec: ChannelSpec<T>, impl: T, cx?: Pick<ChannelContext, 'run'>): () => void {
  const calls = new Set<string>(spec.calls);
  const notices = new Set<string>(spec.notices);
  const invoke = (name: string, args: unknown[]): unknown => (impl as Record<string, (...a: unknown[]) => unknown>)[name]!.apply(impl, args);
  const onMessage = (m: unknown) => {
    if (!isWire(m, spec.name)) return;
    if ('notice' in m) {
      if (notices.has(m.notice) && Array.isArray(m.args)) invoke(m.notice, m.args);
      return;
    }
    if (!('call' in m)) return;
    const answer = (reply: Wire) => endpoint.postMessage(reply);
    if (!calls.has(m.call) || !Array.isArray(m.args)) {
      answer({ ch: spec.name, id: m.id, err: { name: 'Error', message: `${spec.name} has no method ${m.call}` } });
      return;
    }
    Promise.resolve()
      .then(() => (cx && m.cx !== undefined ? cx.run(m.cx, () => invoke(m.call, m.args)) : invoke(m.call, m.args)))
      .then(
        (ok) => answer({ ch: spec.name, id: m.id, ok }),
        (err: unknown) => answer({ ch: spec.name, id: m.id, err: toWire(err) }),
      );
  };
  endpoint.on('message', onMessage);
  return () => endpoint.off('message', onMessage);
}

/** The client end of a channel; `fail` rejects every call in progress and every later one. */
export interface ChannelClient<T> {
  readonly remote: Remote<T>;
  fail(err: Error): void;
  /** Calls waiting for an answer. */
  readonly pending: number;
  /** Messages this end has posted (calls and notices) and answers it has taken, since it opened. */
  readonly messages: { readonly posted: number; readonly answered: number };
}

export function openChannel<T extends object>(endpoint: Endpoint | Worker | MessagePort, spec: ChannelSpec<T>, cx?: Pick<ChannelContext, 'capture'>): ChannelClient<T> {
  const ep = endpoint as Endpoint;
  let seq = 0;
  let failed: Error | null = null;
  const waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  const messages = { posted: 0, answered: 0 };
  ep.on('message', (m: unknown) => {
    if (!isWire(m, spec.name) || !('id' in m) || 'call' in m) return;
    const w = waiting.get(m.id);
    if (!w) return;
    waiting.delete(m.id);
    messages.answered++;
    if ('err' in m) w.reject(fromWire(m.err));
    else w.resolve(m.ok);
  });
  const remote: Record<string, (...args: unknown[]) => unknown> = {};
  for (const name of spec.calls) {
    remote[name] = (...args: unknown[]) => {
      if (failed) return Promise.reject(failed);
      const id = ++seq;
      return new Promise((resolve, reject) => {
        waiting.set(id, { resolve, reject });
        const carried = cx?.capture();
        messages.posted++;
        ep.postMessage(carried === undefined ? { ch: spec.name, call: name, id, args } : { ch: spec.name, call: name, id, args, cx: carried });
      });
    };
  }
  for (const name of spec.notices) {
    remote[name] = (...args: unknown[]) => {
      if (failed) return;
      messages.posted++;
      ep.postMessage({ ch: spec.name, notice: name, args });
    };
  }
  return {
    remote: remote as Remote<T>,
    get pending() {
      return waiting.size;
    },
    messages,
    fail(err: Error) {
      if (failed) return;
      failed = err;
      for (const w of waiting.values()) w.reject(err);
      waiting.clear();
    },
  };
}
