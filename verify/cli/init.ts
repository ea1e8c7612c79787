// `bun-parity init`: add bun-parity to an existing Bun CLI project. Imports the build the
// project already has (verify/init/import/), keeps its Bun, writes the files (verify/init/files.ts decides
// their content), pins the target runtimes and probes the source for smoke cases.
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { execa, execaSync } from "execa";
import { starterWorkflow } from "../ci/index.ts";
import { type Config, parseConfig } from "../config/index.ts";
import { stableJson, writeFileAtomic } from "../digest/index.ts";
import { ConfigError, UsageError } from "../errors.ts";
import { type BuildImport, type BunVersionChoice, type ImportNote, type ImportReader, bunVersionClaims, chooseBunVersion, importBuild, type FileAction, type InitDecisions, planInit } from "../init/index.ts";
import { OLDEST_SUPPORTED_BUN, unsupportedBunProblem } from "../bun/index.ts";
import { buildPlan } from "../plan/index.ts";
import { runPrepareSteps } from "../build/index.ts";
import { bunNamedBun, type ProbeResult, type SmokeCaseJson, probeSourceCases } from "../validate/index.ts";
import { type ToolchainLock, bunForHost, defaultCacheDir, readToolchainLock, runtimesFor, updateToolchainLock } from "../toolchain/index.ts";
import { PINNED_VERSIONS, TOOL_VERSION } from "../version.ts";
import { checkPath } from "../paths.ts";
import { type PackageManager, chooseInstallTool } from "../parity/index.ts";
import type { Io } from "../io.ts";

export interface InitFlags {
  targets?: string;
  entry?: string;
  name?: string;
  force?: boolean;
  "dry-run"?: boolean;
  json?: boolean;
  "no-pin"?: boolean;
  "no-probe"?: boolean;
  bun?: string;
}

const LOOKED_AT = ["package.json", "targets.json", "justfile", "Justfile", ".justfile", "JUSTFILE", ".gitignore", "dagger.json", ".github/workflows/bun-parity.yml"];

/** Reads project files on demand (and remembers them); git answers which paths are ignored. */
export function projectReader(root: string): ImportReader {
  const cache = new Map<string, string | undefined>();
  let gitChecked: boolean | undefined;
  return {
    read(relative) {
      if (!cache.has(relative)) {
        const abs = path.join(root, relative);
        let text: string | undefined;
        try {
          text = statSync(abs).isFile() && statSync(abs).size < 2_000_000 ? readFileSync(abs, "utf8") : undefined;
        } catch {
          text = undefined;
        }
        cache.set(relative, text);
      }
      return cache.get(relative);
    },
    list(folder) {
      try {
        return readdirSync(path.join(root, folder)).map((f) => `${folder}/${f}`).sort();
      } catch {
        return [];
      }
    },
    ignored(relative) {
      // Synchronous on purpose: a handful of calls, and the import stays a pure function of its reader.
      if (gitChecked === false) return false;
      const run = execaSync("git", ["check-ignore", "-q", "--", relative], { cwd: root, reject: false });
      if (run.exitCode === 128) gitChecked = false; // not a git checkout
      return run.exitCode === 0;
    },
  };
}

