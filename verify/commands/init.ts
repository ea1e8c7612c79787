// `bun-parity init`: add bun-parity to an existing Bun CLI project. Imports the build the
// project already has (verify/import/), keeps its Bun, writes the files (verify/init.ts decides
// their content), pins the target runtimes and probes the source for smoke cases.
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { execa, execaSync } from "execa";
import { starterWorkflow } from "../ci.ts";
import { type Config, parseConfig } from "../config.ts";
import { stableJson, writeFileAtomic } from "../digest.ts";
import { ConfigError, UsageError } from "../errors.ts";
import { type BuildImport, type BunVersionChoice, type ImportNote, type ImportReader, bunVersionClaims, chooseBunVersion, importBuild } from "../import/index.ts";
import { type FileAction, type InitDecisions, planInit } from "../init.ts";
import { type ToolchainLock, defaultCacheDir, readToolchainLock, runtimesFor, updateToolchainLock } from "../toolchain.ts";
import { PINNED_VERSIONS, TOOL_VERSION } from "../version.ts";
import type { Io } from "./context.ts";

export interface InitFlags {
  targets?: string;
  entry?: string;
  name?: string;
  force?: boolean;
  "dry-run"?: boolean;
  json?: boolean;
  "no-pin"?: boolean;
  "no-probe"?: boolean;
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
    if (existsSync(abs) && statSync(abs).isFile()) files.set(file, readFileSync(abs, "utf8"));
  }
  const reader = projectReader(root);
  const imported = importBuild(reader);
  const bun = await projectBun(reader, io);
  const bunVersion = bun.version ?? PINNED_VERSIONS.bun;

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
  options.workflow = (targetsJson) => starterWorkflow(parseInitConfig(targetsJson, root, bunVersion), { daggerVersion: PINNED_VERSIONS.daggerEngine });
  const { actions, decisions } = planInit({ files, exists: (rel) => existsSync(path.join(root, rel)) }, options);
  const targetsAction = actions.find((a) => a.file === "targets.json")!;
  const targetsText = targetsAction.content ?? files.get("targets.json")!;
  const config = parseInitConfig(targetsText, root, bunVersion);

  const dryRun = Boolean(flags["dry-run"]);
  const report: InitReport = { dryRun, decisions, bun, bunVersion, imported, actions, targetsJson: targetsText };
  if (!dryRun) {
    for (const action of actions.filter((a) => a.kind === "create" || a.kind === "update")) {
      const abs = path.join(root, action.file);
      await mkdir(path.dirname(abs), { recursive: true });
      await writeFileAtomic(abs, action.content!);
    }
    if (!flags["no-pin"]) report.lock = await pinToolchain(config, bunVersion, io, log);
  }
  if (flags.json) {
    io.stdout.write(stableJson({ ...report, actions: actions.map(({ content: _content, ...rest }) => rest) }));
    return report.lock && "error" in report.lock ? 1 : 0;
  }
  io.stdout.write(formatInit(report));
  return report.lock && "error" in report.lock ? 1 : 0;
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
  const claims = bunVersionClaims(reader);
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
  lock?: LockOutcome;
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
    : `  Bun ${report.bunVersion}: the project names no Bun version; proposing the one this bun-parity is tested with\n`;
  for (const c of bun.conflicts) out += `  note: ${c.at.file}:${c.at.line} says ${c.spec}; the executables are built with ${report.bunVersion}\n`;

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
  out += `
Next:
  npm install                          # bun, just and bun-parity at the pinned versions
  just build-all && npx bun verify parity
  (commit targets.json, bun-runtimes.lock.json and the justfile)
`;
  return out;
}
