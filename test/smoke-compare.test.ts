// `compare: "source"` smoke cases on real executables (bun verify build, a raw bun build
// --compile) and real source runs: the executable must behave like `bun <entry>`, natively on
// linux-x64 and under qemu on linux-arm64; stdin, cwd and files; the exit-code-only warning.
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SmokeCase, Target } from "../verify/config/index.ts";
import { type CaseResult, type Host, type RunContext, buildFolderMentions, executorFor, runCase } from "../verify/validate/smoke.ts";
import { firstDifference, normalizeOutput, replacementsFor } from "../verify/validate/smoke-compare.ts";
import { compileRaw, copyFixture, removeTemps, runCli, tempDir } from "./helpers.ts";

interface SmokeJson {
  results: CaseResult[];
  warnings: string[];
}

afterAll(removeTemps);

const TWO = ["--target", "linux-x64", "--target", "linux-arm64"];

function setSmoke(app: string, cases: object[]): void {
  const file = path.join(app, "targets.json");
  const config = JSON.parse(readFileSync(file, "utf8")) as { smoke: object[] };
  config.smoke = cases;
  writeFileSync(file, JSON.stringify(config, null, 2));
}

async function smokeJson(app: string, targets = ["--target", "linux-x64"]): Promise<{ exitCode: number; json: SmokeJson; stderr: string }> {
  const result = await runCli(["smoke", "--json", ...targets], { cwd: app });
  expect(result.stdout, result.stderr).not.toBe("");
  return { exitCode: result.exitCode, json: JSON.parse(result.stdout) as SmokeJson, stderr: result.stderr };
}

const byName = (json: SmokeJson, target: string, name: string) => json.results.find((r) => r.target === target && r.case === name)!;

