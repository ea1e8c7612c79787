// How the clean room installs dependencies: the project's own package manager, at the version the
// project pins, from its lockfile, the way a fresh checkout installs (npm ci, bun install
// --frozen-lockfile, pnpm install --frozen-lockfile, yarn install --frozen-lockfile / --immutable).
// docs/parity.md ("Installing") lists the rules; docs/internals.md ("Clean room: the package
// manager") the facts they rest on.
import { accessSync, constants, existsSync, readFileSync } from "node:fs";
import path from "node:path";
import fg from "fast-glob";
import { ConfigError, UsageError } from "../errors.ts";

export type PackageManager = "npm" | "bun" | "pnpm" | "yarn";

/** Lockfiles per tool, in the order each tool itself prefers them. */
export const LOCKFILES: Record<PackageManager, string[]> = {
  npm: ["npm-shrinkwrap.json", "package-lock.json"],
  bun: ["bun.lock", "bun.lockb"],
  pnpm: ["pnpm-lock.yaml"],
  yarn: ["yarn.lock"],
};

export interface PinnedTool {
  tool: PackageManager;
  version: string;
  /** The "+sha512.<hex>" part of packageManager, when given. */
  hash?: { algorithm: string; hex: string };
  /** The package.json that pins it. */
  file: string;
}

export interface InstallPlan {
  tool: PackageManager;
  /** Yarn 1 (classic) or Yarn 2+ (berry): different lockfiles and flags. */
  yarnFlavor?: "classic" | "berry";
  /** The lockfile the install follows. */
  lockfile: string;
  /** Where the install runs: the project, or the workspace root that holds the lockfile. */
  dir: string;
  /** The command, ready for execa (argv[0] is a path or a name on PATH). */
  argv: string[];
  /** The version that runs, when known before running. */
  version?: string;
  pinned?: PinnedTool;
  /** One line: which tool, which version, why, and how it is run. */
  how: string;
}

export interface BunTool {
  path: string;
  version: string;
  source: string;
}

export interface PlanInstallOptions {
  /** The project folder (where targets.json is) in the tree being installed. */
  projectDir: string;
  /** The checkout root: the lockfile search goes no higher. */
  top: string;
  /** The user's environment: tools on PATH are found in the user's order. */
  env: NodeJS.ProcessEnv;
  /** The project's own Bun (the compiler bun-parity found for it). */
  bun: BunTool;
  /** PATH entries under these folders are skipped (the user's node_modules/.bin is not the clean room's). */
  skipPathUnder?: string[];
  /** Shows a path of the tree as the user knows it (the clean room maps its paths back). */
  display?: (file: string) => string;
}

const PIN = /^(npm|pnpm|yarn|bun)@(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?)(?:\+([a-z0-9]+)\.([0-9a-f]+))?$/;

/** The npm package that carries each tool, by flavor (Yarn 2+ is published as @yarnpkg/cli-dist). */
function npmPackageOf(tool: PackageManager, flavor?: "classic" | "berry"): string {
  return tool === "yarn" && flavor === "berry" ? "@yarnpkg/cli-dist" : tool;
}

function readPackageJson(file: string): Record<string, unknown> | undefined {
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
  } catch (error) {
    throw new ConfigError(file, "$", `is not valid JSON (${(error as Error).message})`, "a package.json object", "Fix the JSON syntax.");
  }
}

/** The packageManager field of a package.json, validated; undefined when the field is absent. */
export function readPin(file: string): PinnedTool | undefined {
  const value = readPackageJson(file)?.packageManager;
  if (value === undefined) return undefined;
  const match = typeof value === "string" ? PIN.exec(value) : null;
  if (!match) {
    throw new ConfigError(
      file,
      "packageManager",
      `${JSON.stringify(value)} is not a tool name with an exact version`,
      '"npm", "pnpm", "yarn" or "bun", then "@" and an exact version, optionally "+sha512.<hex>" (e.g. "pnpm@9.15.0")',
      'Write the tool and version you install with, e.g. "packageManager": "pnpm@9.15.0" (`corepack use pnpm@9.15.0` writes it with its hash).',
    );
  }
  return {
    tool: match[1] as PackageManager,
    version: match[2]!,
    ...(match[3] ? { hash: { algorithm: match[3], hex: match[4]! } } : {}),
    file,
  };
}