export async function runInit(io: Io, flags: InitFlags): Promise<number> {
  const root = io.cwd;
  const log = (line: string) => io.stderr.write(`${line}\n`);
  const files = new Map<string, string>();
  for (const file of LOOKED_AT) {
    const abs = path.join(root, file);
    if (existsSync(abs)) files.set(file, readFileSync(checkPath(root, file, "input-file", { what: "init reads", fix: `Move ${file} out of the way: init expects it to be a file.`, allowEmpty: true }), "utf8"));
  }
  const reader = projectReader(root);
  const imported = importBuild(reader);
  const bun = await projectBun(reader, io);
  if (flags.bun !== undefined) {
    bun.version = flags.bun;
    delete bun.from;
  }
  const bunVersion = bun.version ?? PINNED_VERSIONS.bun;
  const unsupported = unsupportedBunProblem(bunVersion);
  if (unsupported) {
    throw new UsageError(
      `${unsupported}${bun.from ? ` (the version ${bun.from.at.file}:${bun.from.at.line} names)` : " (--bun)"}`,
      `Build with a supported Bun: bun-parity init --bun ${PINNED_VERSIONS.bun} (or a Bun from ${OLDEST_SUPPORTED_BUN} on), then pin the same version where the project states it.`,
    );
  }

  const options: Parameters<typeof planInit>[1] = {
    versions: { ...PINNED_VERSIONS, bun: bunVersion, bunParity: TOOL_VERSION },
    imported,
    reader,
  };
  if (bun.from) options.bunFrom = `${bun.from.at.file}:${bun.from.at.line}`;
  if (flags.targets) options.targets = flags.targets.split(",").map((t) => t.trim()).filter(Boolean);
  if (flags.entry) options.entry = flags.entry;
  if (flags.name) options.name = flags.name;
  if (flags.force) options.force = true;
  // The workflow is generated from the targets.json init writes, like `bun verify ci --write`.
  // The Dagger test and lint jobs run `just test` / `just lint`: only those the justfile has.
  options.workflow = (targetsJson, recipes) =>
    starterWorkflow(parseInitConfig(targetsJson, root, bunVersion), {
      daggerVersion: PINNED_VERSIONS.daggerEngine,
      recipeJobs: (["test", "lint"] as const).filter((r) => recipes.has(r)),
    });
  const snapshot = { files, exists: (rel: string) => existsSync(path.join(root, rel)) };
  // Compare with the smoke cases already there, so a second run changes nothing.
  const existingSmoke = existingSmokeCases(files.get("targets.json"));
  if (existingSmoke) options.smoke = existingSmoke;
  const first = planInit(snapshot, options);
  const firstTargets = first.actions.find((a) => a.file === "targets.json")!;
  const config = parseInitConfig(firstTargets.content ?? files.get("targets.json")!, root, bunVersion);

  const dryRun = Boolean(flags["dry-run"]);
  const cacheDir = defaultCacheDir(io.env);
  let lock: LockOutcome | undefined;
  if (!dryRun && !flags["no-pin"]) lock = await pinToolchain(config, bunVersion, io, log);
  // Smoke cases init saw pass on the source, with the Bun the project builds with.
  let probe: ProbeOutcome = { skipped: "--no-probe" };
  if (firstTargets.kind === "kept" || firstTargets.kind === "unchanged") {
    probe = { skipped: `targets.json is ${firstTargets.kind === "kept" ? "kept" : "already there"} with its smoke cases` };
  } else if (!flags["no-probe"]) {
    probe = await probeEntry(config, bunVersion, cacheDir, io, log, dryRun);
  }
  if ("cases" in probe) options.smoke = probe.cases;
  const { actions, decisions } = "cases" in probe ? planInit(snapshot, options) : first;
  const targetsAction = actions.find((a) => a.file === "targets.json")!;
  const targetsText = targetsAction.content ?? files.get("targets.json")!;

  const report: InitReport = { dryRun, decisions, bun, bunVersion, imported, actions, targetsJson: targetsText, probe, install: installTool(root) };
  if (lock) report.lock = lock;
  if (!dryRun) {
    for (const action of actions.filter((a) => a.kind === "create" || a.kind === "update")) {
      const abs = path.join(root, action.file);
      await mkdir(path.dirname(abs), { recursive: true });
      await writeFileAtomic(abs, action.content!);
    }
  }
  if (flags.json) {
    io.stdout.write(stableJson({ ...report, actions: actions.map(({ content: _content, ...rest }) => rest) }));
    return report.lock && "error" in report.lock ? 1 : 0;
  }
  io.stdout.write(formatInit(report));
  return report.lock && "error" in report.lock ? 1 : 0;
}

function existingSmokeCases(text: string | undefined): unknown[] | undefined {
  if (text === undefined) return undefined;
  try {
    const smoke = (JSON.parse(text) as { smoke?: unknown }).smoke;
    return Array.isArray(smoke) ? smoke : undefined;
  } catch {
    return undefined;
  }
}

