// Observability: real `bun verify` processes export spans to a real OTLP/HTTP receiver on
// 127.0.0.1, print JSON log lines, annotate on GitHub Actions only, and write --json=FILE results.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Manifest } from "../verify/digest/index.ts";
import type { LogEvent, ResultFile } from "../verify/telemetry/log.ts";
import { BUN, CLI, CLI_ENV, REPO, copyFixture, readJson, removeTemps, runCli } from "./helpers.ts";
import { type ReceivedSpan, type Receiver, spanTree, startReceiver } from "./observability-otlp.ts";

const TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
const PARENT_SPAN_ID = "00f067aa0ba902b7";
const TRACEPARENT = `00-${TRACE_ID}-${PARENT_SPAN_ID}-01`;
const TWO = ["--target", "linux-x64", "--target", "darwin-arm64"];
const VERSION = readJson<{ version: string }>(path.join(REPO, "package.json")).version;
/** What GitHub Actions sets, minus GITHUB_ACTIONS itself (that one turns annotations on). */
const GITHUB_VCS = { GITHUB_SERVER_URL: "https://github.com", GITHUB_REPOSITORY: "acme/hello", GITHUB_SHA: "0123456789abcdef0123456789abcdef01234567", GITHUB_REF_NAME: "main" };

let app: string;
const receivers: Receiver[] = [];

beforeAll(() => {
  app = copyFixture("hello");
});
afterAll(async () => {
  await Promise.all(receivers.map((r) => r.close()));
  removeTemps();
});

async function receiver(): Promise<Receiver> {
  const r = await startReceiver();
  receivers.push(r);
  return r;
}

const byName = (spans: ReceivedSpan[], name: string) => {
  const found = spans.filter((s) => s.name === name);
  expect(found, `one span named "${name}" in:\n${spanTree(spans)}`).toHaveLength(1);
  return found[0]!;
};
const childrenOf = (spans: ReceivedSpan[], parent: ReceivedSpan) => spans.filter((s) => s.parentSpanId === parent.spanId);
const show = (s: ReceivedSpan) =>
  Object.entries(s.attributes)
    .filter(([k]) => /target$|cache_hit|status$|bytes$|sha256$|verdict|exit_code/.test(k))
    .map(([k, v]) => `${k.replace("bun_parity.", "")}=${typeof v === "string" && v.length > 16 ? `${v.slice(0, 12)}…` : v}`)
    .join(" ");

