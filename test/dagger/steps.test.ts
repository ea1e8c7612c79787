// How `ci` runs its steps and reports failures, with plain functions standing in for the Dagger
// calls: order, concurrency, and a report that names every failed step with its output's tail.
import { ExecError } from "@dagger.io/dagger";
import { describe, expect, it } from "vitest";

import { describeFailure, formatReport, isExecFailure, runCi, runStep, StepsFailedError, tail, TAIL_LINES, reportOrThrow, type CiSteps } from "../../dagger/src/steps.ts";

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
  it("starts test, lint and build-all together, and security-scan and smoke only after build-all", async () => {
    const started: string[] = [];
    const gates = { test: deferred(), lint: deferred(), buildAll: deferred() };
    const steps: CiSteps = {
      test: () => { started.push("test"); return gates.test.promise; },
      lint: () => { started.push("lint"); return gates.lint.promise; },
      buildAll: () => { started.push("build-all"); return gates.buildAll.promise; },
      securityScan: async () => { started.push("security-scan"); return "security: passed"; },
      smoke: async () => { started.push("smoke"); return "smoke: no step failed"; },
    };
    const run = runCi(steps);
    await Promise.resolve();
    expect(started).toEqual(["test", "lint", "build-all"]);
    gates.buildAll.resolve("bun-parity-linux-x64");
    gates.lint.resolve("ok");
    await new Promise((r) => setTimeout(r, 5));
    // security-scan and smoke wait for all three (the report lists the steps in one order).
    expect(started).toEqual(["test", "lint", "build-all"]);
    gates.test.resolve("ok");
    const results = await run;
    expect(started).toEqual(["test", "lint", "build-all", "security-scan", "smoke"]);
    expect(results.map((r) => [r.step, r.status])).toEqual([
      ["test", "passed"], ["lint", "passed"], ["build-all", "passed"], ["security-scan", "passed"], ["smoke", "passed"],
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

  it("still builds when a check failed, and skips security-scan and smoke when build-all failed", async () => {
    const results = await runCi({
      test: async () => { throw new Error("vitest crashed"); },
      lint: async () => "",
      buildAll: async () => { throw new Error('targets.json: "targets" must be a non-empty array.'); },
      securityScan: async () => { throw new Error("security-scan must not run without executables"); },
      smoke: async () => { throw new Error("smoke must not run without executables"); },
    });
    expect(results.map((r) => [r.step, r.status])).toEqual([
      ["test", "failed"], ["lint", "passed"], ["build-all", "failed"], ["security-scan", "skipped"], ["smoke", "skipped"],
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

  it("recognises an exec failure by its shape: the SDK's ExecError, or one from another copy of the SDK", () => {
    expect(isExecFailure(execError(["just", "test"], 1, "out"))).toBe(true);
    // What the bundled SDK (sdk/core.js in the module) throws is another class with the same shape.
    const fromBundle = Object.assign(new Error("exec failed"), { name: "ExecError", cmd: ["just", "lint"], exitCode: 2, stdout: "", stderr: "TS2304" });
    expect(isExecFailure(fromBundle)).toBe(true);
    expect(describeFailure(fromBundle)).toBe("`just lint` exited with 2\nTS2304");
    expect(isExecFailure(Object.assign(new Error("x"), { name: "ExecError" }))).toBe(false);
    expect(isExecFailure({ name: "GraphQLRequestError", cmd: [], exitCode: 1, stdout: "", stderr: "" })).toBe(false);
    expect(isExecFailure(null)).toBe(false);
  });

  it("runStep turns a thrown error into a failed result instead of throwing", async () => {
    await expect(runStep("lint", async () => { throw new Error("boom"); })).resolves.toMatchObject({ step: "lint", status: "failed", output: "boom" });
  });
});