/** The targets.json init wrote, parsed; a problem here is the project's Bun not supporting a target. */
function parseInitConfig(text: string, root: string, bunVersion: string): Config {
  try {
    return parseConfig(text, path.join(root, "targets.json"), { bunVersion, readProjectFile: (rel) => projectReader(root).read(rel) });
  } catch (error) {
    if (error instanceof ConfigError) {
      throw new UsageError(`with the project's Bun ${bunVersion}: ${error.problem}`, `${error.fix ?? ""} Or pass --targets to build fewer targets.`.trim());
    }
    throw error;
  }
}

async function projectBun(reader: ImportReader, io: Io): Promise<BunVersionChoice> {
  const claims = bunVersionClaims(reader, ancestorsInCheckout(io.cwd));
  const needsRegistry = claims.length > 0 && !claims.some((c) => c.exact !== undefined);
  let published: string[] | undefined;
  if (needsRegistry) {
    const run = await execa("npm", ["view", "bun", "versions", "--json"], { cwd: io.cwd, reject: false, timeout: 60_000 });
    try {
      published = run.exitCode === 0 ? (JSON.parse(String(run.stdout)) as string[]) : undefined;
    } catch {
      published = undefined;
    }
  }
  return chooseBunVersion(claims, published);
}

/** The checkout root: git's top level, or the folder itself outside a git checkout. */
function checkoutRoot(root: string): string {
  const run = execaSync("git", ["rev-parse", "--show-toplevel"], { cwd: root, reject: false });
  return run.exitCode === 0 ? path.resolve(String(run.stdout).trim()) : root;
}

/** The folders above a workspace package up to its checkout root, as relative paths ("..", "../.."). */
function ancestorsInCheckout(root: string): string[] {
  const top = checkoutRoot(root);
  const depth = path.relative(top, path.resolve(root)).split(path.sep).filter(Boolean).length;
  if (depth === 0 || path.relative(top, path.resolve(root)).startsWith("..")) return [];
  return Array.from({ length: depth }, (_, i) => Array(i + 1).fill("..").join("/"));
}

/**
 * The tool that installs the project, decided as the clean room decides it
 * (verify/parity/package-manager.ts), so init says now what `parity` would refuse after a build: lockfiles
 * of two tools, or a packageManager without its lockfile. No lockfile yet is fine here: the
 * install after init writes one.
 */
function installTool(root: string): InstallOutcome {
  const top = checkoutRoot(root);
  try {
    return { tool: chooseInstallTool(root, top, (f) => path.relative(root, f) || "the project folder").tool };
  } catch (error) {
    if (error instanceof UsageError && /^no lockfile/.test(error.message)) return {};
    if (error instanceof UsageError) return { problem: error.message, fix: error.fix ?? "" };
    throw error;
  }
}

type InstallOutcome = { tool?: PackageManager; problem?: string; fix?: string };

/**
 * What the probe found. `problem` is set when the entry cannot exist at build time as set up, so
 * `just build-all` would stop at the first step: init says so now, with the fix, instead of
 * leaving the user to find it in the build's error.
 */
type ProbeOutcome = { cases: SmokeCaseJson[]; tried: ProbeResult[]; bun: string } | { skipped: string; problem?: { text: string; fix: string } };

/**
 * Runs the source with --version, --help and no arguments (verify/validate/probe.ts). The entry may be a
 * build.prepare output: then the steps run first, as the build would run them.
 */
