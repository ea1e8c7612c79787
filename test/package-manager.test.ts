// Which tool installs the clean room, at which version, from which folder (verify/package-manager.ts):
// real lockfiles and package.json files in temp folders, real npm on a PATH the test controls.
// Nothing is installed here; test/clean-room.test.ts runs the installs.
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError, UsageError } from "../verify/errors.ts";
import { type PlanInstallOptions, planInstall, pnpmWorkspacePackages } from "../verify/parity/package-manager.ts";
import { BUN, removeTemps, tempDir } from "./helpers.ts";

afterAll(removeTemps);

const PNPM_9_15_0_SHA512 = "76e2379760a4328ec4415815bcd6628dee727af3779aaa4c914e3944156c4299921a89f976381ee107d41f12cfa4b66681ca9c718f0668fa0831ed4c6d8ba56c";
const bun = { path: BUN, version: "1.4.5", source: "node_modules/bun/package.json" };

/** A PATH with only node, npm and npx (the real ones): no pnpm, yarn or bun, whatever this machine has. */
let onlyNpm: string;
let npmVersion: string;
beforeAll(async () => {
  onlyNpm = tempDir("path-");
  for (const tool of ["node", "npm", "npx"]) {
    const real = (await execa("sh", ["-c", `command -v ${tool}`])).stdout.trim();
    symlinkSync(real, path.join(onlyNpm, tool));
  }
  npmVersion = (await execa(path.join(onlyNpm, "npm"), ["--version"], { env: { PATH: onlyNpm } })).stdout.trim();
});

/** A project folder with the given files (JSON values are written as JSON). */
function project(files: Record<string, string | object>): string {
  const dir = path.join(tempDir("pm-"), "repo");
  for (const [file, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), typeof content === "string" ? content : JSON.stringify(content));
  }
  return dir;
}

const plan = (dir: string, extra: Partial<PlanInstallOptions> = {}) =>
  planInstall({ projectDir: dir, top: dir, env: { PATH: onlyNpm }, bun, ...extra });

async function failure(promise: Promise<unknown>): Promise<UsageError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(UsageError);
  return error as UsageError;
}

