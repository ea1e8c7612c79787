// `bun-parity init` (issue 9, point 2): what to write into an existing Bun CLI project so it
// builds, hashes and proves parity like this repository. Pure: it decides file contents from
// the files that are there; commands/init.ts reads and writes them.
import path from "node:path";
import { defaultRunnerFor, type Arch, type Os } from "./bun-targets.ts";
import { UsageError } from "./errors.ts";

export const DEFAULT_TARGETS = ["linux-x64", "linux-arm64", "darwin-x64", "darwin-arm64", "windows-x64", "windows-arm64"];
/** Where `dagger call` finds this repository's module when a project uses it as its blueprint. */
export const MODULE_SOURCE = "github.com/bun-parity/bun-parity";
const ENTRY_CANDIDATES = ["src/cli.ts", "src/index.ts", "src/main.ts", "cli.ts", "index.ts", "main.ts", "src/cli.js", "src/index.js", "cli.js", "index.js"];

export interface ProjectSnapshot {
  /** Text of each file that exists, by path relative to the project (only the ones init looks at). */
  files: Map<string, string>;
  exists: (relative: string) => boolean;
}

export interface InitOptions {
  targets?: string[];
  entry?: string;
  name?: string;
  force?: boolean;
  /** Versions this bun-parity pins in the project. */
  versions: { bun: string; just: string; bunParity: string; daggerEngine: string };
  /** The workflow for the project's targets (from verify/ci.ts), when init should write one. */
  workflow?: (targetsJsonText: string) => string;
}

export type ActionKind = "create" | "update" | "unchanged" | "kept";

export interface FileAction {
  file: string;
  kind: ActionKind;
  /** The full new content for create/update. */
  content?: string;
  why: string;
}

interface PackageJson {
  name?: string;
  version?: string;
  bin?: string | Record<string, string>;
  scripts?: Record<string, string>;
  devDependencies?: Record<string, string>;
  dependencies?: Record<string, string>;
  [key: string]: unknown;
}

export function planInit(project: ProjectSnapshot, options: InitOptions): { actions: FileAction[]; entry: string; name: string } {
  const pkgText = project.files.get("package.json");
  if (pkgText === undefined) {
    throw new UsageError("no package.json here: init adds bun-parity to an existing Bun/Node project", "Run it in the project's root folder (or `npm init -y` first).");
  }
  let pkg: PackageJson;
  try {
    pkg = JSON.parse(pkgText) as PackageJson;
  } catch (error) {
    throw new UsageError(`package.json is not valid JSON: ${(error as Error).message}`, "Fix package.json first.");
  }
  const entry = options.entry ?? detectEntry(pkg, project);
  const name = options.name ?? detectName(pkg);
  const targets = options.targets ?? DEFAULT_TARGETS;
  for (const id of targets) {
    if (!DEFAULT_TARGETS.includes(id) && !/^linux-(x64|arm64)-musl$/.test(id)) {
      throw new UsageError(`--targets: unknown target "${id}"`, `Use ids from: ${[...DEFAULT_TARGETS, "linux-x64-musl", "linux-arm64-musl"].join(", ")}.`);
    }
  }

  const targetsJson = renderTargetsJson(name, entry, targets);
  const actions: FileAction[] = [
    replaceable("targets.json", targetsJson, project, options.force, "what to build and how to smoke-test it"),
    updatePackageJson(pkgText, pkg, options),
    updateJustfile(project.files.get("justfile") ?? project.files.get("Justfile")),
    updateGitignore(project.files.get(".gitignore")),
  ];
  if (options.workflow) {
    actions.push(replaceable(".github/workflows/bun-parity.yml", options.workflow(targetsJson), project, options.force, "CI: Dagger build plus a validation job per target"));
  }
  actions.push(daggerJson(project, name, options));
  return { actions, entry, name };
}