async function probeEntry(config: Config, bunVersion: string, cacheDir: string, io: Io, log: (line: string) => void, dryRun: boolean): Promise<ProbeOutcome> {
  const bun = await bunForHost(bunVersion, cacheDir, config.projectDir, !dryRun).catch(() => undefined);
  if (!bun) return { skipped: dryRun ? `no Bun ${bunVersion} at hand and --dry-run fetches nothing` : `no Bun ${bunVersion} runs on this machine` };
  const entry = path.join(config.projectDir, config.entrypoint);
  if (!existsSync(entry)) {
    const fromSource = "or run init again with --entry <the source module it is made from>";
    if (config.build.prepare.length === 0) {
      return {
        skipped: `${config.entrypoint} does not exist`,
        problem: { text: `${config.entrypoint} does not exist and build.prepare is empty, so the build will stop before compiling`, fix: `add the command that writes it to build.prepare in targets.json, ${fromSource}` },
      };
    }
    if (dryRun) return { skipped: `${config.entrypoint} is written by build.prepare, which --dry-run does not run` };
    log(`running build.prepare to probe ${config.entrypoint}`);
    try {
      const plan = buildPlan(config, { bunVersion, runtimePathFor: () => "", targets: [] });
      // The project's Bun is not installed yet (init adds it): steps that call `bun` get the one
      // init probes with, first on PATH under the name bun.
      const bunDir = path.dirname(bunNamedBun({ path: bun, version: bunVersion }));
      const pathKey = Object.keys(io.env).find((k) => k.toUpperCase() === "PATH") ?? "PATH";
      await runPrepareSteps(plan.prepare, { ...io.env, [pathKey]: `${bunDir}${path.delimiter}${io.env[pathKey] ?? ""}` }, log);
    } catch (error) {
      const why = (error as Error).message.split("\n")[0];
      return {
        skipped: `build.prepare failed, so ${config.entrypoint} could not be probed: ${why}`,
        problem: { text: `build.prepare failed here (${why}); the build runs the same steps first`, fix: "run the step by hand to see why (its output is above), then fix it or build.prepare in targets.json" },
      };
    }
    if (!existsSync(entry)) {
      return {
        skipped: `${config.entrypoint} does not exist after build.prepare`,
        problem: {
          text: `build.prepare (${config.build.prepare.map((s) => s.name).join("; ")}) ran, but ${config.entrypoint} still does not exist, so the build will stop before compiling`,
          fix: `add the step that writes ${config.entrypoint} to build.prepare in targets.json (when the build script writes it itself, move that part into a script of its own), ${fromSource}`,
        },
      };
    }
  }
  log(`probing ${config.entrypoint} with Bun ${bunVersion}: --version, --help, no arguments`);
  return { ...(await probeSourceCases(config.projectDir, config.entrypoint, bun, { build: config.build })), bun };
}

type LockOutcome = { file: string; lock: ToolchainLock; unchanged: boolean } | { error: string; fix: string };

/** What `bun verify toolchain --update` does, so `just build-all` works right after init. */
async function pinToolchain(config: Config, bunVersion: string, io: Io, log: (line: string) => void): Promise<LockOutcome> {
  const file = path.join(config.projectDir, "bun-runtimes.lock.json");
  let existing: ToolchainLock | undefined;
  try {
    existing = readToolchainLock(config.projectDir);
  } catch {
    existing = undefined; // unreadable: rewrite it
  }
  const needed = runtimesFor(config, bunVersion);
  if (existing && existing.bun === bunVersion && needed.every((r) => existing.runtimes[r.name]?.version === bunVersion)) {
    return { file, lock: existing, unchanged: true };
  }
  try {
    const lock = await updateToolchainLock(config, { path: "", version: bunVersion, source: "init" }, defaultCacheDir(io.env), log, { reuseFetched: true });
    return { file, lock, unchanged: false };
  } catch (error) {
    return {
      error: `could not pin the target runtimes of Bun ${bunVersion}: ${(error as Error).message}`,
      fix: "Check that npm can reach its registry, then run: npx bun verify toolchain --update",
    };
  }
}

interface InitReport {
  dryRun: boolean;
  decisions: InitDecisions;
  bun: BunVersionChoice;
  bunVersion: string;
  imported: BuildImport;
  actions: FileAction[];
  targetsJson: string;
  probe: ProbeOutcome;
  lock?: LockOutcome;
  install: InstallOutcome;
}

const VERB: Record<FileAction["kind"], [string, string]> = {
  create: ["created", "would create"],
  update: ["updated", "would update"],
  unchanged: ["unchanged", "unchanged"],
  kept: ["kept", "kept"],
};

const where = (note: ImportNote) => `${note.at.file}:${note.at.line}`;

