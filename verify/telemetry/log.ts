// Structured output: log events, one JSON object per line with
// `--log-format json` (or BUN_PARITY_LOG=json), GitHub annotations for errors and warnings, and
// the result sections a command records for `--json=FILE` and `bun verify report`.
import type { Io } from "../io.ts";
import { annotate } from "./annotations.ts";
import { traceIds } from "./traces.ts";

export type LogFormat = "text" | "json";
export type Level = "debug" | "info" | "warn" | "error";

/** One line of `--log-format json` output. */
export interface LogEvent {
  time: string;
  level: Level;
  /** Dotted name: command.start, build.target.done, smoke.case, ... */
  event: string;
  target?: string;
  trace_id?: string;
  span_id?: string;
  fields: Record<string, unknown>;
}

export interface EventOptions {
  /** false: never an annotation (the command already annotates the same thing). */
  annotate?: boolean;
  /** Annotation title; default: the event name and target. */
  title?: string;
}

interface LogState {
  format: LogFormat;
  /** Where JSON lines go: the process's stdout. */
  out: Io["stdout"];
  /** Where annotations go: stdout in text mode, stderr in JSON mode (stdout stays pure JSON lines). */
  annotations: Io;
}

let state: LogState | undefined;

/** Set up by the CLI once per command, with the process's own streams. */
export function configureLog(format: LogFormat, io: Io): void {
  state = {
    format,
    out: io.stdout,
    annotations: format === "json" ? { ...io, stdout: io.stderr } : io,
  };
}

export function logFormat(): LogFormat {
  return state?.format ?? "text";
}

/**
 * Records one event: a JSON line in JSON mode (nothing in text mode, where the commands print
 * their human output), and on GitHub Actions an annotation for errors and warnings.
 */
export function logEvent(level: Level, event: string, fields: Record<string, unknown> = {}, options: EventOptions = {}): void {
  if (!state) return;
  const { target, ...rest } = fields;
  if (state.format === "json") {
    const line: Partial<LogEvent> = { time: new Date().toISOString(), level, event };
    if (typeof target === "string" && target) line.target = target;
    Object.assign(line, traceIds());
    line.fields = rest;
    state.out.write(JSON.stringify(line, jsonSafe) + "\n");
  }
  if ((level === "error" || level === "warn") && options.annotate !== false) {
    const message = String(rest.message ?? rest.error ?? rest.reason ?? event);
    const title = options.title ?? `bun-parity ${event}${typeof target === "string" && target ? ` (${target})` : ""}`;
    annotate(state.annotations, level === "warn" ? "warning" : "error", title, message);
  }
}

function jsonSafe(_key: string, value: unknown): unknown {
  if (typeof value === "bigint") return value.toString();
  if (value instanceof Error) return { name: value.name, message: value.message };
  if (value instanceof Uint8Array) return `<${value.length} bytes>`;
  return value;
}

// ---------------------------------------------------------------------------------------------
// JSON mode: what the commands write is turned into events.

export interface JsonModeStreams {
  stdout: Io["stdout"];
  stderr: Io["stderr"];
  /** What the command wrote to stdout (its --json result), workflow commands excepted. */
  captured(): string;
}

/**
 * In JSON mode the CLI runs each command with --json, so its stdout is its JSON result: captured
 * here (and logged as one `result` event). Workflow commands (`::error ...`) still reach GitHub,
 * through stderr. Every line the command writes to stderr becomes a `message` event, or an
 * `error` / `warning` event with the `fix:` line that follows it.
 */
export function jsonModeStreams(real: Io): JsonModeStreams {
  let out = "";
  return {
    stdout: {
      write(text: string) {
        if (text.startsWith("::")) real.stderr.write(text);
        else out += text;
        return true;
      },
    },
    stderr: {
      write(text: string) {
        for (const event of messageEvents(String(text))) logEvent(event.level, event.event, event.fields);
        return true;
      },
    },
    captured: () => out,
  };
}

/** Lines of human stderr text as events (pure). */
export function messageEvents(text: string): { level: Level; event: string; fields: Record<string, unknown> }[] {
  const events: { level: Level; event: string; fields: Record<string, unknown> }[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.trimEnd();
    if (!line.trim()) continue;
    const fix = /^fix: (.*)$/.exec(line);
    const last = events.at(-1);
    if (fix && last && last.level !== "info") {
      last.fields.fix = fix[1];
      continue;
    }
    const error = /^(error|failed|internal error): (.*)$/.exec(line);
    const warning = /^warning: (.*)$/.exec(line);
    if (error) events.push({ level: "error", event: error[1] === "failed" ? "command.failed" : "error", fields: { message: error[2] } });
    else if (warning) events.push({ level: "warn", event: "warning", fields: { message: warning[1] } });
    else events.push({ level: "info", event: "message", fields: { text: line } });
  }
  return events;
}

// ---------------------------------------------------------------------------------------------
// Result sections: what --json=FILE writes and `bun verify report` merges.

const results = new Map<string, unknown>();

/**
 * Records a section of this command's result (build, inspect, smoke, parity, explain, manifest,
 * security, targets). Called where the facts are computed, so every command that computes them
 * writes them with --json=FILE, without code of its own.
 */
export function recordResult(section: string, value: unknown): void {
  results.set(section, value);
}

export function recordedResults(): Record<string, unknown> {
  return Object.fromEntries([...results].sort(([a], [b]) => a.localeCompare(b)));
}

export function resetResults(): void {
  results.clear();
}

/** What `--json=FILE` writes: the command, the tool, when, and the result sections. */
export interface ResultFile {
  schemaVersion: 1;
  kind: "bun-parity-result";
  command: string;
  args: string[];
  tool: { name: string; version: string };
  /** When the command started (ISO 8601, UTC). */
  time: string;
  durationMs: number;
  exitCode: number;
  host: { os: string; arch: string };
  result: Record<string, unknown>;
}