/** Folders from `from` up to `top` (both included). */
function foldersUp(from: string, top: string): string[] {
  const out: string[] = [];
  for (let dir = from; ; dir = path.dirname(dir)) {
    out.push(dir);
    if (dir === top || path.dirname(dir) === dir || !dir.startsWith(top)) break;
  }
  return out;
}

/** The workspace patterns a folder declares: package.json "workspaces" (npm, yarn, bun) or pnpm-workspace.yaml "packages". */
export function workspacePatterns(dir: string, tool: PackageManager): string[] | undefined {
  if (tool === "pnpm") {
    const file = path.join(dir, "pnpm-workspace.yaml");
    return existsSync(file) ? pnpmWorkspacePackages(readFileSync(file, "utf8")) : undefined;
  }
  const workspaces = readPackageJson(path.join(dir, "package.json"))?.workspaces;
  if (Array.isArray(workspaces)) return workspaces.filter((w): w is string => typeof w === "string");
  const packages = (workspaces as { packages?: unknown } | undefined)?.packages;
  return Array.isArray(packages) ? packages.filter((w): w is string => typeof w === "string") : undefined;
}

/**
 * The `packages:` list of a pnpm-workspace.yaml, block style (`- "apps/*"`) or flow style
 * (`[apps/*, libs/*]`); the rest of the file (catalogs, settings) is not needed here.
 */