describe("a healthy CLI behaves like its source (smoke-cli)", () => {
  let app: string;
  beforeAll(async () => {
    app = copyFixture("smoke-cli");
    const build = await runCli(["build", ...TWO], { cwd: app });
    expect(build.exitCode, build.stderr).toBe(0);
  });

  it("passes every compare case natively on linux-x64 and under qemu on linux-arm64, each beside a run of bun src/cli.ts", async () => {
    const { exitCode, json, stderr } = await smokeJson(app, TWO);
    expect(exitCode, stderr).toBe(0);
    expect(json.results).toHaveLength(14);
    for (const r of json.results) {
      expect(r, `${r.target} / ${r.case}: ${r.reason}`).toMatchObject({ status: "pass", checks: "compare-source", projectFolder: "hidden" });
      expect(r.source).toMatchObject({ command: "bun src/cli.ts", exitCode: r.exitCode });
    }
    // The arm64 source ran on the arm64 Bun runtime under the same qemu: both print linux-arm64.
    expect(byName(json, "linux-arm64", "version").how).toBe("emulated: qemu-aarch64-static -L /usr/aarch64-linux-gnu");
    expect(byName(json, "linux-arm64", "version").stdout).toBe("smoke-cli 1.2.3 (linux-arm64)\n");
    expect(byName(json, "linux-arm64", "version").source!.stdout).toBe("smoke-cli 1.2.3 (linux-arm64)\n");
    expect(byName(json, "linux-x64", "version").source!.stdout).toBe("smoke-cli 1.2.3 (linux-x64)\n");
    // The program names itself differently in each run; "program" normalization made them equal.
    expect(byName(json, "linux-x64", "help").stdout).toMatch(/^Usage: bun smoke-cli <command>/);
    // The source ran on the pinned Bun under the name "bun" (npm ships it as bun.exe), as an installed Bun runs.
    expect(byName(json, "linux-x64", "help").source!.stdout).toMatch(/^Usage: bun cli\.ts <command>/);
    expect(stderr).toContain("smoke: 14 passed, 0 failed, 0 not run here");
    expect(json.warnings).toEqual([]);
  });

  it("feeds stdin to both runs, and closes it when the case gives none", async () => {
    setSmoke(app, [
      { name: "upper", args: ["upper"], stdin: "hello stdin\n", compare: "source", stdout: "^HELLO STDIN$" },
      { name: "upper without stdin", args: ["upper"], compare: "source" },
    ]);
    const { exitCode, json } = await smokeJson(app);
    expect(exitCode).toBe(0);
    expect(byName(json, "linux-x64", "upper")).toMatchObject({ status: "pass", stdout: "HELLO STDIN\n" });
    expect(byName(json, "linux-x64", "upper").source!.stdout).toBe("HELLO STDIN\n");
    expect(byName(json, "linux-x64", "upper without stdin")).toMatchObject({ status: "pass", stdout: "\n" });
  });

  it("runs both sides in copies of the case's cwd folder and leaves the project's folder untouched", async () => {
    setSmoke(app, [
      { name: "settings", args: ["settings"], cwd: "smoke/with-settings", compare: "source", stdout: "^theme=dark$" },
      { name: "writes beside the settings", args: ["write", "result.txt"], cwd: "smoke/with-settings", files: ["result.txt", "settings.json"], compare: "source" },
    ]);
    const { exitCode, json } = await smokeJson(app);
    expect(exitCode, json.results.map((r) => r.reason).join("\n")).toBe(0);
    expect(json.results.map((r) => r.status)).toEqual(["pass", "pass"]);
    expect(existsSync(path.join(app, "smoke", "with-settings", "result.txt"))).toBe(false);
  });

  it("fails a case that needs its working folder when it has no cwd, and says the source fails the same way", async () => {
    setSmoke(app, [{ name: "settings without cwd", args: ["settings"], compare: "source", stdout: "^theme=dark$" }]);
    const { exitCode, json } = await smokeJson(app);
    expect(exitCode).toBe(1);
    const r = json.results[0]!;
    expect(r.status).toBe("fail");
    expect(r.reason).toContain("the source fails this case too (bun src/cli.ts, in an empty working folder); the executable behaves the same");
    expect(r.reason).toContain('give the case a "cwd" folder holding it');
    expect(r.reason).toContain("hint: settings.json was read relative to the working folder");
  });

  it("fails a case whose listed file the program does not write, in both runs", async () => {
    setSmoke(app, [{ name: "writes the wrong file", args: ["write", "out/result.txt"], files: ["out/other.txt"], compare: "source" }]);
    const { exitCode, json } = await smokeJson(app);
    expect(exitCode).toBe(1);
    expect(json.results[0]!.reason).toContain('did not create "out/other.txt" in its working folder');
    expect(json.results[0]!.reason).toContain("the source fails this case too");
  });

  it("fails a plain case whose listed file is missing, and passes it when the file is written", async () => {
    setSmoke(app, [
      { name: "writes", args: ["write", "out/result.txt"], files: ["out/result.txt"] },
      { name: "expects another file", args: ["write", "out/result.txt"], files: ["out/other.txt"] },
    ]);
    const { json } = await smokeJson(app);
    expect(json.results.map((r) => [r.status, r.checks])).toEqual([["pass", "output"], ["fail", "output"]]);
    expect(json.results[1]!.reason).toBe('did not create "out/other.txt" in its working folder');
  });

  it("shows the program's own name and working folder as differences when the case does not normalize them", async () => {
    setSmoke(app, [
      { name: "help, names kept", args: ["--help"], compare: "source", normalize: ["cwd", "stack"] },
      { name: "where, folders kept", args: ["where"], compare: "source", normalize: ["program"] },
    ]);
    const { exitCode, json } = await smokeJson(app);
    expect(exitCode).toBe(1);
    const [help, where] = json.results;
    expect(help!.reason).toContain("differs from the source (bun src/cli.ts, in an empty working folder): stdout (line 1)");
    expect(help!.reason).toContain("    - source:     Usage: bun cli.ts <command>\n    + executable: Usage: bun smoke-cli <command>");
    expect(where!.reason).toMatch(/- source: {5}working in \/.*bun-parity-source-linux-x64-\w+\n {4}\+ executable: working in \/.*bun-parity-smoke-linux-x64-\w+/);
  });

  it("blanks what the case's ignore patterns match in both runs", async () => {
    setSmoke(app, [
      { name: "where, folders ignored", args: ["where"], compare: "source", normalize: [], ignore: ["/\\S+$"] },
    ]);
    const { exitCode, json } = await smokeJson(app);
    expect(exitCode, json.results[0]!.reason).toBe(0);
  });

  it("refuses a case folder that does not exist, naming the case", async () => {
    setSmoke(app, [{ name: "nowhere", args: ["settings"], cwd: "smoke/missing", compare: "source" }]);
    const result = await runCli(["smoke", "--target", "linux-x64"], { cwd: app });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('$.smoke[0].cwd: "smoke/missing" is not a folder');
  });
});

