// `bun verify parity`: build natively with the user's own `just build-all`, get the reference
// (dagger, clean-room, a folder, SHA256SUMS or manifest.json, local or https), compare each
// target bit for bit, and explain every difference.
import { existsSync, statSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { type CleanRoom, binFolders, prepareCleanRoom, describeCheckout, type ParityRow, type Side, compareSides, parityPassed, sideFromFolder, sideFromListing, type ParityReport, type ReferenceInfo, type ValidationSummary } from "../parity/index.ts";
import { selectTargets, type Config, type Target } from "../config/index.ts";
import { MANIFEST_FILE, readManifest, readWholeFile, stableJson } from "../digest/index.ts";
import { CheckFailed, UsageError } from "../errors.ts";
import { writeMarkdown, parityMarkdown, parityText } from "../report/index.ts";
import { annotate, logEvent, recordResult, traceEnv, withSpan } from "../telemetry/index.ts";
import { type Project, loadProject } from "../toolchain/index.ts";
import type { Io } from "../io.ts";

export interface ParityFlags {
  config?: string;
  reference?: string;
  target?: string[];
  json?: boolean;
  markdown?: string;
  keep?: boolean;
}

export async function runParity(io: Io, flags: ParityFlags): Promise<number> {
  const project = await loadProject(io, flags.config);
  const { config } = project;
  const targets = selectTargets(config, flags.target);
  const log = (line: string) => io.stderr.write(`${line}\n`);
  const cleanup: string[] = [];
  try {
    const reference = await chooseReference(flags.reference, io);
    log(`parity: reference ${reference.kind}${reference.chosenBecause ? ` (${reference.chosenBecause})` : ""}`);
    // The clean room's checkout is taken before the native build, from the state the user ran
    // parity in (and bad input ends here, before minutes of building).
    const room = reference.kind === "clean-room" ? await withSpan("clean room checkout", {}, () => openCleanRoom(project, reference, io, cleanup)) : undefined;

    const nativeCommand = await withSpan("native build", { "bun_parity.side": "native" }, () => nativeBuild(project, flags.target, io, Boolean(flags.json)));
    const native = await sideFromFolder(config.outDir, "native");

    const referenceSide = await withSpan(
      "reference build",
      { "bun_parity.side": "reference", "bun_parity.reference.kind": reference.kind, "bun_parity.reference.location": reference.location.replace(/(https?:\/\/)[^@/\s]*@/gi, "$1") },
      () => buildReference(reference, project, io, Boolean(flags.json), cleanup, flags.target, room),
    );
    const fileOf = (t: { id: string; os: string }) => `${config.name}-${t.id}${t.os === "windows" ? ".exe" : ""}`;
    // Every configured target's file is known, so a --target run does not call the others extras.
    const rows = compareSides(
      targets.map((t) => ({ id: t.id, file: fileOf(t) })),
      native,
      referenceSide,
      config.targets.map(fileOf),
    );
    await explainDifferences(rows);
    const validation = await withSpan("validate native", {}, () => validateNative(config, targets, io.cwd));

    const report: ParityReport = {
      project: config.projectDir,
      native: { command: nativeCommand, distDir: config.outDir },
      reference,
      rows,
      validation,
      passed: parityPassed(rows) && validation.inspect.failures.length === 0 && validation.smoke.failed.length === 0,
    };
    recordResult("parity", report);
    recordResult("targets", targets.map((t) => ({ id: t.id, os: t.os, arch: t.arch, file: fileOf(t), runner: t.runner, maxBytes: t.maxBytes })));
    const manifest = await readManifest(path.join(config.outDir, MANIFEST_FILE)).catch(() => undefined);
    if (manifest) recordResult("manifest", manifest);
    // A SLSA Verification Summary Attestation per executable records the reference and the verdict.
    const { writeParityVsas } = await import("../security/index.ts");
    const vsas = await writeParityVsas(report, { env: io.env });
    if (vsas.length > 0) log(`parity: verification summaries: ${vsas.map((f) => path.relative(io.cwd, f)).join(", ")}`);
    if (flags.json) io.stdout.write(stableJson(report));
    else io.stdout.write(parityText(report));
    await writeMarkdown(io, flags.markdown, parityMarkdown(report));
    for (const row of rows.filter((r) => r.verdict !== "identical")) {
      annotate(io, "error", `parity ${row.target || row.file}`, `${row.file}: ${row.verdict}${row.explanation ? ` (${row.explanation[0]})` : ""}`);
    }
    if (flags.keep && cleanup.length > 0) {
      log(`kept: ${cleanup.join(", ")}`);
      cleanup.length = 0;
    }
    for (const f of validation.inspect.failures) annotate(io, "error", `inspect ${path.basename(f.file)}`, f.problems.join("; "), f.file);
    for (const f of validation.smoke.failed) annotate(io, "error", `smoke ${f.target}`, `${f.case}: ${f.reason}`);
    if (!report.passed) {
      const bad = rows.filter((r) => r.verdict !== "identical");
      const reasons = [
        bad.length > 0 ? `${bad.length} of ${rows.length} artifacts are not identical to the ${reference.kind} reference` : "",
        validation.inspect.failures.length > 0 ? `${validation.inspect.failures.length} native artifact(s) failed inspection` : "",
        validation.smoke.failed.length > 0 ? `${validation.smoke.failed.length} smoke case(s) failed` : "",
      ].filter(Boolean);
      throw new CheckFailed(reasons.join("; "));
    }
    return 0;
  } finally {
    await Promise.all(cleanup.map((dir) => rm(dir, { recursive: true, force: true })));
  }
}

async function chooseReference(spec: string | undefined, io: Io): Promise<ReferenceInfo> {
  if (spec === "dagger") {
    const problem = await daggerProblem(io);
    if (problem) {
      throw new UsageError(
        `--reference dagger needs the Dagger CLI: ${problem}`,
        "Install it (https://docs.dagger.io/install: `curl -fsSL https://dl.dagger.io/dagger/install.sh | sh`, with Docker or another container runtime running), or use --reference clean-room, a folder, a SHA256SUMS file or a manifest.json.",
      );
    }
    return { kind: "dagger", location: "dagger call build-all export" };
  }
  if (spec === undefined) {
    const problem = await daggerProblem(io);
    return problem
      ? { kind: "clean-room", location: "clean-room rebuild", chosenBecause: `default; dagger not used: ${problem}` }
      : { kind: "dagger", location: "dagger call build-all export", chosenBecause: "default: a working dagger CLI was found" };
  }
  if (spec === "clean-room") return { kind: "clean-room", location: "clean-room rebuild" };
  if (/^https?:\/\//.test(spec)) return { kind: "listing", location: spec };
  const abs = path.resolve(io.cwd, spec);
  if (!existsSync(abs)) {
    throw new UsageError(`--reference ${spec}: no such file or folder`, "Use dagger, clean-room, a folder of artifacts, a SHA256SUMS file, a manifest.json, or an https URL of one.");
  }
  return statSync(abs).isDirectory() ? { kind: "folder", location: abs } : { kind: "listing", location: abs };
}

/** Why the dagger CLI cannot be used here, or undefined when `dagger version` works. */
async function daggerProblem(io: Io): Promise<string | undefined> {
  const { execa } = await import("execa");
  const run = await execa("dagger", ["version"], { env: io.env, reject: false, timeout: 20_000 });
  if (run.failed && (run as { code?: string }).code === "ENOENT") return "no `dagger` on PATH";
  if (run.exitCode !== 0) return `\`dagger version\` failed: ${String(run.stderr || run.stdout).trim().split("\n")[0]}`;
  return undefined;
}

/** The user's own build: `just build-all` (for --target: with those targets, or `just build <id>` each). */
async function nativeBuild(project: Project, selected: string[] | undefined, io: Io, quiet: boolean): Promise<string> {
  const { projectDir } = project.config;
  const commands = buildCommands(await justRecipes(projectDir, io.env), selected, projectDir);
  // TRACEPARENT nests the spans of the `bun verify build` that just runs under this one.
  for (const args of commands) await runLogged(justPath(projectDir), args, { cwd: projectDir, env: { ...io.env, ...traceEnv() } }, io, quiet, `native build (just ${args.join(" ")})`);
  return commands.map((c) => `just ${c.join(" ")}`).join(" && ");
}

/**
 * The just invocations that build the selected targets, the same on both sides. `build-all *ARGS`
 * (what init writes) takes `--target id`; else a `build TARGET` recipe that runs bun verify build
 * (a project's own `build` recipe may do anything else); else all of `build-all`.
 */
function buildCommands(recipes: Map<string, JustRecipe>, selected: string[] | undefined, projectDir: string): string[][] {
  const buildAll = recipes.get("build-all");
  if (!buildAll) {
    throw new UsageError(
      `${projectDir} has no justfile with a build-all recipe`,
      `Add the recipe to ${path.join(projectDir, "justfile")} (bun-parity init writes it):\n  build-all *ARGS:\n      npx --no bun verify build {{ARGS}}`,
    );
  }
  if (!selected || selected.length === 0) return [["build-all"]];
  if (buildAll.variadic) return [["build-all", ...selected.flatMap((id) => ["--target", id])]];
  const build = recipes.get("build");
  if (build && build.parameters === 1 && /\b(verify|bun-parity)\b.*\bbuild\b/.test(build.body)) return selected.map((id) => ["build", id]);
  return [["build-all"]];
}

interface JustRecipe {
  /** Number of parameters. */
  parameters: number;
  /** The last parameter takes any number of arguments (`*ARGS`, `+ARGS`). */
  variadic: boolean;
  /** The body's text, interpolations dropped. */
  body: string;
}

function justPath(projectDir: string): string {
  const local = path.join(projectDir, "node_modules", ".bin", "just");
  return existsSync(local) ? local : "just";
}

/** The justfile's recipes (`just --dump --dump-format json`); a `just` that cannot start, or a justfile it cannot read, is named as such. */
async function justRecipes(projectDir: string, env: NodeJS.ProcessEnv): Promise<Map<string, JustRecipe>> {
  const { execa } = await import("execa");
  const just = justPath(projectDir);
  const run = await execa(just, ["--dump", "--dump-format", "json"], { cwd: projectDir, env, reject: false });
  const code = (run as { code?: string }).code;
  if (run.failed && run.exitCode === undefined) {
    throw new UsageError(
      `cannot start just (${just}): ${code ?? run.shortMessage}`,
      "Install it with the project's dependencies (npm ci installs the pinned rust-just), or put a working `just` on PATH.",
    );
  }
  if (run.exitCode !== 0) {
    const why = String(run.stderr).trim().split("\n")[0] ?? "";
    if (/no justfile found/i.test(why)) return new Map();
    throw new UsageError(`\`just --dump\` failed in ${projectDir}: ${why}`, "Fix the justfile: run `just --summary` there to see the error.");
  }
  type Dumped = { recipes?: Record<string, { parameters?: { kind?: string }[]; body?: unknown[][] }> };
  const dumped = JSON.parse(String(run.stdout)) as Dumped;
  const recipes = new Map<string, JustRecipe>();
  for (const [name, recipe] of Object.entries(dumped.recipes ?? {})) {
    const parameters = recipe.parameters ?? [];
    const body = (recipe.body ?? []).map((line) => line.filter((fragment) => typeof fragment === "string").join("")).join("\n");
    recipes.set(name, { parameters: parameters.length, variadic: ["star", "plus"].includes(parameters[parameters.length - 1]?.kind ?? ""), body });
  }
  return recipes;
}

async function runLogged(
  command: string,
  args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv | Record<string, string>; extendEnv?: boolean },
  io: Io,
  quiet: boolean,
  what: string,
): Promise<void> {
  const { execa } = await import("execa");
  const child = execa(command, args, { ...options, reject: false, all: true, stdin: "ignore" });
  if (!quiet) child.all?.on("data", (chunk: Buffer) => io.stderr.write(chunk.toString()));
  const run = await child;
  if (run.exitCode !== 0) {
    const tail = String(run.all ?? "").trim().split("\n").slice(-30).join("\n");
    throw new CheckFailed(`${what} failed with exit code ${run.exitCode ?? run.signal}${quiet ? `:\n${tail}` : ""}`);
  }
}

async function buildReference(reference: ReferenceInfo, project: Project, io: Io, quiet: boolean, cleanup: string[], selected?: string[], room?: CleanRoom): Promise<Side> {
  const label = `reference (${reference.kind})`;
  switch (reference.kind) {
    case "folder":
      return sideFromFolder(reference.location, label);
    case "listing":
      return sideFromListing(reference.location, label);
    case "dagger": {
      const dir = await mkdtemp(path.join(os.tmpdir(), "bun-parity-dagger-"));
      cleanup.push(dir);
      reference.command = `dagger call build-all export --path ${dir} --wipe`;
      await runLogged("dagger", ["call", "build-all", "export", "--path", dir, "--wipe"], { cwd: project.config.projectDir, env: { ...io.env, ...traceEnv() } }, io, quiet, "dagger build");
      return sideFromFolder(dir, label);
    }
    case "clean-room":
      if (!room) throw new Error("the clean room was not prepared");
      return cleanRoomSide(room, reference, io, quiet, label, selected);
  }
}

/** Recreates the user's checkout in a clean room and decides its install; nothing of the project runs yet. */
async function openCleanRoom(project: Project, reference: ReferenceInfo, io: Io, cleanup: string[]): Promise<CleanRoom> {
  const room = await prepareCleanRoom(project.config, io.env, { bun: project.compiler });
  cleanup.push(room.root);
  reference.location = room.projectDir;
  const { checkout, install } = room;
  const fromTop = (p: string) => path.relative(room.top, p).split(path.sep).join("/") || ".";
  const command = install.argv.map((a) => (/[\s"']/.test(a) ? JSON.stringify(a) : a)).join(" ");
  reference.cleanRoom = {
    variations: room.variations,
    notApplied: room.notApplied,
    sharedCaches: room.sharedCaches,
    projectDir: room.projectDir,
    checkout: {
      description: describeCheckout(checkout),
      head: checkout.head,
      branch: checkout.branch,
      dirty: checkout.dirty,
      tree: checkout.tree,
      changes: checkout.changes,
      leftOut: checkout.leftOut,
      excluded: checkout.excluded,
      shallow: checkout.shallow,
      submodules: checkout.submodules.map((s) => ({ path: s.path, description: "notCheckedOut" in s.state ? s.state.notCheckedOut : describeCheckout(s.state) })),
    },
    install: { tool: install.tool, version: install.version, lockfile: fromTop(install.lockfile), dir: fromTop(install.dir), command, how: install.how },
  };
  io.stderr.write(`clean room: ${room.top}\n`);
  io.stderr.write(`clean room: git checkout of ${describeCheckout(checkout)}\n`);
  if (checkout.leftOut.length > 0) {
    const shown = checkout.leftOut.slice(0, 12);
    io.stderr.write(`clean room: left out (ignored by git): ${shown.join(", ")}${checkout.leftOut.length > shown.length ? `, and ${checkout.leftOut.length - shown.length} more (see --json)` : ""}\n`);
  }
  for (const sub of reference.cleanRoom.checkout.submodules) io.stderr.write(`clean room: submodule ${sub.path}: ${sub.description}\n`);
  io.stderr.write(`clean room: install in ${fromTop(install.dir)}: ${install.how}\n`);
  return room;
}

async function cleanRoomSide(room: CleanRoom, reference: ReferenceInfo, io: Io, quiet: boolean, label: string, selected: string[] | undefined): Promise<Side> {
  const { install } = room;
  const command = reference.cleanRoom!.install.command;
  const options = { cwd: room.projectDir, env: { ...room.env, ...traceEnv() }, extendEnv: false };
  await runLogged(install.argv[0]!, install.argv.slice(1), { ...options, cwd: install.dir }, io, quiet, `clean-room install (${command})`);
  const just = binFolders(room.projectDir, install.dir).map((dir) => path.join(dir, "just")).find((f) => existsSync(f)) ?? "just";
  // The same just invocations as the native side.
  const builds = buildCommands(await justRecipes(room.projectDir, room.env), selected, room.projectDir);
  // As typed in the project folder: the install runs in the workspace root when the lockfile is there.
  const where = install.dir === room.projectDir ? `${command} && ` : `(cd ${path.relative(room.projectDir, install.dir).split(path.sep).join("/")} && ${command}) && `;
  reference.command = `${where}umask ${room.umask} && ${builds.map((b) => `just ${b.join(" ")}`).join(" && ")}`;
  for (const args of builds) {
    const what = `clean-room build (just ${args.join(" ")})`;
    if (process.platform === "win32") await runLogged(just, args, options, io, quiet, what);
    // umask is a shell setting: apply it in a shell that then becomes just.
    else await runLogged("sh", ["-c", `umask ${room.umask} && exec "$0" "$@"`, just, ...args], options, io, quiet, what);
  }
  return sideFromFolder(room.distDir, label);
}

/** Inspect and smoke-run the native artifacts: parity of broken binaries is no release. */
async function validateNative(config: Config, targets: Target[], cwd: string): Promise<ValidationSummary> {
  const { distItems, inspectItems, smokeDist, smokeWarnings } = await import("../validate/index.ts");
  const facts = await inspectItems(await distItems(config.outDir, config, targets), cwd);
  const cases = config.smoke.length > 0 ? await smokeDist(config.outDir, config, targets) : [];
  return {
    inspect: { checked: facts.length, failures: facts.filter((f) => !f.ok).map((f) => ({ file: f.file, problems: f.problems })) },
    smoke: {
      passed: cases.filter((c) => c.status === "pass").length,
      failed: cases.filter((c) => c.status === "fail").map((c) => ({ target: c.target, case: c.case, reason: c.reason })),
      notRun: cases.filter((c) => c.status === "not-run").length,
      warnings: smokeWarnings(cases),
    },
  };
}

/** One span per compared target (verdict, both hashes); explain runs inside it for every differing pair whose bytes are both here. */
async function explainDifferences(rows: ParityRow[]): Promise<void> {
  for (const row of rows) {
    const id = row.target || row.file;
    await withSpan(`parity ${id}`, {
      "bun_parity.target": row.target || undefined,
      "bun_parity.file": row.file,
      "bun_parity.verdict": row.verdict,
      "bun_parity.sha256": row.native?.sha256,
      "bun_parity.reference.sha256": row.reference?.sha256,
      "bun_parity.bytes": row.native?.bytes,
    }, async (span) => {
      if (row.verdict === "differs") await explainRow(row);
      if (row.verdict !== "identical") span.fail(`${row.file}: ${row.verdict}${row.explanation ? ` (${row.explanation[0]})` : ""}`);
    });
    logEvent(row.verdict === "identical" ? "info" : "error", "parity.target", {
      target: row.target || undefined, file: row.file, verdict: row.verdict, sha256: row.native?.sha256, referenceSha256: row.reference?.sha256, explanation: row.explanation, message: `${row.file}: ${row.verdict}`,
    }, { annotate: false });
  }
}

async function explainRow(row: ParityRow): Promise<void> {
  if (!row.native?.path || !row.reference?.path) {
    row.explanation = ["cannot explain: the reference has only hashes; download its artifact and run `bun verify explain <native> <reference>`"];
    return;
  }
  const { causeLine, explainDifference } = await import("../explain/index.ts");
  const { fingerprintOf } = await import("../explain/index.ts");
  await withSpan(`explain ${row.target || row.file}`, { "bun_parity.target": row.target || undefined }, async (span) => {
    try {
      const [a, b] = [readWholeFile(row.native!.path!), readWholeFile(row.reference!.path!)];
      // Each side's manifest.json (the build that wrote it) has its fingerprint: the evidence.
      const [fa, fb] = [fingerprintOf(row.native!.path!, row.native!.sha256), fingerprintOf(row.reference!.path!, row.reference!.sha256)];
      const fingerprints = { a: fa?.fingerprint, b: fb?.fingerprint, sourceA: fa?.source, sourceB: fb?.source };
      const result = explainDifference(a, b, { a: row.native!.path!, b: row.reference!.path! }, { fingerprints });
      row.explanation = result.causes.map(causeLine);
      span.setAttributes({ "bun_parity.causes": result.causes.map((c) => c.code), "bun_parity.differing_bytes": result.differingBytes });
    } catch (error) {
      row.explanation = [`explain failed: ${(error as Error).message}`];
      span.fail(error);
    }
  });
}
