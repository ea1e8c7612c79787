// Build progress: on a terminal, one live line per target, redrawn in
// place; in CI or when piped, one plain line per event.
import type { BuildEvent } from "../build/index.ts";
import { formatBytes, formatDuration } from "./table.ts";

export interface ProgressSink {
  write(text: string): unknown;
  isTTY?: boolean;
}

export function isLiveTerminal(stream: ProgressSink, env = process.env): boolean {
  return Boolean(stream.isTTY) && !env.CI && env.TERM !== "dumb";
}

export function describeEvent(event: BuildEvent): string {
  switch (event.type) {
    case "queued":
      return "queued";
    case "reused":
      return `reused (unchanged inputs, ${formatBytes(event.entry.bytes)})`;
    case "runtime":
      return event.fetching ? "fetching runtime" : "checking runtime";
    case "compiling":
      return "compiling";
    case "post-processing":
      return event.step;
    case "hashing":
      return "hashing";
    case "done":
      return `done ${formatBytes(event.entry.bytes)} in ${formatDuration(event.entry.durationMs)} sha256:${event.entry.sha256.slice(0, 12)}`;
    case "failed":
      return `FAILED: ${event.error.split("\n")[0]}`;
  }
}

/** Returns the event handler and a function to call when the build is over. */
export function buildProgress(stream: ProgressSink, live: boolean): { onEvent: (e: BuildEvent) => void; finish: () => void } {
  if (!live) {
    return {
      onEvent: (e) => {
        if (e.type !== "queued") stream.write(`${e.target}: ${describeEvent(e)}\n`);
      },
      finish: () => {},
    };
  }
  const order: string[] = [];
  const lines = new Map<string, string>();
  const started = new Map<string, number>();
  let drawn = 0;
  const width = () => Math.max(...order.map((id) => id.length));
  const draw = () => {
    let out = drawn > 0 ? `\x1b[${drawn}A` : "";
    for (const id of order) {
      const since = started.get(id);
      const status = lines.get(id)!;
      const clock = since !== undefined && !/^(done|reused|FAILED)/.test(status) ? ` ${formatDuration(performance.now() - since)}` : "";
      out += `\x1b[2K  ${id.padEnd(width())}  ${status}${clock}\n`;
    }
    drawn = order.length;
    stream.write(out);
  };
  const timer = setInterval(draw, 250);
  timer.unref?.();
  return {
    onEvent: (e) => {
      if (!lines.has(e.target)) order.push(e.target);
      if (e.type === "runtime" && !started.has(e.target)) started.set(e.target, performance.now());
      lines.set(e.target, describeEvent(e));
      draw();
    },
    finish: () => {
      clearInterval(timer);
      if (order.length > 0) draw();
    },
  };
}
