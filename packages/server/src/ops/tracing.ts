/**
 * Herald's tracing switch, one per thread. Off (the default) it is a null: every helper of
 * ops/trace-spans.ts calls straight through, the SDK is never loaded, no context is captured,
 * nothing crosses the engine channel. On (`HERALD_TRACING=otlp`), startTracing builds this
 * thread's provider (ops/tracing-sdk.ts) and an AsyncLocalStorage context manager, so a span
 * started around an await is the parent of what that await does.
 *
 * The tracer is kept here rather than registered as the API's global provider: a global can
 * be set once per thread, and tests start and stop several Heralds in one process.
 */
import {
  context,
  defaultTextMapGetter,
  defaultTextMapSetter,
  ROOT_CONTEXT,
  trace,
  type Context,
  type SpanContext,
  type TextMapPropagator,
  type Tracer,
} from '@opentelemetry/api';
import type { TracingConfig } from '../config.js';

interface ActiveTracing {
  tracer: Tracer;
  propagator: TextMapPropagator;
  forwardTraceparent: boolean;
}

let active: ActiveTracing | null = null;

export interface TracingHandle {
  /** Exports what is still buffered, then turns tracing off on this thread. */
  stop(): Promise<void>;
}

const OFF: TracingHandle = { stop: () => Promise.resolve() };

/** Turns tracing on for this thread when the configuration asks for it; `thread` names the thread in the resource. */
export async function startTracing(config: TracingConfig, thread: string): Promise<TracingHandle> {
  if (config.exporter === 'none') return OFF;
  const [{ buildTracingSdk }, { AsyncLocalStorageContextManager }] = await Promise.all([
    import('./tracing-sdk.js'),
    import('@opentelemetry/context-async-hooks'),
  ]);
  const sdk = buildTracingSdk(config, thread);
  // Answers false when this thread already has one (another Herald in the same process): it serves both.
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  const mine: ActiveTracing = { tracer: sdk.provider.getTracer('herald'), propagator: sdk.propagator, forwardTraceparent: config.forwardTraceparent };
  active = mine;
  let stopping: Promise<void> | null = null;
  return {
    stop() {
      stopping ??= (async () => {
        if (active === mine) {
          active = null;
          context.disable();
        }
        await sdk.provider.shutdown();
      })();
      return stopping;
    },
  };
}

/** This thread's tracer, or null when tracing is off. */
export function activeTracer(): Tracer | null {
  return active?.tracer ?? null;
}

/** The span context of the current span, when tracing is on and there is one. */
export function currentSpanContext(): SpanContext | undefined {
  return active ? trace.getSpanContext(context.active()) : undefined;
}

/** The context an incoming request continues: its W3C `traceparent`/`tracestate`, else a new trace. */
export function contextFromHeaders(headers: Record<string, string | string[] | undefined>): Context {
  if (!active) return ROOT_CONTEXT;
  return active.propagator.extract(ROOT_CONTEXT, headers, defaultTextMapGetter);
}

/**
 * Adds the current span's `traceparent` (and `tracestate`) to an outgoing delivery's headers,
 * when HERALD_TRACING_TRACEPARENT is on. Signers never see headers (only the id, the timestamp
 * and the body), so the signed bytes stay the same.
 */
export function forwardTraceparent(headers: Record<string, string>): void {
  if (active?.forwardTraceparent) active.propagator.inject(context.active(), headers, defaultTextMapSetter);
}

/**
 * The engine channel's context hook (engine/channel.ts): the caller's span context travels
 * with each call as W3C trace-context headers and is restored around the call on the other
 * thread, so the engine's spans continue the API's trace.
 */
export const traceChannelContext = {
  capture(): unknown {
    if (!active) return undefined;
    const carrier: Record<string, string> = {};
    active.propagator.inject(context.active(), carrier, defaultTextMapSetter);
    return carrier.traceparent === undefined ? undefined : carrier;
  },
  run<R>(carried: unknown, fn: () => R): R {
    if (!active || typeof carried !== 'object' || carried === null) return fn();
    return context.with(active.propagator.extract(ROOT_CONTEXT, carried, defaultTextMapGetter), fn);
  },
};
