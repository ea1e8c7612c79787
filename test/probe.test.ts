// probeSourceCases: run the real source with --version, --help and no arguments, keep what
// exits 0 with output as compare cases, and say why each other probe was dropped. The kept
// cases are then run by `bun verify smoke` on a real executable: they must pass.
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { linePattern, probeSourceCases } from "../verify/validate/probe.ts";
import { BUN, FIXTURES, copyFixture, removeTemps, runCli, tempDir } from "./helpers.ts";

afterAll(removeTemps);

describe("probing the source", () => {
  it("keeps only the probes that exit 0 with output on a CLI without --help, and the kept cases pass on its executable", async () => {
    const app = copyFixture("smoke-probe-partial");
    const { cases, tried } = await probeSourceCases(app, "src/cli.ts", BUN);
    expect(cases).toEqual([
      { name: "version", args: ["--version"], compare: "source", stdout: "^partial \\d+\\.\\d+\\.\\d+\\S*$" },
      { name: "no arguments", args: [], compare: "source", stderr: "^\\S+: nothing to do, try --version$" },
    ]);
    expect(tried.map((t) => [t.name, t.kept, t.reason])).toEqual([
      ["version", true, "stdout: partial 0.3.1"],
      ["help", false, "exit code 1: unknown option: --help"],
      ["no arguments", true, "stderr: cli.ts: nothing to do, try --version"],
    ]);

    const file = path.join(app, "targets.json");
    writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(file, "utf8")), smoke: cases }, null, 2));
    const build = await runCli(["build"], { cwd: app });
    expect(build.exitCode, build.stderr).toBe(0);
    const smoke = await runCli(["smoke", "--json"], { cwd: app });
    expect(smoke.exitCode, smoke.stdout + smoke.stderr).toBe(0);
    const { results } = JSON.parse(smoke.stdout) as { results: { case: string; status: string; stderr: string; checks: string }[] };
    expect(results.map((r) => [r.case, r.status, r.checks])).toEqual([["version", "pass", "compare-source"], ["no arguments", "pass", "compare-source"]]);
    // The executable names itself differently; the pattern allowed for it.
    expect(results[1]!.stderr).toBe("smoke-probe-partial: nothing to do, try --version\n");
  });

  it("returns no case when nothing passes, and says why each probe was dropped", async () => {
    const app = copyFixture("smoke-probe-none");
    const { cases, tried } = await probeSourceCases(app, path.join(app, "src", "cli.ts"), BUN, { timeoutMs: 3000 });
    expect(cases).toEqual([]);
    expect(tried.map((t) => [t.name, t.kept, t.reason])).toEqual([
      ["version", false, "printed a stack trace on stderr"],
      ["help", false, "exit code 0 but printed nothing"],
      ["no arguments", false, "timed out after 3000 ms (waits for input, or keeps running)"],
    ]);
    expect(tried[2]!.timedOut).toBe(true);
  });

  it("says why a probe failed: the error line, with the empty working folder named as such", async () => {
    const app = path.join(FIXTURES, "init", "reads-cwd");
    const { cases, tried } = await probeSourceCases(app, "src/cli.ts", BUN);
    expect(cases).toEqual([]);
    expect(tried.map((t) => t.reason)).toEqual(Array(3).fill("exit code 1: ENOENT: no such file or directory, open '<empty working folder>/package.json'"));
  });

  it("a program that reports its failure on stdout: the last line it printed", async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, "cli.ts"), 'console.log("banner");\nconsole.log("Could not read config file ./apps.json");\nprocess.exit(1);\n');
    const { tried } = await probeSourceCases(dir, "cli.ts", BUN);
    expect(tried[0]!.reason).toBe("exit code 1: Could not read config file ./apps.json");
  });

  it("passes the build's defines to the source, as the compiled executable has them", async () => {
    const app = copyFixture("smoke-probe-none");
    writeFileSync(path.join(app, "src", "cli.ts"), "declare const __VERSION__: string;\nconsole.log(`v${__VERSION__} ${process.env.NODE_ENV}`);\n");
    const without = await probeSourceCases(app, "src/cli.ts", BUN);
    expect(without.cases).toEqual([]);
    expect(without.tried[0]!.reason).toBe("exit code 1: ReferenceError: __VERSION__ is not defined");
    const build = { define: { __VERSION__: '"4.5.6"' }, env: { NODE_ENV: "production" }, inlineEnv: "disable", execArgv: [], autoload: { dotenv: false, bunfig: false, tsconfig: false, packageJson: false } };
    const { tried } = await probeSourceCases(app, "src/cli.ts", BUN, { build });
    expect(tried[0]!.reason).toBe("stdout: v4.5.6 production");
  });
});

describe("the pattern made from an observed line", () => {
  it("escapes the text, anchors it, and generalizes the program's own path or name and version numbers", () => {
    expect(linePattern("tool 1.2.3-beta.1 (linux-x64) [ok]", [])).toBe("^tool \\d+\\.\\d+\\.\\d+\\S* \\(linux-x64\\) \\[ok\\]$");
    expect(linePattern("Usage: cli.ts <command> (from /p/src/cli.ts)", ["/p/src/cli.ts", "cli.ts"])).toBe("^Usage: \\S+ <command> \\(from \\S+\\)$");
    expect(linePattern("server at 10.0.0.1:80  ", [])).toBe("^server at 10\\.0\\.0\\.1:80\\s*$");
    expect(new RegExp(linePattern("tool v1.2.3", []), "m").test("tool v2.0.0\nmore")).toBe(true);
  });
});
