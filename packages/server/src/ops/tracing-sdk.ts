/**
 * The OpenTelemetry SDK behind ops/tracing.ts: a tracer provider with a batching OTLP/HTTP
 * exporter, built from Herald's TracingConfig. Loaded (dynamic import) only when tracing is
 * on, so a Herald without tracing never loads the SDK.
 */
import type { TextMapPropagator } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter as OtlpJsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OtlpProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BasicTracerProvider,
  BatchSpanProcessor,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  type Sampler,
} from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import type { TracingConfig } from '../config.js';

export interface TracingSdk {
  provider: BasicTracerProvider;
  propagator: TextMapPropagator;
}

function samplerFor(config: TracingConfig): Sampler {
  const ratio = new TraceIdRatioBasedSampler(config.samplerArg);
  switch (config.sampler) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return ratio;
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: ratio });
  }
}

/**
 * One provider per thread: `thread` names it in the resource (`herald.thread`), so the API's
 * spans and the engine's can be told apart in a trace that crosses both. OTEL_EXPORTER_OTLP_HEADERS,
 * _TIMEOUT and _COMPRESSION are read by the exporter itself, as the specification says.
 */
export function buildTracingSdk(config: TracingConfig, thread: string): TracingSdk {
  const Exporter = config.protocol === 'http/json' ? OtlpJsonExporter : OtlpProtoExporter;
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ ...config.resourceAttributes, [ATTR_SERVICE_NAME]: config.serviceName, 'herald.thread': thread }),
    sampler: samplerFor(config),
    spanProcessors: [new BatchSpanProcessor(new Exporter({ url: config.endpoint }))],
  });
  return { provider, propagator: new W3CTraceContextPropagator() };
}
