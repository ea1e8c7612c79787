// telemetry/: what a run tells the outside while it works: structured log events (one JSON
// object per line with --log-format json), the result sections --json=FILE writes, GitHub
// annotations, and OpenTelemetry traces (the SDK loads only when an endpoint is set).
// Used by every stage that does work; depends on nothing but io.ts and version.ts.

export { annotate } from "./annotations.ts";
export { configureLog, jsonModeStreams, logEvent, type LogFormat, recordedResults, recordResult, resetResults, type ResultFile } from "./log.ts";
export type { Attributes } from "./span.ts";
export { currentSpan, openSpan, type OpenSpan, startTelemetry, stopTelemetry, traceEnv, withSpan } from "./traces.ts";
