// How `ci` runs its steps and reports failures, with plain functions standing in for the Dagger
// calls: order, concurrency, and a report that names every failed step with its output's tail.
import { ExecError } from "@dagger.io/dagger";
import { describe, expect, it } from "vitest";

import { describeFailure, formatReport, runCi, runStep, StepsFailedError, tail, TAIL_LINES, reportOrThrow, type CiSteps } from "../../dagger/src/steps.ts";

function deferred() {
  let resolve!: (value: string) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<string>((res, rej) => { resolve = res; reject = rej; });
  return { promise, resolve, reject };
}

function execError(cmd: string[], exitCode: number, stdout: string, stderr = ""): ExecError {
  return new ExecError(`exec ${cmd.join(" ")} failed`, { cmd, exitCode, stdout, stderr });
}

describe("runCi", () => {
  it("starts test, lint and security-scan together, and build-all only when all three are done", async () => {
    const started: string[] = [];
    const gates = { test: deferred(), lint: deferred(), securityScan: deferred() };
    const steps: CiSteps = {
      test: () => { started.push("test"); return gates.test.promise; },
      lint: () => { started.push("lint"); return gates.lint.promise; },
      securityScan: () => { started.push("security-scan"); return gates.securityScan.promise; },
      buildAll: async () => { started.push("build-all"); return "bun-parity-linux-x64"; },
      smoke: async () => { started.push("smoke"); return "smoke: no step failed"; },
    };
    const run = runCi(steps);
    await Promise.resolve();
    expect(started).toEqual(["test", "lint", "security-scan"]);
    gates.test.resolve("ok");
    gates.lint.resolve("ok");
    await new Promise((r) => setTimeout(r, 5));
    expect(started).not.toContain("build-all");
    gates.securityScan.resolve("ok");
    const results = await run;
    expect(started).toEqual(["test", "lint", "security-scan", "build-all", "smoke"]);
    expect(results.map((r) => [r.step, r.status])).toEqual([
      ["test", "passed"], ["lint", "passed"], ["security-scan", "passed"], ["build-all", "passed"], ["smoke", "passed"],
    ]);
  });

  it("reports every failed step with the tail of its output, not only the first", async () => {
    const results = await runCi({
      test: async () => { throw execError(["just", "test"], 1, "✓ config\n✗ digest > hashes a file\nTests  1 failed | 41 passed"); },
      lint: async () => { throw execError(["just", "lint"], 2, "", "verify/plan.ts(3,1): error TS2304: Cannot find name 'x'."); },
      securityScan: async () => "security: nothing found",
      buildAll: async () => "bun-parity-linux-x64",
      smoke: async () => "smoke: no step failed",
    });
    expect(() => reportOrThrow("ci", results, { outputOf: "failed" })).toThrow(StepsFailedError);
    const report = formatReport("ci", results, { outputOf: "failed" });
    expect(report).toMatch(/^ci: 2 of 5 steps failed: test, lint\n/);
    expect(report).toContain("--- test (failed) ---\n`just test` exited with 1\n✓ config\n✗ digest > hashes a file\nTests  1 failed | 41 passed");
    expect(report).toContain("--- lint (failed) ---\n`just lint` exited with 2\nverify/plan.ts(3,1): error TS2304");
    expect(report).toMatch(/build-all\s+passed/);
    expect(report).not.toContain("security: nothing found");
  });

  it("still builds when a check failed, and skips smoke (only) when build-all failed", async () => {
    const results = await runCi({
      test: async () => { throw new Error("vitest crashed"); },
      lint: async () => "",
      securityScan: async () => "",
      buildAll: async () => { throw new Error('targets.json: "targets" must be a non-empty array.'); },
      smoke: async () => { throw new Error("smoke must not run without executables"); },
    });
    expect(results.map((r) => [r.step, r.status])).toEqual([
      ["test", "failed"], ["lint", "passed"], ["security-scan", "passed"], ["build-all", "failed"], ["smoke", "skipped"],
    ]);
    expect(formatReport("ci", results, { outputOf: "failed" })).toMatch(/smoke\s+skipped\s+\(build-all failed\)/);
  });
});

describe("failure text", () => {
  it(`keeps the last ${TAIL_LINES} lines and says how many were left out`, () => {
    const lines = Array.from({ length: 100 }, (_, i) => `line ${i + 1}`);
    const kept = tail(lines.join("\n")).split("\n");
    expect(kept).toHaveLength(TAIL_LINES + 1);
    expect(kept[0]).toBe("… (60 earlier lines omitted)");
    expect(kept.at(-1)).toBe("line 100");
  });

  it("names the command and exit code of a failed exec, with stdout and stderr", () => {
    expect(describeFailure(execError(["just", "smoke", "--target", "linux-arm64"], 1, "version  fail", "exit code 139"))).toBe(
      "`just smoke --target linux-arm64` exited with 1\nversion  fail\nexit code 139",
    );
  });

  it("runStep turns a thrown error into a failed result instead of throwing", async () => {
    await expect(runStep("lint", async () => { throw new Error("boom"); })).resolves.toMatchObject({ step: "lint", status: "failed", output: "boom" });
  });
});
