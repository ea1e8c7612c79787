// Traces: spans per command, per target and per step, exported over OTLP/HTTP
// when OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is set. Without an
// endpoint this module is all there is: withSpan() just runs its function, and the OpenTelemetry
// packages (./otel.ts) are never loaded.
import { AsyncLocalStorage } from "node:async_hooks";
import type { Attributes, Span, StartOptions, TracesConfig, Tracing, TracingSpan } from "./span.ts";

const NOOP: Span = { setAttributes: () => {}, fail: () => {} };

let tracing: Tracing | undefined;
const current = new AsyncLocalStorage<TracingSpan>();

/**
 * Where traces go, from the standard OTel variables: OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as is, else
 * OTEL_EXPORTER_OTLP_ENDPOINT + /v1/traces. Undefined when none is set or tracing is switched off
 * (OTEL_SDK_DISABLED=true, OTEL_TRACES_EXPORTER=none). A string is a reason it cannot be used.
 */
export function tracesConfig(env: NodeJS.ProcessEnv): TracesConfig | string | undefined {
  const signal = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim();
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
  if (!signal && !base) return undefined;
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === "true") return undefined;
  if (env.OTEL_TRACES_EXPORTER?.split(",").map((s) => s.trim()).includes("none")) return undefined;
  const url = signal || `${base!.replace(/\/+$/, "")}/v1/traces`;
  if (!/^https?:\/\//i.test(url)) return `traces not exported: ${url} is not an http(s) URL (OTEL_EXPORTER_OTLP_ENDPOINT)`;
  const protocol = (env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL || env.OTEL_EXPORTER_OTLP_PROTOCOL || "http/protobuf").trim();
  if (protocol !== "http/protobuf" && protocol !== "http/json") {
    return `traces not exported: OTLP protocol "${protocol}" is not supported (bun-parity sends http/protobuf or http/json; set OTEL_EXPORTER_OTLP_PROTOCOL and use the collector's HTTP port, usually 4318)`;
  }
  return { url, protocol };
}

/**
 * Loads the SDK and starts exporting when an endpoint is configured; returns whether it did.
 * Called once per process, by the CLI before it runs a command.
 */
export async function startTelemetry(options: StartOptions): Promise<boolean> {
  const config = tracesConfig(options.env);
  if (config === undefined) return false;
  if (typeof config === "string") {
    options.warn(config);
    return false;
  }
  const { createTracing } = await import("./otel.ts");
  tracing = await createTracing(config, options);
  return true;
}

export async function stopTelemetry(): Promise<void> {
  const t = tracing;
  tracing = undefined;
  await t?.shutdown();
}

export function telemetryEnabled(): boolean {
  return tracing !== undefined;
}

/** A handle on the span code runs in, to parent spans started later from elsewhere (worker pools). */
export type SpanRef = TracingSpan | undefined;

export function currentSpan(): SpanRef {
  return tracing ? current.getStore() : undefined;
}

/**
 * Runs fn in a new span, a child of the span it is called in (or of `parent`). The span ends when
 * fn settles; a throw marks it failed. Without telemetry, fn simply runs.
 */
export async function withSpan<T>(name: string, attributes: Attributes, fn: (span: Span) => Promise<T> | T, parent?: SpanRef): Promise<T> {
  if (!tracing) return fn(NOOP);
  const span = tracing.startSpan(name, attributes, parent ?? current.getStore());
  try {
    return await current.run(span, () => fn(span));
  } catch (error) {
    span.fail(error);
    throw error;
  } finally {
    span.end();
  }
}

/** A span started here and ended later, elsewhere: one per target across the phases of a build. */
export interface OpenSpan extends Span {
  readonly ref: SpanRef;
  /** Runs fn with this span as the current one (spans fn starts are its children). */
  run<T>(fn: () => Promise<T> | T): Promise<T>;
  /** Ends the span; later calls do nothing. */
  end(): void;
}

const NOOP_OPEN: OpenSpan = { ...NOOP, ref: undefined, run: async (fn) => fn(), end: () => {} };

export function openSpan(name: string, attributes: Attributes, parent?: SpanRef): OpenSpan {
  if (!tracing) return NOOP_OPEN;
  const span = tracing.startSpan(name, attributes, parent ?? current.getStore());
  let ended = false;
  return {
    ref: span,
    setAttributes: (a) => span.setAttributes(a),
    fail: (reason) => span.fail(reason),
    run: async (fn) => current.run(span, fn),
    end() {
      if (!ended) span.end();
      ended = true;
    },
  };
}

/** Adds attributes to the span code runs in (nothing without telemetry). */
export function annotateSpan(attributes: Attributes): void {
  currentSpan()?.setAttributes(attributes);
}

/**
 * The environment a child process needs to nest its spans under the current span: TRACEPARENT
 * (and TRACESTATE). Empty without telemetry. Compilers never get it (their environment is the plan's).
 */
export function traceEnv(): Record<string, string> {
  return currentSpan()?.carrier() ?? {};
}

/** trace_id / span_id of the current span, for log lines (empty without telemetry). */
export function traceIds(): { trace_id?: string; span_id?: string } {
  const span = currentSpan();
  return span ? { trace_id: span.traceId, span_id: span.spanId } : {};
}
