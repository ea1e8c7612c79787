// Where one compile and one build spend their time (docs/performance.md has the results):
// each step of a target's build run on its own, in this process, on the real files, median of
// --runs. Compiles use exactly the plan's argv and environment; Bun's own phase timers (the
// "[N ms] bundle / minify / compile" lines it prints) split a compile into bundling and writing.
// Prints a table; not a timed test. Run: bun bench/profile-build.ts [--runs 5] [--project dir]
import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { verifyCodeSignature } from "../verify/binary/macho.ts";
import { checkAndRepairOutput } from "../verify/bun-output.ts";
import { loadConfig } from "../verify/config.ts";
import { HashPool, type Manifest, readWholeFile, sha256Hex, stableJson, writeDistIndex, writeFileAtomic } from "../verify/digest.ts";
import { buildFingerprint, buildInputs, bundledPackages, inputBoundary, metafileInputs } from "../verify/inputs.ts";
import { buildPlan, compilerEnvironment, type TargetPlan } from "../verify/plan.ts";
import { signBunExecutableAdhoc } from "../verify/sign.ts";
import { defaultCacheDir, runtimeCachePath } from "../verify/toolchain.ts";
import { writeGeneratedFixture } from "./generated-fixture.ts";

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const BUN = path.join(REPO, "node_modules", "bun", "bin", "bun.exe");
const arg = (name: string) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : undefined);
const runs = Number(arg("--runs")) || 5;
const work = mkdtempSync(path.join(os.tmpdir(), "bun-parity-profile-"));

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
async function timed<T>(fn: () => T | Promise<T>): Promise<[T, number]> {
  const start = performance.now();
  const value = await fn();
  return [value, performance.now() - start];
}

/** Bun's phase lines: "  [71ms]  minify  -2.94 MB", "  [46ms]  bundle  647 modules", " [184ms] compile  <file>". */
function bunPhases(stdout: string): Record<string, number> {
  const phases: Record<string, number> = {};
  for (const match of stdout.matchAll(/\[(\d+(?:\.\d+)?)(ms|s)\]\s+(\w+)/g)) phases[match[3]!] = Number(match[1]) * (match[2] === "s" ? 1000 : 1);
  return phases;
}

function projectFor(name: string): string {
  if (name === "repo") return REPO;
  const dir = path.join(work, name);
  const config = JSON.parse(readFileSync(path.join(REPO, "targets.json"), "utf8")) as { targets: { id: string; os: string; arch: string; bunTarget: string }[] };
  writeGeneratedFixture(dir, { modules: 240, lockFile: path.join(REPO, "bun-runtimes.lock.json"), targetsFrom: config.targets });
  return dir;
}

const rows: [string, string, number][] = [];
const row = (project: string, step: string, ms: number) => rows.push([project, step, ms]);