describe("an executable that does nothing", () => {
  it("fails a compare case: Bun compiled the extensionless bin shim into a program that prints nothing and exits 0", async () => {
    const app = copyFixture("smoke-cli");
    // What a build from package.json "bin" produced (config validation refuses such an entrypoint).
    await compileRaw(app, { entry: "bin/smoke-cli", outfile: path.join(app, "dist", "smoke-cli-linux-x64") });
    setSmoke(app, [
      { name: "version", args: ["--version"], compare: "source" },
      { name: "help exits 0", args: ["--help"] },
    ]);
    const { exitCode, json, stderr } = await smokeJson(app);
    expect(exitCode).toBe(1);
    const [version, help] = json.results;
    expect(version).toMatchObject({ status: "fail", stdout: "", exitCode: 0 });
    expect(version!.reason).toBe(
      "differs from the source (bun src/cli.ts, in an empty working folder): stdout (line 1)\n" +
        "  stdout differs at line 1:\n" +
        "    - source:     smoke-cli 1.2.3 (linux-x64)\n" +
        "    + executable: (no output)",
    );
    // The exit-code-only case passes on the same useless executable: hence the warning.
    expect(help).toMatchObject({ status: "pass", checks: "exit-code-only" });
    expect(json.warnings[0]).toBe(
      'smoke case "help exits 0" checks only the exit code: an executable that prints nothing passes it. Add "compare": "source" (or a "stdout" pattern) to check what it prints.',
    );
    expect(stderr).toContain("1 case(s) check only an exit code");
  });
});

describe("run-time reads that only work on the build machine (smoke-runtime-reads)", () => {
  let json: SmokeJson;
  let app: string;
  beforeAll(async () => {
    app = copyFixture("smoke-runtime-reads");
    const build = await runCli(["build"], { cwd: app });
    expect(build.exitCode, build.stderr).toBe(0);
    const result = await smokeJson(app);
    expect(result.exitCode).toBe(1);
    json = result.json;
  });

  it("fails ./package.json read from the working folder: the source fails the same way in an empty folder", () => {
    const r = byName(json, "linux-x64", "version from the working folder");
    expect(r.status).toBe("fail");
    expect(r.reason).toContain("the source fails this case too (bun src/cli.ts, in an empty working folder); the executable behaves the same");
    expect(r.reason).toContain("ENOENT: no such file or directory, open 'package.json'");
  });

  it("fails a __dirname read: the build folder Bun inlined is hidden from the executable, the source still reads it", () => {
    const r = byName(json, "linux-x64", "about through __dirname");
    expect(r).toMatchObject({ status: "fail", projectFolder: "hidden", exitCode: 1 });
    expect(r.source).toMatchObject({ exitCode: 0, stdout: "smoke-runtime-reads reads this file at run time\n" });
    expect(r.reason).toContain("  exit code: source 0, executable 1");
    expect(r.reason).toContain(`    + executable: ENOENT: no such file or directory, open '${path.join(app, "src", "about.txt")}'`);
    expect(r.reason).toContain(`hint: ${path.join(app, "src", "about.txt")} is inside the project folder, which smoke hides`);
  });

  it("fails a __dirname read whose error the program catches, naming the build folder inside the executable", () => {
    const r = byName(json, "linux-x64", "about through __dirname, the error caught");
    expect(r).toMatchObject({ status: "fail", projectFolder: "hidden", exitCode: 0, stdout: "unknown\n" });
    expect(r.source).toMatchObject({ exitCode: 0, stdout: "smoke-runtime-reads reads this file at run time\n" });
    expect(r.reason).toMatch(new RegExp(`hint: the executable contains the build folder ${app.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} \\(\\d+ times?\\), which smoke hides from it`));
  });

  it("fails an import.meta.dirname read: /$bunfs/root holds no such file", () => {
    const r = byName(json, "linux-x64", "about through import.meta.dirname");
    expect(r.status).toBe("fail");
    expect(r.reason).toContain("    + executable: ENOENT: no such file or directory, open '/$bunfs/root/about.txt'");
    expect(r.reason).toContain("hint: /$bunfs/root/about.txt is inside the executable");
  });

  it("passes the case that reads nothing", () => {
    expect(byName(json, "linux-x64", "usage").status).toBe("pass");
  });
});

describe("exit-code-only cases in the parity report", () => {
  it("names them in the validation section", async () => {
    const app = copyFixture("smoke-cli");
    setSmoke(app, [{ name: "help exits 0", args: ["--help"] }, { name: "version", args: ["--version"], compare: "source" }]);
    const build = await runCli(["build", "--target", "linux-x64"], { cwd: app });
    expect(build.exitCode, build.stderr).toBe(0);
    const reference = path.join(tempDir(), "reference");
    mkdirSync(reference);
    cpSync(path.join(app, "dist", "smoke-cli-linux-x64"), path.join(reference, "smoke-cli-linux-x64"));
    const result = await runCli(["parity", "--reference", reference, "--target", "linux-x64"], { cwd: app });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toContain("smoke 2 passed, 0 failed, 0 not run here");
    expect(result.stdout).toContain('  smoke WARNING: smoke case "help exits 0" checks only the exit code');
  });
});

