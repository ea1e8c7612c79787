// The span types shared by traces.ts (what instrumented code calls) and otel.ts (the
// OpenTelemetry SDK behind it, loaded only when an endpoint is set).

export type AttributeValue = string | number | boolean | string[];
/** Undefined values are dropped, so callers can pass optional facts as they are. */
export type Attributes = Record<string, AttributeValue | undefined>;

/** What instrumented code can do with the span it runs in. */
export interface Span {
  setAttributes(attributes: Attributes): void;
  /** Marks the span failed (status ERROR) with a one-line reason; an Error is also recorded as an exception event. */
  fail(reason: unknown): void;
}

/** A live span of the loaded SDK (see otel.ts). */
export interface TracingSpan extends Span {
  end(): void;
  /** W3C trace context of this span, for a child process: TRACEPARENT (and TRACESTATE). */
  carrier(): Record<string, string>;
  readonly traceId: string;
  readonly spanId: string;
}

export interface Tracing {
  /** parent undefined: the root span, under the TRACEPARENT of the environment when there is one. */
  startSpan(name: string, attributes: Attributes, parent: TracingSpan | undefined): TracingSpan;
  /** Exports what is still buffered; resolves within the exporter's timeout. */
  shutdown(): Promise<void>;
}

export interface TracesConfig {
  /** Full URL spans are POSTed to (…/v1/traces). */
  url: string;
  protocol: "http/protobuf" | "http/json";
}

export interface StartOptions {
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** One line per problem (bad endpoint, export failures); the CLI prints them as warnings. */
  warn: (message: string) => void;
}
