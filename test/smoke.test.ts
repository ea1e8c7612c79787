// `bun verify smoke` on real fixture executables: native linux-x64, linux-arm64 under
// qemu-user, and darwin/windows reported as not run with their runner label.
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Target } from "../verify/config/index.ts";
import { type Host, executorFor } from "../verify/validate/smoke.ts";
import { HOST_TARGET, copyFixture, removeTemps, runCli } from "./helpers.ts";

interface SmokeJson {
  results: { target: string; case: string; status: string; reason: string; how?: string; durationMs?: number; peakRssBytes?: number }[];
}

afterAll(removeTemps);

describe.skipIf(HOST_TARGET !== "linux-x64")("bun verify smoke on the hello fixture (Linux only: linux-x64 natively, linux-arm64 under qemu-user with the arm64 sysroot)", () => {
  let app: string;
  beforeAll(async () => {
    app = copyFixture("hello");
    const build = await runCli(["build", "--target", "linux-x64", "--target", "linux-arm64", "--target", "darwin-arm64", "--target", "windows-x64"], { cwd: app });
    expect(build.exitCode, build.stderr).toBe(0);
  });

  const setSmoke = (cases: object[]) => {
    const file = path.join(app, "targets.json");
    const config = JSON.parse(readFileSync(file, "utf8"));
    config.smoke = cases;
    writeFileSync(file, JSON.stringify(config, null, 2));
  };

  it("passes on linux-x64 natively and linux-arm64 under qemu, and reports the rest as not run with the runner label", async () => {
    const result = await runCli(["smoke", "--json", "--target", "linux-x64", "--target", "linux-arm64", "--target", "darwin-arm64", "--target", "windows-x64"], { cwd: app });
    expect(result.exitCode, result.stderr).toBe(0);
    const { results } = JSON.parse(result.stdout) as SmokeJson;
    const byTarget = (id: string) => results.filter((r) => r.target === id);
    for (const r of byTarget("linux-x64")) {
      expect(r).toMatchObject({ status: "pass", how: "native" });
      expect(r.peakRssBytes).toBeGreaterThan(10 * 1024 * 1024);
    }
    for (const r of byTarget("linux-arm64")) {
      expect(r.status).toBe("pass");
      expect(r.how).toBe("emulated: qemu-aarch64-static -L /usr/aarch64-linux-gnu");
    }
    expect(byTarget("linux-arm64")).toHaveLength(2);
    for (const r of byTarget("darwin-arm64")) expect(r).toMatchObject({ status: "not-run", reason: "not run here: needs macos-15 (this host is linux-x64)" });
    for (const r of byTarget("windows-x64")) expect(r).toMatchObject({ status: "not-run", reason: "not run here: needs windows-2025 (this host is linux-x64)" });
    expect(result.stderr).toContain("smoke: 4 passed, 0 failed, 4 not run here");
  });

  it("fails with --require-all when a case could not run here", async () => {
    const result = await runCli(["smoke", "--require-all", "--target", "linux-x64", "--target", "darwin-arm64"], { cwd: app });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain("could not run here (--require-all)");
  });

  it("fails a case whose output does not match, showing expected against actual", async () => {
    setSmoke([{ name: "wrong greeting", args: ["parity"], stdout: "^goodbye" }]);
    const result = await runCli(["smoke", "--target", "linux-x64"], { cwd: app });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain("linux-x64 / wrong greeting failed:");
    expect(result.stderr).toContain("stdout does not match /^goodbye/:");
    expect(result.stderr).toContain("  - expected: /^goodbye/");
    expect(result.stderr).toContain("  + actual:   hello parity from linux-x64 (production)");
  });

  it("kills a hanging binary at its timeout and reports it", async () => {
    setSmoke([{ name: "hangs", args: ["--hang"], timeoutMs: 1500 }]);
    const started = performance.now();
    const result = await runCli(["smoke", "--json", "--target", "linux-x64"], { cwd: app });
    expect(result.exitCode).toBe(1);
    const [r] = (JSON.parse(result.stdout) as SmokeJson).results;
    expect(r).toMatchObject({ status: "fail", reason: "timed out after 1500 ms and was killed" });
    expect(r!.durationMs).toBeGreaterThanOrEqual(1500);
    expect(performance.now() - started).toBeLessThan(15_000);
  });

  it("fails a binary that prints a stack trace but exits 0", async () => {
    setSmoke([{ name: "prints something", args: ["--stack-but-exit-0"], stdout: "still printed" }]);
    const result = await runCli(["smoke", "--target", "linux-x64"], { cwd: app });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain("printed a stack trace on stderr:");
    expect(result.stderr).toContain("Error: boom");
  });

  it("checks the expected exit code and stderr pattern", async () => {
    setSmoke([{ name: "fails on purpose", args: ["--fail"], exitCode: 3, stderr: "failing on purpose" }, { name: "wrong code", args: ["--fail"], exitCode: 0 }]);
    const result = await runCli(["smoke", "--json", "--target", "linux-x64"], { cwd: app });
    const results = (JSON.parse(result.stdout) as SmokeJson).results;
    expect(results[0]).toMatchObject({ status: "pass" });
    expect(results[1]).toMatchObject({ status: "fail", reason: "exit code 3, expected 0" });
  });
});

describe("choosing how to run a target", () => {
  const target = (t: Partial<Target>): Target => ({ id: "t", os: "linux", arch: "x64", libc: "glibc", bunTarget: "bun-linux-x64", runner: "ubuntu-24.04", ...t });
  const host = (h: Partial<Host>): Host => ({ os: "linux", arch: "x64", libc: "glibc", has: () => undefined, exists: () => false, ...h });

  it("names the missing Debian package when qemu or the sysroot is absent", () => {
    const arm = target({ arch: "arm64", runner: "ubuntu-24.04-arm" });
    expect(executorFor(arm, "f", host({}))).toEqual({
      kind: "not-run", reason: "not run here: qemu-aarch64-static is not installed (Debian: qemu-user-static), needs ubuntu-24.04-arm",
    });
    expect(executorFor(arm, "f", host({ has: (c) => (c === "qemu-aarch64-static" ? "/usr/bin/qemu-aarch64-static" : undefined) }))).toMatchObject({
      kind: "not-run", reason: expect.stringContaining("sysroot /usr/aarch64-linux-gnu is missing (Debian: libc6-arm64-cross)"),
    });
  });

  it("runs musl targets only where the musl loader exists", () => {
    const musl = target({ libc: "musl", bunTarget: "bun-linux-x64-musl" });
    expect(executorFor(musl, "f", host({})).kind).toBe("not-run");
    expect(executorFor(musl, "f", host({ exists: (f) => f === "/lib/ld-musl-x86_64.so.1" }))).toMatchObject({ kind: "native" });
  });

  it("uses Rosetta for darwin-x64 on Apple silicon, and nothing else across OSes", () => {
    expect(executorFor(target({ os: "darwin", runner: "macos-15-intel" }), "f", host({ os: "darwin", arch: "arm64" }))).toMatchObject({ kind: "emulated", note: "emulated: Rosetta 2" });
    expect(executorFor(target({ os: "darwin", arch: "arm64", runner: "macos-15" }), "f", host({ os: "darwin", arch: "x64" }))).toMatchObject({ kind: "not-run" });
    expect(executorFor(target({ os: "windows", runner: "windows-2025" }), "f", host({}))).toEqual({
      kind: "not-run", reason: "not run here: needs windows-2025 (this host is linux-x64)",
    });
  });
});