describe("traces over OTLP/HTTP", () => {
  it("a real build exports one span per command, target and step, nested under TRACEPARENT (protobuf, the default)", async () => {
    const otlp = await receiver();
    const result = await runCli(["build", ...TWO], {
      cwd: app,
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url, TRACEPARENT, OTEL_RESOURCE_ATTRIBUTES: "deployment.environment.name=test,team=release", ...GITHUB_VCS },
    });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).not.toContain("warning");
    expect(otlp.requests.length).toBeGreaterThan(0);
    expect(otlp.requests.every((r) => r.path === "/v1/traces" && r.contentType === "application/x-protobuf")).toBe(true);

    const spans = otlp.spans;
    const tree = spanTree(spans, show);
    mkdirSync(path.join(REPO, "test-results"), { recursive: true });
    writeFileSync(path.join(REPO, "test-results", "observability-build-spans.txt"), `TRACEPARENT=${TRACEPARENT}\n${tree}\n`);
    expect(new Set(spans.map((s) => s.traceId)), tree).toEqual(new Set([TRACE_ID]));

    const root = byName(spans, "bun-parity build");
    expect(root.parentSpanId).toBe(PARENT_SPAN_ID);
    expect(root.attributes).toMatchObject({ "bun_parity.command": "build", "bun_parity.exit_code": 0, "bun_parity.args": TWO });
    expect(root.statusCode).not.toBe(2);
    expect(root.scope).toBe("bun-parity");

    const manifest = readJson<Manifest>(path.join(app, "dist", "manifest.json"));
    for (const id of ["linux-x64", "darwin-arm64"]) {
      const entry = manifest.targets.find((t) => t.id === id)!;
      const target = byName(spans, `build ${id}`);
      expect(target.parentSpanId).toBe(root.spanId);
      expect(target.attributes).toMatchObject({
        "bun_parity.target": id,
        "bun_parity.cache_hit": false,
        "bun_parity.status": "built",
        "bun_parity.bytes": entry.bytes,
        "bun_parity.sha256": entry.sha256,
        "bun_parity.file": entry.file,
      });
      const steps = childrenOf(spans, target);
      const names = steps.map((s) => s.name).sort();
      expect(names, tree).toEqual(id === "darwin-arm64" ? ["cache check", "compile", "hash", "sign", "toolchain fetch"] : ["cache check", "compile", "hash", "toolchain fetch"]);
      const hash = steps.find((s) => s.name === "hash")!;
      expect(hash.attributes).toMatchObject({ "bun_parity.bytes": entry.bytes, "bun_parity.sha256": entry.sha256 });
      expect(steps.find((s) => s.name === "toolchain fetch")!.attributes["bun_parity.runtime.sha256"]).toBe(entry.runtime.sha256);
      expect(steps.find((s) => s.name === "compile")!.attributes["bun_parity.exit_code"]).toBe(0);
      for (const step of steps) expect(step.endNs).toBeGreaterThanOrEqual(step.startNs);
    }

    const resource = root.resource;
    expect(resource).toMatchObject({
      "service.name": "bun-parity",
      "service.version": VERSION,
      "deployment.environment.name": "test",
      team: "release",
      "vcs.repository.url.full": "https://github.com/acme/hello",
      "vcs.ref.head.revision": GITHUB_VCS.GITHUB_SHA,
      "vcs.ref.head.name": "main",
      "process.runtime.name": "bun",
    });
  });

  it("a rebuild with nothing changed exports cache hits (a target span with its cache check only)", async () => {
    const otlp = await receiver();
    const result = await runCli(["build", ...TWO], { cwd: app, env: { OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url, TRACEPARENT } });
    expect(result.exitCode, result.stderr).toBe(0);
    const spans = otlp.spans;
    for (const id of ["linux-x64", "darwin-arm64"]) {
      const target = byName(spans, `build ${id}`);
      expect(target.attributes).toMatchObject({ "bun_parity.cache_hit": true, "bun_parity.status": "reused" });
      expect(childrenOf(spans, target).map((s) => s.name)).toEqual(["cache check"]);
    }
  });

  it("sends OTLP/JSON when asked, honours OTEL_SERVICE_NAME, and records the CI run on GitHub Actions", async () => {
    const otlp = await receiver();
    const result = await runCli(["plan", "--target", "linux-x64"], {
      cwd: app,
      env: {
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${otlp.url}/v1/traces`,
        OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
        OTEL_SERVICE_NAME: "release-pipeline",
        GITHUB_ACTIONS: "true",
        GITHUB_WORKFLOW: "ci",
        GITHUB_RUN_ID: "4242",
        GITHUB_RUN_ATTEMPT: "2",
        GITHUB_JOB: "validate",
        ...GITHUB_VCS,
      },
    });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(otlp.requests.map((r) => r.contentType)).toEqual(["application/json"]);
    const root = byName(otlp.spans, "bun-parity plan");
    expect(root.parentSpanId).toBe("");
    expect(root.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(root.traceId).not.toBe(TRACE_ID);
    expect(root.resource).toMatchObject({
      "service.name": "release-pipeline",
      "service.version": VERSION,
      "cicd.pipeline.name": "ci",
      "cicd.pipeline.run.id": "4242",
      "cicd.pipeline.run.url.full": "https://github.com/acme/hello/actions/runs/4242/attempts/2",
      "cicd.pipeline.task.name": "validate",
    });
  });

  it("a failing command's span has status ERROR and its exit code", async () => {
    const otlp = await receiver();
    const result = await runCli(["plan", "--target", "no-such-target"], { cwd: app, env: { OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url, TRACEPARENT } });
    expect(result.exitCode).toBe(2);
    const root = byName(otlp.spans, "bun-parity plan");
    expect(root.statusCode).toBe(2);
    expect(root.statusMessage).toBe("plan exited with 2");
    expect(root.attributes["bun_parity.exit_code"]).toBe(2);
  });

  // How long the export may take is measured in bench/telemetry.ts, not asserted here.
  it("an unreachable endpoint, or one that never answers, costs one warning, never the command's result", async () => {
    const closed = await startReceiver();
    await closed.close();
    const refused = await runCli(["plan", "--target", "linux-x64"], { cwd: app, env: { OTEL_EXPORTER_OTLP_ENDPOINT: closed.url, OTEL_EXPORTER_OTLP_TIMEOUT: "2000" } });
    expect(refused.exitCode).toBe(0);
    expect(refused.stderr.match(/warning: could not export traces to http:\/\/127\.0\.0\.1:\d+\/v1\/traces/g)).toHaveLength(1);
    // A server that accepts the connection and never replies: only the export timeout ends it.
    const silent = createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    try {
      const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
      const held = await runCli(["plan", "--target", "linux-x64"], { cwd: app, env: { OTEL_EXPORTER_OTLP_ENDPOINT: url, OTEL_EXPORTER_OTLP_TIMEOUT: "500" } });
      expect(held.exitCode).toBe(0);
      expect(held.stdout).toContain("linux-x64");
      expect(held.stderr.match(/warning: could not export traces to http:\/\/127\.0\.0\.1:\d+\/v1\/traces/g)).toHaveLength(1);
    } finally {
      silent.closeAllConnections();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  it("loads no OpenTelemetry module without an endpoint, and loads them with one", async () => {
    // Bun lists every module it has loaded (ESM included) in require.cache.
    const script = `
      const { main } = await import(${JSON.stringify(CLI)});
      const sink = { write: () => true };
      const env = { ...process.env };
      const code = await main(["plan", "--json"], { stdout: sink, stderr: sink, cwd: process.cwd(), env });
      const loaded = Object.keys(require.cache);
      console.log(JSON.stringify({ code, total: loaded.length, otel: loaded.filter((k) => k.includes("@opentelemetry")).length }));`;
    const run = async (env: Record<string, string>) => {
      const r = await execa(BUN, ["-e", script], { cwd: app, env: { ...process.env, ...CLI_ENV, OTEL_EXPORTER_OTLP_ENDPOINT: "", OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "", ...env }, reject: false });
      expect(r.exitCode, r.stderr).toBe(0);
      return JSON.parse(r.stdout.trim().split("\n").at(-1)!) as { code: number; total: number; otel: number };
    };
    const without = await run({});
    expect(without.code).toBe(0);
    expect(without.total).toBeGreaterThan(10);
    expect(without.otel).toBe(0);
    const otlp = await receiver();
    const withEndpoint = await run({ OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url });
    expect(withEndpoint.code).toBe(0);
    expect(withEndpoint.otel).toBeGreaterThan(10);
    expect(otlp.spans.map((s) => s.name)).toEqual(["bun-parity plan"]);
  });
});

function jsonLines(stdout: string): LogEvent[] {
  const lines = stdout.split("\n").filter((l) => l.length > 0);
  expect(lines.length).toBeGreaterThan(0);
  return lines.map((line) => {
    let event: LogEvent;
    try {
      event = JSON.parse(line) as LogEvent;
    } catch {
      throw new Error(`not a JSON line: ${line}`);
    }
    expect(Object.keys(event).slice(0, 3)).toEqual(["time", "level", "event"]);
    expect(new Date(event.time).toISOString()).toBe(event.time);
    expect(["debug", "info", "warn", "error"]).toContain(event.level);
    expect(typeof event.fields).toBe("object");
    return event;
  });
}

describe("structured logs", () => {
  it("--log-format json prints one JSON event per line (time, level, event, target, fields) instead of the human output", async () => {
    const result = await runCli(["build", ...TWO, "--log-format", "json"], { cwd: app });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).toBe("");
    const events = jsonLines(result.stdout);
    expect(events[0]).toMatchObject({ level: "info", event: "command.start", fields: { command: "build", version: VERSION } });
    expect(events.at(-1)).toMatchObject({ level: "info", event: "command.end", fields: { command: "build", exitCode: 0 } });
    const manifest = readJson<Manifest>(path.join(app, "dist", "manifest.json"));
    for (const id of ["linux-x64", "darwin-arm64"]) {
      const entry = manifest.targets.find((t) => t.id === id)!;
      const reused = events.find((e) => e.event === "build.target.reused" && e.target === id);
      expect(reused?.fields).toMatchObject({ cacheHit: true, bytes: entry.bytes, sha256: entry.sha256, file: entry.file });
    }
    const done = events.find((e) => e.event === "build.done")!;
    expect(done.fields).toMatchObject({ targets: 2, reused: 2, failed: 0 });
    const resultEvent = events.find((e) => e.event === "result")!;
    expect((resultEvent.fields.result as { outcomes: { id: string; status: string }[] }).outcomes.map((o) => o.status)).toEqual(["reused", "reused"]);
    expect(result.stdout).not.toContain("::");
  });

  it("BUN_PARITY_LOG=json does the same; --log-format text wins over it", async () => {
    const json = await runCli(["plan", "--target", "linux-x64"], { cwd: app, env: { BUN_PARITY_LOG: "json" } });
    expect(json.exitCode).toBe(0);
    expect(jsonLines(json.stdout).map((e) => e.event)).toEqual(["command.start", "result", "command.end"]);
    const text = await runCli(["plan", "--target", "linux-x64", "--log-format=text"], { cwd: app, env: { BUN_PARITY_LOG: "json" } });
    expect(text.stdout).toContain("Plan for hello");
    const bad = await runCli(["plan", "--log-format", "yaml"], { cwd: app });
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain('unknown log format "yaml"');
  });

  it("a failed target is an error event, and an annotation only on GitHub Actions", async () => {
    const config = path.join(app, "targets.json");
    const original = readFileSync(config, "utf8");
    // A size budget of 1000 bytes: the build compiles linux-x64, then fails it for its size.
    writeFileSync(config, original.replace('{ "id": "linux-x64", "os": "linux", "arch": "x64" }', '{ "id": "linux-x64", "os": "linux", "arch": "x64", "maxBytes": 1000 }'));
    try {
      const plain = await runCli(["build", "--target", "linux-x64", "--log-format", "json"], { cwd: app });
      expect(plain.exitCode).toBe(1);
      const events = jsonLines(plain.stdout);
      const failed = events.find((e) => e.event === "build.target.failed")!;
      expect(failed).toMatchObject({ level: "error", target: "linux-x64" });
      expect(String(failed.fields.message)).toMatch(/^hello-linux-x64 is \d+ bytes, over its budget of 1000 bytes/);
      expect(events.find((e) => e.event === "command.failed")?.fields.message).toBe("1 of 1 targets failed: linux-x64");
      expect(plain.stdout + plain.stderr).not.toContain("::error");

      const github = await runCli(["build", "--target", "linux-x64", "--log-format", "json"], { cwd: app, env: { GITHUB_ACTIONS: "true" } });
      expect(github.exitCode).toBe(1);
      jsonLines(github.stdout); // stdout stays pure JSON lines; annotations go to stderr (the runner reads both)
      expect(github.stderr).toMatch(/^::error title=build linux-x64 failed::hello-linux-x64 is \d+ bytes, over its budget of 1000 bytes/m);
      expect(github.stderr).toContain("::error title=bun-parity command.failed::1 of 1 targets failed: linux-x64");

      const text = await runCli(["build", "--target", "linux-x64"], { cwd: app, env: { GITHUB_ACTIONS: "true" } });
      expect(text.exitCode).toBe(1);
      expect(text.stdout).toMatch(/^::error title=build linux-x64 failed::hello-linux-x64 is \d+ bytes, over its budget/m);
      expect(text.stderr).toContain("failed: 1 of 1 targets failed: linux-x64");
    } finally {
      writeFileSync(config, original);
    }
  });
});

describe("--json=FILE", () => {
  it("writes the command's result (command, tool version, time, result) while the human output still prints", async () => {
    const file = path.join(app, "results", "build.json");
    const before = Date.now();
    const result = await runCli(["build", ...TWO, "--json=results/build.json"], { cwd: app });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toContain("sha256sum -c SHA256SUMS");
    const written = readJson<ResultFile>(file);
    expect(written).toMatchObject({ schemaVersion: 1, kind: "bun-parity-result", command: "build", args: TWO, tool: { name: "bun-parity", version: VERSION }, exitCode: 0 });
    expect(Date.parse(written.time)).toBeGreaterThanOrEqual(before - 1000);
    const build = written.result.build as { outcomes: { id: string; status: string; entry: { bytes: number } }[] };
    expect(build.outcomes.map((o) => o.id)).toEqual(["linux-x64", "darwin-arm64"]);
    expect(build.outcomes[0]!.entry.bytes).toBeGreaterThan(1_000_000);

    // Bare --json keeps printing the JSON result to stdout, as before.
    const bare = await runCli(["build", ...TWO, "--json"], { cwd: app });
    expect(JSON.parse(bare.stdout).outcomes).toHaveLength(2);

    const missing = await runCli(["build", "--json="], { cwd: app });
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toContain("--json=FILE needs a value");
  });
});