try {
  for (const name of (arg("--project") ?? "repo,generated").split(",")) {
    const projectDir = projectFor(name);
    const cacheDir = defaultCacheDir(process.env);
    const config = loadConfig(path.join(projectDir, "targets.json"), { bunVersion: "1.4.5" });
    const outDir = path.join(work, `${name}-dist`);
    const plan = buildPlan(config, { bunVersion: "1.4.5", runtimePathFor: (r) => runtimeCachePath(cacheDir, r), outDir });
    const env = compilerEnvironment(plan.targets[0]!, process.env);
    const pool = new HashPool();
    const samples = new Map<string, number[]>();
    const add = (step: string, ms: number) => samples.set(step, [...(samples.get(step) ?? []), ms]);
    let manifest: Manifest | undefined;

    for (let run = 0; run < runs; run++) {
      const entries: Manifest["targets"] = [];
      for (const t of plan.targets) {
        mkdirSync(t.stagingDir, { recursive: true });
        const [compile, wall] = await timed(() =>
          spawnSync(BUN, t.argv, { cwd: t.cwd, env: compilerEnvironment(t, process.env), encoding: "utf8" }),
        );
        if (compile.status !== 0) throw new Error(`${t.target.id}: ${compile.stderr}`);
        const phases = bunPhases(compile.stdout);
        add(`${t.target.id} compile: whole process`, wall);
        add(`${t.target.id} compile: bundle (Bun's timer)`, (phases.bundle ?? 0) + (phases.minify ?? 0));
        add(`${t.target.id} compile: write executable (Bun's timer)`, phases.compile ?? 0);
        add(`${t.target.id} compile: rest (start, resolve, exit)`, wall - (phases.bundle ?? 0) - (phases.minify ?? 0) - (phases.compile ?? 0));
        add(`${t.target.id} our: read whole output`, (await timed(() => readWholeFile(t.stagedFile)))[1]);
        add(`${t.target.id} our: checkAndRepairOutput`, (await timed(() => checkAndRepairOutput(t, plan.bunVersion)))[1]);
        if (t.target.os === "darwin") {
          const bytes = readWholeFile(t.stagedFile);
          const [check, verifyMs] = await timed(() => verifyCodeSignature(bytes, t.stagedFile));
          add(`${t.target.id} our: verify Bun's signature`, verifyMs);
          if (check.state !== "valid") {
            const [signed, signMs] = await timed(() => signBunExecutableAdhoc(bytes));
            add(`${t.target.id} our: re-sign ad hoc (in memory)`, signMs);
            add(`${t.target.id} our: verify the new signature`, (await timed(() => verifyCodeSignature(signed, t.stagedFile)))[1]);
            add(`${t.target.id} our: write the re-signed file`, (await timed(() => writeFileAtomic(t.stagedFile, signed, { mode: 0o755 })))[1]);
          }
        }
        const [digest, hashMs] = await timed(() => pool.hash(t.stagedFile));
        add(`${t.target.id} our: sha256, worker (read + hash)`, hashMs);
        add(`${t.target.id} our: sha256, in process on a buffer`, (await timed(() => sha256Hex(readWholeFile(t.stagedFile))))[1]);
        const [modules, metaMs] = await timed(() => (t.metafile ? metafileInputs(readFileSync(t.metafile, "utf8")) : []));
        add(`${t.target.id} our: read the metafile`, metaMs);
        if (run === 0 && t === plan.targets[0]) add("reuse key: buildInputs, first in this process", (await timed(() => buildInputs(projectDir, modules, { boundary: inputBoundary(projectDir), exclude: [outDir] })))[1]);
        const [inputs, inputsMs] = await timed(() => buildInputs(projectDir, modules, { boundary: inputBoundary(projectDir), exclude: [outDir] }));
        add(`reuse key: buildInputs (${modules.length} modules, ${inputs.files.length} files, ${inputs.listings.length} folders)`, inputsMs);
        const [packages, packagesMs] = await timed(() => bundledPackages(projectDir, modules));
        add(`manifest: bundledPackages (${packages.length} packages)`, packagesMs);
        entries.push({
          id: t.target.id, os: t.target.os, arch: t.target.arch, libc: t.target.libc, bunTarget: t.target.bunTarget, file: t.outputFile,
          bytes: digest.bytes, sha256: digest.sha256, inputDigest: "sha256:" + sha256Hex(t.target.id), runtime: { package: t.runtime.name, version: t.runtime.version, sha256: "" },
          packages,
          fingerprint: buildFingerprint({ toolVersion: "0", bunVersion: plan.bunVersion, bunTarget: t.target.bunTarget, runtimeSha256: "", argv: t.argv, env: {}, inputs: inputs.files }),
          durationMs: 0,
        });
        rmSync(t.stagingDir, { recursive: true, force: true });
      }
      manifest = { schemaVersion: 1, tool: { name: "bun-parity", version: "0" }, bun: plan.bunVersion, name: plan.name, inputDigest: "", targets: entries };
      mkdirSync(outDir, { recursive: true });
      add(`index: writeDistIndex, ${entries.length} targets (manifest ${(stableJson(manifest).length / 1024).toFixed(0)} KiB)`, (await timed(() => writeDistIndex(outDir, manifest!)))[1]);
    }
    await pool.close();
    for (const [step, xs] of samples) row(name, step, median(xs));
    void env;
    void statSync;
    void writeFileSync;
    void cpSync;
  }
  const load = readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
  console.log(`profile, Bun 1.4.5, ${os.availableParallelism()} cores, load average ${load}, median of ${runs}`);
  let last = "";
  for (const [project, step, ms] of rows) {
    if (project !== last) console.log(`\n${project}`);
    last = project;
    console.log(`  ${ms.toFixed(1).padStart(8)} ms  ${step}`);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

export type { TargetPlan };