describe("the tool, from the lockfile", () => {
  it("package-lock.json: npm ci with the npm on the user's PATH", async () => {
    const dir = project({ "package.json": { name: "a" }, "package-lock.json": "{}" });
    const result = await plan(dir);
    expect(result).toMatchObject({ tool: "npm", dir, lockfile: path.join(dir, "package-lock.json"), version: npmVersion });
    expect(result.argv).toEqual([path.join(onlyNpm, "npm"), "ci", "--no-audit", "--no-fund"]);
    expect(result.how).toBe(`npm ${npmVersion} (package-lock.json) from ${path.join(onlyNpm, "npm")}: the one on your PATH (package.json pins none)`);
  });

  it("bun.lock: the project's own Bun with --frozen-lockfile", async () => {
    const dir = project({ "package.json": { name: "a" }, "bun.lock": "{}" });
    const result = await plan(dir);
    expect(result.argv).toEqual([BUN, "install", "--frozen-lockfile"]);
    expect(result.how).toBe("bun 1.4.5 (bun.lock), the project's Bun (node_modules/bun/package.json)");
  });

  it("pnpm-lock.yaml with no pin and no pnpm on PATH: exit 2 asking for the version", async () => {
    const dir = project({ "package.json": { name: "a" }, "pnpm-lock.yaml": "lockfileVersion: '9.0'\n" });
    const error = await failure(plan(dir));
    expect(error.message).toBe(`${path.join(dir, "pnpm-lock.yaml")} needs pnpm, which is not on PATH, and ${path.join(dir, "package.json")} pins no version`);
    expect(error.fix).toContain('"packageManager": "pnpm@<version>"');
  });

  it("yarn.lock of Yarn 1 with --frozen-lockfile, of Yarn 2+ with --immutable through the committed yarnPath", async () => {
    const classic = project({ "package.json": { name: "a", packageManager: "yarn@1.22.22" }, "yarn.lock": "# yarn lockfile v1\n" });
    const c = await plan(classic);
    expect(c.yarnFlavor).toBe("classic");
    expect(c.argv).toEqual([path.join(onlyNpm, "npx"), "--yes", "--package=yarn@1.22.22", "--", "yarn", "install", "--frozen-lockfile"]);

    const berry = project({
      "package.json": { name: "a" },
      "yarn.lock": "__metadata:\n  version: 8\n",
      ".yarnrc.yml": "nodeLinker: node-modules\nyarnPath: .yarn/releases/yarn-4.5.0.cjs\n",
    });
    const b = await plan(berry);
    expect(b.yarnFlavor).toBe("berry");
    expect(b.argv).toEqual(["node", path.join(berry, ".yarn/releases/yarn-4.5.0.cjs"), "install", "--immutable"]);

    const pinnedBerry = project({ "package.json": { name: "a", packageManager: "yarn@4.5.0" }, "yarn.lock": "__metadata:\n  version: 8\n" });
    expect((await plan(pinnedBerry)).argv).toEqual([path.join(onlyNpm, "npx"), "--yes", "--package=@yarnpkg/cli-dist@4.5.0", "--", "yarn", "install", "--immutable"]);

    const unpinnedBerry = project({ "package.json": { name: "a" }, "yarn.lock": "__metadata:\n  version: 8\n" });
    expect((await failure(plan(unpinnedBerry))).message).toContain("needs Yarn 2 or later, which is not on PATH");
  });

  it("no lockfile in the project or above it: exit 2 naming both folders", async () => {
    const top = project({ "package.json": { name: "root" }, "packages/cli/package.json": { name: "cli" } });
    const error = await failure(plan(path.join(top, "packages/cli"), { top }));
    expect(error.message).toBe(
      `no lockfile in ${path.join(top, "packages/cli")} or any folder above it up to the checkout root ${top} (looked for npm-shrinkwrap.json, package-lock.json, bun.lock, bun.lockb, pnpm-lock.yaml, yarn.lock) in the files git sees`,
    );
    expect(error.fix).toContain("commit the lockfile");
  });
});

describe("the version, from package.json packageManager", () => {
  it("runs the tool on PATH when it is the pinned version, else that version through npx", async () => {
    const same = project({ "package.json": { name: "a", packageManager: `npm@${npmVersion}` }, "package-lock.json": "{}" });
    expect((await plan(same)).argv[0]).toBe(path.join(onlyNpm, "npm"));

    const other = project({ "package.json": { name: "a", packageManager: "npm@10.9.2" }, "package-lock.json": "{}" });
    const result = await plan(other);
    expect(result.argv).toEqual([path.join(onlyNpm, "npx"), "--yes", "--package=npm@10.9.2", "--", "npm", "ci", "--no-audit", "--no-fund"]);
    expect(result.how).toContain(`${path.join(onlyNpm, "npm")} is ${npmVersion}, so it runs through npx from the npm registry`);
  });

  it("runs a pinned Bun other than the project's compiler through npx", async () => {
    const dir = project({ "package.json": { name: "a", packageManager: "bun@1.3.5" }, "bun.lock": "{}" });
    expect((await plan(dir)).argv).toEqual([path.join(onlyNpm, "npx"), "--yes", "--package=bun@1.3.5", "--", "bun", "install", "--frozen-lockfile"]);
  });

  it("compares the pin's sha512 with the registry's tarball, and refuses a mismatch", async () => {
    const good = project({ "package.json": { name: "a", packageManager: `pnpm@9.15.0+sha512.${PNPM_9_15_0_SHA512}` }, "pnpm-lock.yaml": "lockfileVersion: '9.0'\n" });
    const result = await plan(good);
    expect(result.argv).toEqual([path.join(onlyNpm, "npx"), "--yes", "--package=pnpm@9.15.0", "--", "pnpm", "install", "--frozen-lockfile"]);
    expect(result.how).toContain("its sha512 matches the packageManager hash");

    const wrong = `${"0".repeat(16)}${PNPM_9_15_0_SHA512.slice(16)}`;
    const bad = project({ "package.json": { name: "a", packageManager: `pnpm@9.15.0+sha512.${wrong}` }, "pnpm-lock.yaml": "lockfileVersion: '9.0'\n" });
    const error = await failure(plan(bad));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toBe(
      `${path.join(bad, "package.json")}: packageManager: pins pnpm@9.15.0 with sha512 0000000000000000..., but the registry's tarball has sha512 76e2379760a4328e...; expected the hash of the tarball the registry serves`,
    );
  });

  it("decides between several lockfiles, and refuses when nothing decides", async () => {
    const both = { "package-lock.json": "{}", "bun.lock": "{}" };
    const pinned = project({ "package.json": { name: "a", packageManager: "bun@1.4.5" }, ...both });
    expect((await plan(pinned)).tool).toBe("bun");
    const unpinned = project({ "package.json": { name: "a" }, ...both });
    const error = await failure(plan(unpinned));
    expect(error.message).toBe(`${unpinned} has lockfiles of several package managers (package-lock.json, bun.lock), so which one installs the project is ambiguous`);
    expect(error.fix).toContain('"packageManager"');
  });

  it("refuses a pin whose lockfile is missing, and a malformed pin, naming the file and field", async () => {
    const mismatch = project({ "package.json": { name: "a", packageManager: "pnpm@9.15.0" }, "package-lock.json": "{}" });
    expect((await failure(plan(mismatch))).message).toBe(
      `${path.join(mismatch, "package.json")}: packageManager: names pnpm@9.15.0, but ${mismatch} has package-lock.json and no pnpm-lock.yaml; expected the tool whose lockfile is committed`,
    );
    const malformed = project({ "package.json": { name: "a", packageManager: "pnpm@latest" }, "pnpm-lock.yaml": "" });
    const error = await failure(plan(malformed));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toContain(`${path.join(malformed, "package.json")}: packageManager: "pnpm@latest" is not a tool name with an exact version`);
  });
});