export function formatInit(report: InitReport): string {
  const { dryRun, decisions, bun, imported, actions } = report;
  let out = `${dryRun ? "Dry run: nothing written.\n" : ""}bun-parity init: ${decisions.name} from ${decisions.entry}\n`;
  if (decisions.entryNote) out += `  entry: ${decisions.entryNote}\n`;
  out += bun.from
    ? `  Bun ${report.bunVersion}: the version ${bun.from.at.file}:${bun.from.at.line} names (${bun.from.spec})\n`
    : bun.version !== undefined
      ? `  Bun ${report.bunVersion}: from --bun\n`
      : `  Bun ${report.bunVersion}: the project names no Bun version; proposing the one this bun-parity is tested with\n`;
  for (const c of bun.conflicts) out += `  note: ${c.at.file}:${c.at.line} says ${c.spec}; the executables are built with ${report.bunVersion}\n`;
  for (const c of bun.floating) {
    out += `  note: ${c.at.file}:${c.at.line} says ${c.spec || "no version"}, which follows Bun's releases; the executables stay on ${report.bunVersion} until you change the pin (the \`bun\` devDependency, then \`bun verify toolchain --update\`)\n`;
  }
  for (const d of decisions.droppedTargets ?? []) out += `  target ${d.id} left out: ${d.why}, and the project's Bun is ${report.bunVersion}\n`;

  if (imported.source) {
    out += `\nImported from your build (${imported.source.root}, ${imported.source.at.file}:${imported.source.at.line}):\n`;
    for (const note of imported.imported) out += `  ${where(note).padEnd(28)} ${note.text}\n`;
  } else {
    out += "\nNo `bun build --compile` found in package.json scripts, justfile, Makefile, build scripts or workflows: using bun-parity's defaults.\n";
  }
  if (imported.notImported.length > 0) {
    out += "Not imported (check targets.json):\n";
    for (const note of imported.notImported) out += `  ${where(note).padEnd(28)} ${note.text}\n`;
  }

  out += "\nFiles:\n";
  const width = Math.max(...actions.map((a) => a.file.length));
  for (const a of actions) out += `  ${VERB[a.kind][dryRun ? 1 : 0].padEnd(12)} ${a.file.padEnd(width)}  ${a.why}\n`;
  out += "\nSmoke cases (the source run with --version, --help, no arguments):\n";
  if ("skipped" in report.probe) out += `  not probed: ${report.probe.skipped}\n`;
  else {
    for (const t of report.probe.tried) out += `  ${t.kept ? "kept   " : "dropped"} ${(t.args.join(" ") || "(no arguments)").padEnd(16)} ${t.reason}\n`;
    if (report.probe.cases.length === 0) out += "  none passed: no smoke case written; add cases that show the program works (docs/validate.md)\n";
  }
  if (dryRun) out += `\ntargets.json${actions.find((a) => a.file === "targets.json")?.kind === "kept" ? " (kept as it is)" : ""}:\n${report.targetsJson.replace(/^/gm, "  ")}`;
  if (report.lock) {
    out += "\nToolchain:\n";
    if ("error" in report.lock) out += `  error: ${report.lock.error}\n  fix: ${report.lock.fix}\n`;
    else {
      out += `  ${report.lock.unchanged ? "unchanged" : "pinned"}   ${path.basename(report.lock.file)}: Bun ${report.lock.lock.bun}\n`;
      for (const [name, entry] of Object.entries(report.lock.lock.runtimes)) out += `    ${name}@${entry.version}  sha256:${entry.sha256}\n`;
    }
  } else if (!dryRun) {
    out += "\nToolchain: not pinned (--no-pin); run: npx bun verify toolchain --update\n";
  }
  const changed = actions.some((a) => a.kind === "create" || a.kind === "update");
  if (!changed && report.lock && !("error" in report.lock) && report.lock.unchanged) return out + "\nNothing to do: the project is already set up.\n";
  const install = report.install;
  if (install.problem) out += `\nInstalling: the clean room (bun verify parity) will refuse this project:\n  ${install.problem}\n  fix: ${install.fix}\n`;
  if ("problem" in report.probe && report.probe.problem) out += `\nBuilding: ${report.probe.problem.text}\n  fix: ${report.probe.problem.fix}\n`;
  const installCommand = `${install.tool ?? "npm"} install`;
  out += `
Next:
  ${installCommand.padEnd(37)}# bun, just and bun-parity at the pinned versions${install.tool && install.tool !== "npm" ? ` (your lockfile is ${install.tool}'s)` : ""}
  just build-all && npx bun verify parity
  (commit targets.json, bun-runtimes.lock.json, the justfile and the lockfile)
`;
  return out;
}