function detectEntry(pkg: PackageJson, project: ProjectSnapshot): string {
  const bins = typeof pkg.bin === "string" ? [pkg.bin] : Object.values(pkg.bin ?? {});
  for (const bin of bins) {
    const relative = path.posix.normalize(bin.replaceAll("\\", "/")).replace(/^\.\//, "");
    if (project.exists(relative)) return relative;
  }
  const found = ENTRY_CANDIDATES.find((c) => project.exists(c));
  if (found) return found;
  throw new UsageError(
    "could not find the program's entry file (no package.json bin, none of src/cli.ts, src/index.ts, index.ts, ...)",
    "Pass it: bun-parity init --entry path/to/cli.ts",
  );
}

function detectName(pkg: PackageJson): string {
  const bin = typeof pkg.bin === "object" ? Object.keys(pkg.bin)[0] : undefined;
  const raw = bin ?? pkg.name?.replace(/^@[^/]+\//, "") ?? "app";
  const name = raw.replace(/[^A-Za-z0-9._-]/g, "-").replace(/^[^A-Za-z0-9]+/, "");
  return name || "app";
}

export function renderTargetsJson(name: string, entry: string, targets: string[]): string {
  const entries = targets.map((id) => {
    const [os, arch, musl] = id.split("-") as [Os, Arch, string?];
    const target: Record<string, string> = { id, os, arch };
    if (musl) target.libc = "musl";
    target.runner = defaultRunnerFor({ os, arch });
    return target;
  });
  const config = {
    $schema: "./node_modules/bun-parity/targets.schema.json",
    name,
    entrypoint: entry,
    outDir: "dist",
    build: { minify: true, sourcemap: false, bytecode: false, env: { NODE_ENV: "production" }, autoload: { dotenv: false, bunfig: false } },
    targets: entries,
    smoke: [{ name: "help", args: ["--help"], exitCode: 0, timeoutMs: 20000 }],
  };
  // One target per line: diffs of targets.json stay readable.
  const json = JSON.stringify(config, null, 2);
  return json.replace(/\{\n\s+"id": ([^}]*?)\n\s+\}/g, (_m, inner: string) => `{ "id": ${inner.replace(/,\n\s+/g, ", ")} }`) + "\n";
}

function replaceable(file: string, content: string, project: ProjectSnapshot, force: boolean | undefined, what: string): FileAction {
  const existing = project.files.get(file);
  if (existing === undefined) return { file, kind: "create", content, why: what };
  if (existing === content) return { file, kind: "unchanged", why: what };
  if (force) return { file, kind: "update", content, why: `${what} (--force)` };
  return { file, kind: "kept", why: "exists and differs from what init would write; kept (--force replaces it)" };
}

function updatePackageJson(text: string, pkg: PackageJson, options: InitOptions): FileAction {
  const dev = { ...(pkg.devDependencies ?? {}) };
  const all = { ...(pkg.dependencies ?? {}), ...dev };
  const notes: string[] = [];
  const wanted: [string, string][] = [["bun", options.versions.bun], ["rust-just", options.versions.just], ["bun-parity", options.versions.bunParity]];
  for (const [name, version] of wanted) {
    if (all[name] === undefined) {
      dev[name] = version;
      notes.push(`devDependency ${name}@${version}`);
    }
  }
  const scripts = { ...(pkg.scripts ?? {}) };
  if (scripts.verify === undefined) {
    scripts.verify = "bun-parity";
    notes.push('script "verify" (so `bun verify <command>` works)');
  }
  if (notes.length === 0) return { file: "package.json", kind: "unchanged", why: "already has bun, rust-just, bun-parity and the verify script" };
  const indent = /^(\s+)"/m.exec(text)?.[1] ?? "  ";
  const updated: PackageJson = { ...pkg, scripts, devDependencies: Object.fromEntries(Object.entries(dev).sort(([a], [b]) => a.localeCompare(b))) };
  return { file: "package.json", kind: "update", content: JSON.stringify(updated, null, indent) + (text.endsWith("\n") ? "\n" : ""), why: `added ${notes.join(", ")}` };
}

const RECIPES: { name: string; text: string }[] = [
  { name: "build", text: "# Build one target from targets.json into dist/ (e.g. `just build linux-x64`)\nbuild TARGET:\n    npx --no bun verify build --target {{TARGET}}\n" },
  { name: "build-all", text: "# Build every target into dist/, with SHA256SUMS and manifest.json\nbuild-all:\n    npx --no bun verify build\n" },
  { name: "parity", text: "# Prove the native build equals the reference build, bit for bit\nparity *ARGS:\n    npx --no bun verify parity {{ARGS}}\n" },
  { name: "smoke", text: "# Run the smoke cases on every artifact this host can execute\nsmoke *ARGS:\n    npx --no bun verify smoke {{ARGS}}\n" },
  { name: "inspect", text: "# Check every artifact is what its name says (format, arch, libc, macOS signature)\ninspect *ARGS:\n    npx --no bun verify inspect {{ARGS}}\n" },
];
const BLOCK_HEADER = "# --- bun-parity (added by `bun-parity init`; the recipes above are yours) ---";

/** Recipe names defined in a justfile: `name params...:` at the start of a line (not `:=`). */
export function justfileRecipes(text: string): Set<string> {
  const names = new Set<string>();
  for (const line of text.split("\n")) {
    const match = /^@?([A-Za-z_][A-Za-z0-9_-]*)(\s[^:=]*)?:(?!=)/.exec(line);
    if (match) names.add(match[1]!);
  }
  return names;
}

function updateJustfile(existing: string | undefined): FileAction {
  if (existing === undefined) {
    const content = `# Recipes for building and checking the release executables; each is a thin call of
# \`bun verify\` (bun-parity). CI's Dagger module runs the same recipes.

${RECIPES.map((r) => r.text).join("\n")}`;
    return { file: "justfile", kind: "create", content, why: "build, build-all, parity, smoke, inspect recipes" };
  }
  const have = justfileRecipes(existing);
  const missing = RECIPES.filter((r) => !have.has(r.name));
  if (missing.length === 0) return { file: "justfile", kind: "unchanged", why: "already has every recipe bun-parity needs" };
  const content = `${existing.replace(/\n*$/, "\n")}\n${BLOCK_HEADER}\n\n${missing.map((r) => r.text).join("\n")}`;
  return { file: "justfile", kind: "update", content, why: `added recipes ${missing.map((r) => r.name).join(", ")}; your other recipes are untouched` };
}

function updateGitignore(existing: string | undefined): FileAction {
  const lines = (existing ?? "").split("\n").map((l) => l.trim());
  if (lines.some((l) => l === "dist" || l === "dist/" || l === "/dist" || l === "/dist/")) {
    return { file: ".gitignore", kind: "unchanged", why: "already ignores dist/" };
  }
  const content = `${existing ? existing.replace(/\n*$/, "\n") : ""}# bun-parity build output\ndist/\n`;
  return { file: ".gitignore", kind: existing === undefined ? "create" : "update", content, why: "ignore the build output (dist/)" };
}

function daggerJson(project: ProjectSnapshot, name: string, options: InitOptions): FileAction {
  const content = JSON.stringify(
    { name, engineVersion: `v${options.versions.daggerEngine}`, blueprint: { name: "bun-parity", source: `${MODULE_SOURCE}@v${options.versions.bunParity}` } },
    null,
    2,
  ) + "\n";
  const existing = project.files.get("dagger.json");
  if (existing === undefined) return { file: "dagger.json", kind: "create", content, why: "`dagger call build-all` runs bun-parity's module on this project (blueprint)" };
  if (existing === content) return { file: "dagger.json", kind: "unchanged", why: "already uses bun-parity's module" };
  return {
    file: "dagger.json",
    kind: "kept",
    why: `the project has its own Dagger module; kept. Call bun-parity's directly: dagger -m ${MODULE_SOURCE}@v${options.versions.bunParity} call build-all --source=.`,
  };
}
