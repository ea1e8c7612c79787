// The pure parts of observability: merging result files (across CI runners), budgets, security findings,
// comparisons, the HTML page's escaping, stderr lines as log events, and the OTel endpoint rules.
import { writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { ResultFile } from "../verify/telemetry/index.ts";
import { messageEvents } from "../verify/telemetry/log.ts";
import { reportHtml, formatBytes } from "../verify/report/index.ts";
import { compareReports, mergeResults } from "../verify/report/merge.ts";
import type { LoadedResult } from "../verify/report/merged-report.ts";
import { reportMarkdown, reportText, signedDelta } from "../verify/report/report-text.ts";
import { tracesConfig } from "../verify/telemetry/traces.ts";
import { removeTemps, runCli, tempDir } from "./helpers.ts";

afterAll(removeTemps);

const SHA = (c: string) => c.repeat(64);

function result(command: string, time: string, sections: Record<string, unknown>, host = "linux-x64"): LoadedResult {
  const [os, arch] = host.split("-") as [string, string];
  const data: ResultFile = {
    schemaVersion: 1, kind: "bun-parity-result", command, args: [], tool: { name: "bun-parity", version: "0.1.0" }, time, durationMs: 1, exitCode: 0, host: { os, arch }, result: sections,
  };
  return { file: `results/${command}-${host}.json`, data };
}

function entry(id: string, bytes: number, sha: string, durationMs = 1000) {
  const [os, arch] = id.split("-");
  return { id, os, arch, libc: "glibc", bunTarget: `bun-${id}`, file: `app-${id}`, bytes, sha256: sha, inputDigest: "sha256:x", runtime: { package: "p", version: "1", sha256: SHA("0") }, packages: [], durationMs };
}

const smokeCase = (target: string, c: string, status: "pass" | "fail" | "not-run", reason: string) => ({ target, case: c, status, reason, how: status === "pass" ? "native" : undefined });

describe("mergeResults", () => {
  const build = result("build", "2026-01-01T00:00:00.000Z", {
    build: {
      outcomes: [
        { id: "linux-x64", status: "built", entry: entry("linux-x64", 2000, SHA("a")) },
        { id: "darwin-arm64", status: "reused", entry: entry("darwin-arm64", 900, SHA("b")) },
        { id: "windows-x64", status: "failed", error: "bun build exited with 1:\nerror: Could not resolve: \"left-pad\"\n    at index.ts:1:20" },
      ],
      budgets: { "linux-x64": 1000, "darwin-arm64": 1000 },
    },
  });
  const linuxSmoke = result("smoke", "2026-01-01T00:01:00.000Z", {
    smoke: { host: "linux-x64", results: [smokeCase("linux-x64", "version", "pass", "native"), smokeCase("darwin-arm64", "version", "not-run", "not run here: needs macos-15 (this host is linux-x64)")] },
  });
  const macSmoke = result("smoke", "2026-01-01T00:02:00.000Z", {
    smoke: { host: "darwin-arm64", results: [smokeCase("linux-x64", "version", "not-run", "not run here: needs ubuntu-24.04"), smokeCase("darwin-arm64", "version", "pass", "native")] },
  }, "darwin-arm64");

  it("takes the most telling verdict across runners: a pass beats not-run, a failure beats everything", () => {
    const merged = mergeResults([macSmoke, build, linuxSmoke]);
    const cell = (id: string) => merged.targets.find((t) => t.id === id)!.cells.smoke;
    expect(cell("linux-x64").status).toBe("pass");
    expect(cell("darwin-arm64").status).toBe("pass");
    const failing = result("smoke", "2026-01-01T00:03:00.000Z", { smoke: { results: [smokeCase("darwin-arm64", "version", "fail", "exit code 3, expected 0")] } }, "darwin-arm64");
    const again = mergeResults([build, linuxSmoke, macSmoke, failing]);
    expect(again.targets.find((t) => t.id === "darwin-arm64")!.cells.smoke).toMatchObject({ status: "fail", reasons: ["version: exit code 3, expected 0"] });
    expect(merged.sources.map((s) => s.command)).toEqual(["build", "smoke", "smoke"]); // by time
  });

  it("fails a size budget, keeps the compiler's reason for a failed build, and says why a cell did not run", () => {
    const merged = mergeResults([build, linuxSmoke]);
    const linux = merged.targets.find((t) => t.id === "linux-x64")!;
    expect(linux.cells.built).toMatchObject({ status: "fail", summary: "2.0 KiB is over the budget of 1000 B (targets.json maxBytes) by 1000 bytes" });
    expect(merged.budgetsExceeded).toEqual([{ id: "linux-x64", bytes: 2000, maxBytes: 1000 }]);
    const windows = merged.targets.find((t) => t.id === "windows-x64")!;
    expect(windows.cells.built).toMatchObject({ status: "fail", summary: "bun build exited with 1:" });
    expect(windows.cells.built.reasons).toContain('error: Could not resolve: "left-pad"');
    expect(windows.cells.hashed.status).toBe("not-run");
    const darwin = merged.targets.find((t) => t.id === "darwin-arm64")!;
    expect(darwin).toMatchObject({ bytes: 900, maxBytes: 1000, cacheHit: true });
    expect(darwin.cells.smoke).toMatchObject({ status: "not-run", summary: "not run here: needs macos-15 (this host is linux-x64)" });
    expect(darwin.cells.parity.status).toBe("no-data");
    expect(merged.passed).toBe(false);
    expect(reportText(merged)).toContain("darwin-arm64 smoke: not run: not run here: needs macos-15");
    expect(reportMarkdown(merged)).toContain("| linux-x64 | ❌ FAIL |");
  });

  it("maps security findings to the artifact they were found in, and project-wide ones to every target", () => {
    const security = (findings: { severity: "error" | "warning"; message: string; artifact?: string; file?: string }[], leaksStatus: "passed" | "failed" | "not-run" = "passed") =>
      result("security", "2026-01-01T00:04:00.000Z", {
        security: {
          checks: [
            { id: "secrets", title: "secrets in sources", status: "passed", summary: "", findings: findings.filter((f) => !f.artifact) },
            { id: "artifact-leaks", title: "secrets and leaks in artifacts", status: leaksStatus, summary: leaksStatus === "not-run" ? "no artifacts: run bun verify build" : "", findings: findings.filter((f) => f.artifact) },
          ],
        },
      });
    const leak = mergeResults([build, security([{ severity: "error", message: "home folder path /home/alice", artifact: "app-linux-x64" }])]);
    expect(leak.targets.find((t) => t.id === "linux-x64")!.cells.security).toMatchObject({ status: "fail", summary: "secrets and leaks in artifacts: home folder path /home/alice" });
    expect(leak.targets.find((t) => t.id === "darwin-arm64")!.cells.security.status).toBe("pass");
    const source = mergeResults([build, security([{ severity: "error", message: "AWS key", file: ".env" }])]);
    expect(source.targets.every((t) => t.cells.security.status === "fail")).toBe(true);
    const warningsOnly = mergeResults([build, security([{ severity: "warning", message: "unpinned", file: "package.json" }])]);
    expect(warningsOnly.targets.every((t) => t.cells.security.status === "pass")).toBe(true);
    const notRun = mergeResults([build, security([], "not-run")]);
    expect(notRun.targets[0]!.cells.security).toMatchObject({ status: "not-run", summary: "no artifacts: run bun verify build" });
  });

  it("marks a file that changed after it was hashed", () => {
    const inspect = result("inspect", "2026-01-01T00:05:00.000Z", {
      inspect: [{ file: "dist/app-linux-x64", bytes: 2000, format: "elf", os: "linux", arch: "x64", claim: { os: "linux", arch: "x64", source: "manifest (linux-x64)" }, problems: ["sha256 differs from manifest.json: the file changed after the build"], notes: [], ok: false }],
    });
    const merged = mergeResults([build, inspect]);
    const linux = merged.targets.find((t) => t.id === "linux-x64")!;
    expect(linux.cells.inspect.status).toBe("fail");
    expect(linux.cells.hashed).toMatchObject({ status: "fail", summary: "the file changed after it was hashed" });
  });

  it("compares sizes and times with an earlier run", () => {
    const now = mergeResults([build]);
    const before = mergeResults([result("build", "2025-12-01T00:00:00.000Z", { build: { outcomes: [{ id: "linux-x64", status: "built", entry: entry("linux-x64", 1500, SHA("c"), 3000) }] } })]);
    const compare = compareReports(now, before, "old.json");
    expect(compare.rows.find((r) => r.id === "linux-x64")).toEqual({ id: "linux-x64", bytes: 2000, oldBytes: 1500, buildMs: 1000, oldBuildMs: 3000 });
    expect(compare.rows.find((r) => r.id === "darwin-arm64")).toEqual({ id: "darwin-arm64", bytes: 900, buildMs: 1000 });
    expect(signedDelta(2000, 1500, formatBytes)).toBe("+500 B (+33.3%)");
    expect(signedDelta(1500, 2000, formatBytes)).toBe("-500 B (-25.0%)");
    expect(signedDelta(5, 5, formatBytes)).toBe("±0");
    expect(signedDelta(5, undefined, formatBytes)).toBe("");
  });

  describe("passes only when every merged result exited 0 and nothing failed, crashed or was extra", () => {
    const ok = (id: string) => ({ id, status: "built", entry: entry(id, 500, SHA("d")) });
    const cleanBuild = result("build", "2026-01-01T00:00:00.000Z", { build: { outcomes: [ok("linux-x64")] } });
    const withExit = (r: LoadedResult, exitCode: number): LoadedResult => ({ ...r, data: { ...r.data, exitCode } });
    const parity = (rows: unknown[]) =>
      result("parity", "2026-01-01T00:06:00.000Z", { parity: { reference: { kind: "folder", location: "/ref" }, rows, passed: true, validation: { inspect: { checked: 0, failures: [] }, smoke: { passed: 0, failed: [], notRun: 0 } } } });
    const identical = { target: "linux-x64", file: "app-linux-x64", native: { sha256: SHA("d") }, reference: { sha256: SHA("d") }, verdict: "identical" };

    it("a clean merge passes and says every result exited 0", () => {
      const merged = mergeResults([cleanBuild, parity([identical])]);
      expect(merged.problems).toEqual([]);
      expect(merged.passed).toBe(true);
      expect(reportText(merged)).toContain("REPORT: every merged result exited 0 and every check that ran passed.");
    });

    it("a result that crashed (exit 70) before recording a section fails the report", () => {
      const crashed = withExit(result("smoke", "2026-01-01T00:07:00.000Z", {}), 70);
      const merged = mergeResults([cleanBuild, crashed]);
      expect(merged.counts.fail).toBe(0); // no cell says so: only the exit code does
      expect(merged.passed).toBe(false);
      expect(merged.problems).toEqual(["results/smoke-linux-x64.json: `smoke` exited with 70 (internal error: it crashed)"]);
      expect(reportText(merged)).toMatch(/REPORT: FAIL: 1 merged result\(s\) did not exit 0\.\n$/);
      expect(reportMarkdown(merged)).toContain("- ❌ results/smoke-linux-x64.json: `smoke` exited with 70");
    });

    it("a result that exited 1 fails the report even when its sections look like passes", () => {
      const merged = mergeResults([cleanBuild, withExit(parity([identical]), 1)]);
      expect(merged.targets[0]!.cells.parity.status).toBe("pass");
      expect(merged.passed).toBe(false);
      expect(merged.problems).toEqual(["results/parity-linux-x64.json: `parity` exited with 1 (a check failed)"]);
    });

    it("bun verify report exits 1 on a folder holding a crashed result, and says which", async () => {
      const dir = tempDir("results-");
      writeFileSync(path.join(dir, "build.json"), JSON.stringify(cleanBuild.data));
      writeFileSync(path.join(dir, "smoke.json"), JSON.stringify(withExit(result("smoke", "2026-01-01T00:07:00.000Z", {}), 70).data));
      const run = await runCli(["report", dir]);
      expect(run.exitCode, run.stderr).toBe(1);
      expect(run.stdout).toMatch(/smoke\.json: `smoke` exited with 70 \(internal error: it crashed\)/);
      expect(run.stderr).toContain("failed: 1 merged result(s) did not exit 0");
    });

    it("a file extra in the reference fails the report", () => {
      const merged = mergeResults([cleanBuild, parity([identical, { target: "", file: "app-freebsd-x64", reference: { sha256: SHA("e") }, verdict: "extra in reference" }])]);
      expect(merged.counts.fail).toBe(0);
      expect(merged.passed).toBe(false);
      expect(merged.problems).toEqual(["app-freebsd-x64: extra in reference (no target accounts for it)"]);
      expect(reportHtml(merged)).toContain('<ul id="problems"><li>app-freebsd-x64: extra in reference (no target accounts for it)</li></ul>');
    });
  });

  it("escapes everything in the HTML page, which fetches nothing", () => {
    const evil = result("build", "2026-01-01T00:00:00.000Z", { build: { outcomes: [{ id: "linux-x64", status: "failed", error: '<script>alert(1)</script><img src="http://x/y.png">' }] } });
    const page = reportHtml(mergeResults([evil]));
    expect(page).not.toMatch(/<script|<img/);
    expect(page).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(page).toContain(`http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:"`);
  });
});

describe("stderr lines as log events", () => {
  it("turns error/failed/warning lines into levelled events and attaches the fix line", () => {
    expect(messageEvents("error: unknown target \"x\"\nfix: Use one of: a, b\nparity: reference folder\nwarning: slow\n\n")).toEqual([
      { level: "error", event: "error", fields: { message: 'unknown target "x"', fix: "Use one of: a, b" } },
      { level: "info", event: "message", fields: { text: "parity: reference folder" } },
      { level: "warn", event: "warning", fields: { message: "slow" } },
    ]);
    expect(messageEvents("failed: 2 smoke case(s) failed")[0]).toEqual({ level: "error", event: "command.failed", fields: { message: "2 smoke case(s) failed" } });
  });
});

describe("OTLP endpoint from the environment", () => {
  it("follows the OTel variables: signal endpoint as is, base endpoint + /v1/traces, protobuf unless JSON is asked for", () => {
    expect(tracesConfig({})).toBeUndefined();
    expect(tracesConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318/" })).toEqual({ url: "http://collector:4318/v1/traces", protocol: "http/protobuf" });
    expect(tracesConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://a:4318", OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "https://b/otlp/v1/traces", OTEL_EXPORTER_OTLP_PROTOCOL: "http/json" })).toEqual({ url: "https://b/otlp/v1/traces", protocol: "http/json" });
    expect(tracesConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://a:4318", OTEL_EXPORTER_OTLP_PROTOCOL: "http/json", OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: "http/protobuf" })).toMatchObject({ protocol: "http/protobuf" });
    expect(tracesConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://a:4318", OTEL_SDK_DISABLED: "true" })).toBeUndefined();
    expect(tracesConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://a:4318", OTEL_TRACES_EXPORTER: "none" })).toBeUndefined();
    expect(tracesConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://a:4317", OTEL_EXPORTER_OTLP_PROTOCOL: "grpc" })).toMatch(/protocol "grpc" is not supported/);
    expect(tracesConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: "unix:///tmp/otel.sock" })).toMatch(/not an http\(s\) URL/);
  });
});

describe("--compare input", () => {
  it("reads a report saved with --json=FILE, a bare report --json, or any result file", async () => {
    const { mkdtempSync, writeFileSync, rmSync } = await import("node:fs");
    const os = await import("node:os");
    const path = await import("node:path");
    const { readComparison } = await import("../verify/report/index.ts");
    const dir = mkdtempSync(path.join(os.tmpdir(), "compare-"));
    try {
      const build = result("build", "2026-01-01T00:00:00.000Z", { build: { outcomes: [{ id: "linux-x64", status: "built", entry: entry("linux-x64", 1500, SHA("c")) }] } });
      const report = mergeResults([build]);
      const asResult = { ...build.data, command: "report", result: { report } };
      writeFileSync(path.join(dir, "result.json"), JSON.stringify(build.data));
      writeFileSync(path.join(dir, "report-file.json"), JSON.stringify(asResult));
      writeFileSync(path.join(dir, "report-stdout.json"), JSON.stringify(report));
      for (const name of ["result.json", "report-file.json", "report-stdout.json"]) {
        expect(readComparison(name, dir).targets.map((t) => [t.id, t.bytes])).toEqual([["linux-x64", 1500]]);
      }
      writeFileSync(path.join(dir, "other.json"), "{}");
      expect(() => readComparison("other.json", dir)).toThrow(/neither a bun-parity report nor a result file/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