describe("workspaces", () => {
  const files = {
    "package.json": { name: "root", private: true, workspaces: ["packages/*", "!packages/excluded"] },
    "package-lock.json": "{}",
    "packages/cli/package.json": { name: "cli" },
    "packages/excluded/package.json": { name: "excluded" },
    "tools/other/package.json": { name: "other" },
  };

  it("installs a workspace package at the workspace root, where the lockfile is", async () => {
    const top = project(files);
    const result = await plan(path.join(top, "packages/cli"), { top });
    expect(result).toMatchObject({ tool: "npm", dir: top, lockfile: path.join(top, "package-lock.json") });
  });

  it("refuses a folder that the workspace above does not include", async () => {
    const top = project(files);
    for (const sub of ["tools/other", "packages/excluded"]) {
      const error = await failure(plan(path.join(top, sub), { top }));
      expect(error.message).toBe(
        `${path.join(top, sub)} has no lockfile of its own, and the nearest one (${path.join(top, "package-lock.json")}) belongs to ${top}, whose workspaces (packages/*, !packages/excluded) do not include it`,
      );
    }
  });

  it("reads pnpm-workspace.yaml for pnpm", async () => {
    expect(pnpmWorkspacePackages("packages:\n  - 'apps/*'\n  - \"libs/**\" # all\n  - '!**/test/**'\ncatalog:\n  ms: 2.1.3\n")).toEqual(["apps/*", "libs/**", "!**/test/**"]);
    expect(pnpmWorkspacePackages("packages: [apps/*, 'tools/cli']\n")).toEqual(["apps/*", "tools/cli"]);
    const top = project({
      "package.json": { name: "root", packageManager: `pnpm@9.15.0` },
      "pnpm-lock.yaml": "lockfileVersion: '9.0'\n",
      "pnpm-workspace.yaml": "packages:\n  - 'apps/*'\n",
      "apps/cli/package.json": { name: "cli" },
    });
    const result = await plan(path.join(top, "apps/cli"), { top });
    expect(result).toMatchObject({ tool: "pnpm", dir: top, version: "9.15.0" });
  });
});