export function pnpmWorkspacePackages(text: string): string[] {
  const unquote = (s: string) => s.trim().replace(/^(['"])(.*)\1$/, "$2");
  const lines = text.split(/\r?\n/).map((l) => l.replace(/\s+#.*$/, "").replace(/^#.*$/, ""));
  const start = lines.findIndex((l) => /^packages\s*:/.test(l));
  if (start < 0) return [];
  const inline = lines[start]!.replace(/^packages\s*:\s*/, "").trim();
  if (inline.startsWith("[")) return inline.replace(/^\[|\]$/g, "").split(",").map(unquote).filter(Boolean);
  const out: string[] = [];
  for (const line of lines.slice(start + 1)) {
    if (line.trim() === "") continue;
    if (!/^\s/.test(line)) break;
    const item = /^\s+-\s+(.*)$/.exec(line);
    if (item) out.push(unquote(item[1]!));
  }
  return out;
}

/** Whether `projectDir` is one of the workspace packages the patterns of `root` select. */
async function isWorkspaceMember(root: string, projectDir: string, patterns: string[]): Promise<boolean> {
  const rel = path.relative(root, projectDir).split(path.sep).join("/");
  const positive = patterns.filter((p) => !p.startsWith("!")).map((p) => p.replace(/\/+$/, ""));
  const negative = patterns.filter((p) => p.startsWith("!")).map((p) => p.slice(1).replace(/\/+$/, ""));
  const members = await fg(positive, { cwd: root, onlyDirectories: true, ignore: ["**/node_modules/**", ...negative], dot: false });
  return members.includes(rel);
}

/** The first executable called `name` on the user's PATH, skipping folders under `skip`. */
export function findOnPath(name: string, env: NodeJS.ProcessEnv, skip: string[] = []): string | undefined {
  const exts = process.platform === "win32" ? (env.PATHEXT ?? ".EXE;.CMD;.BAT").split(";").map((e) => e.toLowerCase()) : [""];
  for (const dir of (env.PATH ?? "").split(path.delimiter).filter(Boolean)) {
    const abs = path.resolve(dir);
    if (skip.some((s) => abs === s || abs.startsWith(`${s}${path.sep}`))) continue;
    for (const ext of exts) {
      const candidate = path.join(abs, `${name}${ext}`);
      try {
        accessSync(candidate, constants.X_OK);
        return candidate;
      } catch {
        // not here; keep looking
      }
    }
  }
  return undefined;
}

async function versionOf(executable: string): Promise<string | undefined> {
  const { execa } = await import("execa");
  const run = await execa(executable, ["--version"], { reject: false, timeout: 60_000, stdin: "ignore", env: { COREPACK_ENABLE_DOWNLOAD_PROMPT: "0" } });
  const version = /\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?/.exec(String(run.stdout))?.[0];
  return run.exitCode === 0 ? version : undefined;
}

async function registrySha512(pkg: string, version: string): Promise<string | undefined> {
  const { execa } = await import("execa");
  const run = await execa("npm", ["view", `${pkg}@${version}`, "dist.integrity"], { reject: false, timeout: 60_000, stdin: "ignore" });
  const integrity = String(run.stdout).trim();
  if (run.exitCode !== 0 || !integrity.startsWith("sha512-")) return undefined;
  return Buffer.from(integrity.slice("sha512-".length), "base64").toString("hex");
}

const ARGS: Record<PackageManager | "yarn-berry", string[]> = {
  npm: ["ci", "--no-audit", "--no-fund"],
  bun: ["install", "--frozen-lockfile"],
  pnpm: ["install", "--frozen-lockfile"],
  yarn: ["install", "--frozen-lockfile"],
  "yarn-berry": ["install", "--immutable"],
};

/**
 * Which lockfile and tool install the tree at `projectDir`: the nearest lockfile from the
 * project up to the checkout root, the lockfile's tool, or package.json packageManager's when
 * several tools' lockfiles are there. Throws the UsageError/ConfigError the clean room reports;
 * init calls it too, to say so before the first build.
 */
export function chooseInstallTool(projectDir: string, top: string, show: (file: string) => string = (f) => f): { tool: PackageManager; dir: string; found: { tool: PackageManager; file: string }[]; pinned: PinnedTool | undefined } {
  const folders = foldersUp(projectDir, top);
  let dir: string | undefined;
  let found: { tool: PackageManager; file: string }[] = [];
  for (const candidate of folders) {
    found = (Object.keys(LOCKFILES) as PackageManager[]).flatMap((tool) => LOCKFILES[tool].filter((f) => existsSync(path.join(candidate, f))).map((f) => ({ tool, file: f })));
    if (found.length > 0) {
      dir = candidate;
      break;
    }
  }
  if (!dir) {
    const where = projectDir === top ? show(projectDir) : `${show(projectDir)} or any folder above it up to the checkout root ${show(top)}`;
    throw new UsageError(
      `no lockfile in ${where} (looked for ${Object.values(LOCKFILES).flat().join(", ")}) in the files git sees`,
      "Install once with your package manager (npm install, bun install, pnpm install or yarn install) and commit the lockfile it writes: without one a rebuild cannot install the same dependencies. A lockfile that exists but is ignored by git is not in a fresh checkout either.",
    );
  }

  // The packageManager of the folder the install runs in (the workspace root for a workspace
  // package), else the nearest one above it: what Corepack would read when installing there.
  let pinned: PinnedTool | undefined;
  for (const candidate of foldersUp(dir, top)) {
    pinned = readPin(path.join(candidate, "package.json"));
    if (pinned) break;
  }
  const tools = [...new Set(found.map((f) => f.tool))];
  let tool: PackageManager;
  if (pinned) {
    tool = pinned.tool;
    if (!tools.includes(tool)) {
      throw new ConfigError(
        show(pinned.file),
        "packageManager",
        `names ${tool}@${pinned.version}, but ${show(dir)} has ${found.map((f) => f.file).join(", ")} and no ${LOCKFILES[tool].join(" or ")}`,
        `the tool whose lockfile is committed`,
        `Install with ${tool} and commit its lockfile, or set packageManager to the tool that wrote ${found[0]!.file}.`,
      );
    }
  } else if (tools.length > 1) {
    throw new UsageError(
      `${show(dir)} has lockfiles of several package managers (${found.map((f) => f.file).join(", ")}), so which one installs the project is ambiguous`,
      'Delete the stale lockfile, or name the tool in package.json: "packageManager": "<tool>@<version>" (e.g. "bun@1.2.19").',
    );
  } else {
    tool = tools[0]!;
  }
  return { tool, dir, found, pinned };
}

/**
 * Decides how the tree at `projectDir` installs: which lockfile (the nearest one from the project
 * up to the checkout root: a workspace package installs at its workspace root), which tool
 * (the lockfile's, or package.json packageManager's when several lockfiles exist), which
 * version (packageManager's pin; else the project's Bun, or the tool on the user's PATH) and how
 * to run it (the tool on PATH when its version matches the pin, else `npx --package=<tool>@<pin>`,
 * which needs only the npm registry).
 */
export async function planInstall(options: PlanInstallOptions): Promise<InstallPlan> {
  const { projectDir, top, env } = options;
  const show = options.display ?? ((f: string) => f);
  const skip = options.skipPathUnder ?? [];
  const { tool, dir, found, pinned } = chooseInstallTool(projectDir, top, show);
  const lockfile = path.join(dir, found.find((f) => f.tool === tool)!.file);

  if (dir !== projectDir) {
    const patterns = workspacePatterns(dir, tool);
    if (!patterns || !(await isWorkspaceMember(dir, projectDir, patterns))) {
      throw new UsageError(
        `${show(projectDir)} has no lockfile of its own, and the nearest one (${show(lockfile)}) belongs to ${show(dir)}, whose workspaces ${patterns ? `(${patterns.join(", ")}) do not include it` : "are not declared"}`,
        tool === "pnpm"
          ? `List the project in ${show(path.join(dir, "pnpm-workspace.yaml"))} (packages:), or give it its own lockfile (pnpm install in ${show(projectDir)}).`
          : `List the project in the "workspaces" of ${show(path.join(dir, "package.json"))}, or give it its own lockfile (run the install in ${show(projectDir)} and commit it).`,
      );
    }
  }

  const yarnFlavor = tool === "yarn" ? yarnFlavorOf(lockfile, pinned) : undefined;
  const args = ARGS[yarnFlavor === "berry" ? "yarn-berry" : tool];
  const base = { tool, lockfile, dir, pinned, ...(yarnFlavor ? { yarnFlavor } : {}) };
  const lockName = path.relative(dir, lockfile);
  const pinText = pinned ? `${pinned.tool}@${pinned.version} pinned by ${show(pinned.file)} packageManager` : undefined;

  // Yarn 2+ runs the release committed at .yarnrc.yml yarnPath, whatever yarn is on PATH (yarnrc "yarnPath").
  if (yarnFlavor === "berry") {
    const yarnPath = yarnPathOf(dir);
    if (yarnPath) {
      return { ...base, argv: ["node", yarnPath, ...args], how: `yarn (Yarn 2+ lockfile ${lockName}) from the release committed at ${show(yarnPath)} (.yarnrc.yml yarnPath)` };
    }
  }

  if (tool === "bun" && (!pinned || pinned.version === options.bun.version)) {
    return {
      ...base,
      argv: [options.bun.path, ...args],
      version: options.bun.version,
      how: `bun ${options.bun.version} (${lockName}), the project's Bun (${options.bun.source})${pinText ? `, as ${pinText}` : ""}`,
    };
  }

  const onPath = findOnPath(tool, env, skip);
  const pathVersion = onPath ? await versionOf(onPath) : undefined;
  if (pinned) {
    if (onPath && pathVersion === pinned.version) {
      return { ...base, argv: [onPath, ...args], version: pinned.version, how: `${tool} ${pinned.version} (${lockName}) from ${onPath}, as ${pinText}` };
    }
    const pkg = npmPackageOf(tool, yarnFlavor);
    const hashNote = await checkPinHash(pinned, pkg, show, yarnFlavor);
    const npx = findOnPath("npx", env, skip) ?? "npx";
    return {
      ...base,
      argv: [npx, "--yes", `--package=${pkg}@${pinned.version}`, "--", tool, ...args],
      version: pinned.version,
      how: `${tool} ${pinned.version} (${lockName}), as ${pinText}; ${onPath ? `${onPath} is ${pathVersion ?? "of unknown version"}` : `no ${tool} on PATH`}, so it runs through npx from the npm registry${hashNote}`,
    };
  }
  const needsMajor = yarnFlavor === "berry" ? (v: string) => Number(v.split(".")[0]) >= 2 : yarnFlavor === "classic" ? (v: string) => v.startsWith("1.") : () => true;
  if (onPath && pathVersion && needsMajor(pathVersion)) {
    return { ...base, argv: [onPath, ...args], version: pathVersion, how: `${tool} ${pathVersion} (${lockName}) from ${onPath}: the one on your PATH (package.json pins none)` };
  }
  const want = yarnFlavor === "berry" ? "Yarn 2 or later" : yarnFlavor === "classic" ? "Yarn 1" : tool;
  throw new UsageError(
    `${show(lockfile)} needs ${want}, ${onPath ? `but ${onPath} is ${pathVersion ?? "of unknown version"}` : `which is not on PATH`}, and ${show(path.join(dir, "package.json"))} pins no version`,
    `Pin the version you install with in package.json, e.g. "packageManager": "${tool}@<version>" (\`${tool} --version\` shows it; \`corepack use ${tool}@<version>\` writes it with its hash); the clean room then runs exactly that version.`,
  );
}

function yarnFlavorOf(lockfile: string, pinned: PinnedTool | undefined): "classic" | "berry" {
  if (pinned) return Number(pinned.version.split(".")[0]) >= 2 ? "berry" : "classic";
  // Yarn 2+ lockfiles are YAML with a __metadata entry; Yarn 1's start with "# yarn lockfile v1".
  return /^__metadata:/m.test(readFileSync(lockfile, "utf8")) ? "berry" : "classic";
}

function yarnPathOf(dir: string): string | undefined {
  const rc = path.join(dir, ".yarnrc.yml");
  if (!existsSync(rc)) return undefined;
  const match = /^yarnPath\s*:\s*(.+?)\s*$/m.exec(readFileSync(rc, "utf8"));
  if (!match) return undefined;
  return path.resolve(dir, match[1]!.replace(/^(['"])(.*)\1$/, "$2"));
}

/**
 * A packageManager hash covers the tool's npm tarball (Corepack's `corepack use` records it), and
 * npm's dist.integrity is the sha512 of the same tarball, which npx then checks on download: so
 * equal hashes mean npx runs the exact bytes the project pinned.
 */
async function checkPinHash(
  pinned: PinnedTool,
  pkg: string,
  show: (f: string) => string,
  yarnFlavor?: "classic" | "berry",
): Promise<string> {
  if (!pinned.hash) return "";
  if (yarnFlavor === "berry") return " (the packageManager hash covers Yarn's own download from repo.yarnpkg.com, not the npm package, so it is not compared)";
  if (pinned.hash.algorithm !== "sha512") return ` (the packageManager ${pinned.hash.algorithm} hash is not compared: the registry publishes sha512)`;
  const registry = await registrySha512(pkg, pinned.version);
  if (!registry) return " (the packageManager hash could not be compared: the registry did not answer)";
  if (registry !== pinned.hash.hex) {
    throw new ConfigError(
      show(pinned.file),
      "packageManager",
      `pins ${pkg}@${pinned.version} with sha512 ${pinned.hash.hex.slice(0, 16)}..., but the registry's tarball has sha512 ${registry.slice(0, 16)}...`,
      "the hash of the tarball the registry serves",
      "Check where the pin came from; `corepack use <tool>@<version>` writes the right hash.",
    );
  }
  return "; its sha512 matches the packageManager hash";
}