describe("a compare case on a target this host cannot run", () => {
  it("is not run, and neither is its source", async () => {
    const darwin: Target = { id: "darwin-arm64", os: "darwin", arch: "arm64", libc: "glibc", bunTarget: "bun-darwin-arm64", runner: "macos-15" };
    const host: Host = { os: "linux", arch: "x64", libc: "glibc", has: () => undefined, exists: () => false };
    const smoke: SmokeCase = { name: "version", args: ["--version"], exitCode: 0, env: {}, timeoutMs: 5000, compare: "source" };
    const marker = path.join(tempDir(), "source-ran");
    const context: RunContext = {
      projectDir: tempDir(), embeddedName: "x", isolation: { kind: "visible", why: "test" },
      source: { kind: "run", command: ["sh", "-c", `touch ${marker}`], bun: "sh", entry: "x.ts", shown: "bun x.ts" },
    };
    const result = await runCase(darwin, smoke, executorFor(darwin, "/nonexistent/x-darwin-arm64", host), context);
    expect(result).toMatchObject({ status: "not-run", reason: "not run here: needs macos-15 (this host is linux-x64)", checks: "compare-source" });
    expect(existsSync(marker)).toBe(false);
  });
});

describe("normalizing before comparing", () => {
  const exe = { programPaths: ["/$bunfs/root/tool"], execPaths: ["/tmp/e/tool-linux-x64"], programNames: ["tool", "tool-linux-x64"], cwd: "/tmp/a" };
  const src = { programPaths: ["/p/src/cli.ts"], execPaths: ["/p/node_modules/bun/bin/bun.exe"], programNames: ["cli.ts"], cwd: "/tmp/b" };

  it("replaces both runs' own paths and names in both outputs, never inside longer words", () => {
    const r = replacementsFor([exe, src], ["program", "cwd"]);
    expect(normalizeOutput("Usage: tool [options] (toolbox, /x/tool) in /tmp/a/out", r, [])).toBe("Usage: <program-name> [options] (toolbox, /x/tool) in <cwd>/out");
    expect(normalizeOutput("Usage: cli.ts [options] in /tmp/b/out", r, [])).toBe("Usage: <program-name> [options] in <cwd>/out");
    expect(normalizeOutput("at /$bunfs/root/tool and /p/src/cli.ts", r, [])).toBe("at <program> and <program>");
    // Nothing is replaced when the case asks for nothing.
    expect(normalizeOutput("Usage: tool in /tmp/a", replacementsFor([exe, src], []), [])).toBe("Usage: tool in /tmp/a");
  });

  it("drops Bun's quoted source lines and stack frames, keeping the error message", () => {
    const source = "3 | const x = 1;\n4 | throw new Error(\"no config\");\n          ^\nerror: no config\n      at /p/src/cli.ts:4:7\n      at run (/p/src/run.ts:9:1)\n\nBun v1.4.5 (Linux x64)\n";
    const executable = "2 | var a=1;throw new Error(\"no config\")\n            ^\nerror: no config\n      at /$bunfs/root/tool:2:17\n\nBun v1.4.5 (Linux x64)\n";
    expect(normalizeOutput(source, [], [], true)).toBe(normalizeOutput(executable, [], [], true));
    expect(normalizeOutput(source, [], [], true)).toBe("error: no config\n      at <stack frames>\n\nBun v1.4.5 (Linux x64)\n");
    expect(firstDifference(normalizeOutput(source, [], []), normalizeOutput(executable, [], []))).toMatchObject({ line: 1 });
    // A long minified line gets an empty line where a short one gets the caret (Bun 1.4.5).
    const longLine = `2 | ${"var a=1;".repeat(40)}throw new Error("no config")\n\nerror: no config\n      at /$bunfs/root/tool:2:330\n\nBun v1.4.5 (Linux x64)\n`;
    expect(normalizeOutput(longLine, [], [], true)).toBe(normalizeOutput(source, [], [], true));
  });

  it("counts the build folder as a whole path: at the end of a string (a project-root __dirname) or before a separator, not inside a longer name", () => {
    const bytes = Buffer.from('var __dirname = "/home/me/cli";\0/home/me/cli/src/a.txt\0/home/me/cli2/x\0/home/me/cli-old\0/home/me/cli');
    expect(buildFolderMentions(bytes, "/home/me/cli")).toBe(3);
    expect(buildFolderMentions(bytes, "/elsewhere")).toBe(0);
  });

  it("finds the first differing line, including output that ends early", () => {
    expect(firstDifference("a\nb\nc", "a\nb\nc")).toBeUndefined();
    expect(firstDifference("a\nb\nc", "a\nB\nc")).toEqual({ line: 2, source: "b", executable: "B" });
    expect(firstDifference("a\nb\n", "a\n")).toEqual({ line: 2, source: "b", executable: "" });
  });
});
