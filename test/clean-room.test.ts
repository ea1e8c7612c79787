// `bun verify parity --reference clean-room` end to end on the clean-room fixtures: real git
// repositories made from the copied fixtures, real installs (npm, bun, pnpm from the npm
// registry), real builds of linux-x64 and darwin-arm64 on both sides.
import { cpSync, existsSync, lstatSync, readFileSync, readlinkSync, realpathSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { commitAll, git, repositoryFingerprint } from "./git-fixture.ts";
import { BUN, type CliResult, copyFixture, removeTemps, runCli, tempDir } from "./helpers.ts";

interface Report {
  passed: boolean;
  rows: { target: string; verdict: string }[];
  reference: {
    kind: string;
    command?: string;
    cleanRoom: {
      projectDir: string;
      checkout: { description: string; head?: string; branch?: string; dirty: boolean; changes: { status: string; path: string }[]; leftOut: string[] };
      install: { tool: string; version?: string; lockfile: string; dir: string; command: string; how: string };
    };
  };
}

const keptRooms: string[] = [];
afterAll(() => {
  for (const root of keptRooms) rmSync(root, { recursive: true, force: true });
  removeTemps();
});

/** parity against the clean room, keeping it for inspection (removed after the file's tests). */
async function parityCleanRoom(cwd: string, extra: string[] = []): Promise<{ result: CliResult; report: Report; room: string }> {
  const result = await runCli(["parity", "--reference", "clean-room", "--json", "--keep", ...extra], { cwd });
  const report = JSON.parse(result.stdout || "null") as Report;
  const room = report?.reference.cleanRoom.projectDir;
  const root = room?.match(/^(.*bun-parity-clean-room-[^/\\]+)/)?.[1];
  if (root) keptRooms.push(root);
  return { result, report, room };
}

/**
 * The user's shell for a native install: no npm_* variables from the npm that started vitest
 * (Bun keeps an inherited npm_config_user_agent, which the fixtures record).
 */
const shellEnv = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith("npm_")));
const installNatively = (cwd: string, command: string, args: string[]) => execa(command, args, { cwd, env: shellEnv, extendEnv: false });

const verdicts = (report: Report) => Object.fromEntries(report.rows.map((r) => [r.target, r.verdict]));
const run = async (file: string) => (await execa(file, ["world"])).stdout;

describe("a project whose prepare script installs git hooks, with uncommitted work", () => {
  let app: string;
  let head: string;
  let before: Record<string, string>;
  let statusBefore: string;
  let parity: Awaited<ReturnType<typeof parityCleanRoom>>;

  beforeAll(async () => {
    app = copyFixture("clean-room-hooks");
    head = await commitAll(app);
    // A stash entry the clean room must leave alone.
    writeFileSync(path.join(app, "src/message.ts"), 'export const message = "stashed";\n');
    await git(app, "stash", "-q");
    // Uncommitted work: an unstaged edit, a staged edit importing an untracked file, a deletion,
    // a new symlink, and secrets that .gitignore keeps out.
    writeFileSync(path.join(app, "src/message.ts"), 'export const message = "hello from an uncommitted edit";\n');
    writeFileSync(path.join(app, "src/extra.ts"), 'export const extra = "and from an untracked file";\n');
    writeFileSync(path.join(app, "index.ts"), 'import { extra } from "./src/extra.ts";\nimport { message } from "./src/message.ts";\n\nconsole.log(message, extra);\n');
    await git(app, "add", "index.ts");
    rmSync(path.join(app, "docs/old.md"));
    symlinkSync("src/message.ts", path.join(app, "latest.ts"));
    writeFileSync(path.join(app, ".env"), "API_TOKEN=secret\n");
    writeFileSync(path.join(app, ".env.local"), "API_TOKEN=local-secret\n");
    before = await repositoryFingerprint(app);
    statusBefore = await git(app, "status", "--porcelain=v1", "-uall");
    parity = await parityCleanRoom(app);
  });

  it("passes parity: the clean room built the same bytes from the same uncommitted state", async () => {
    const { result, report } = parity;
    expect(result.exitCode, result.stderr).toBe(0);
    expect(verdicts(report)).toEqual({ "linux-x64": "identical", "darwin-arm64": "identical" });
    expect(await run(path.join(app, "dist", "hooks-app-linux-x64"))).toBe("hello from an uncommitted edit and from an untracked file");
    const description = `${head} (branch main) with uncommitted changes: 2 modified, 2 added or untracked, 1 deleted`;
    expect(report.reference.cleanRoom.checkout).toMatchObject({ description, head, branch: "main", dirty: true, leftOut: [".env", ".env.local"] });
    expect(result.stderr).toContain(`clean room: git checkout of ${description}\n`);
    expect(result.stderr).toContain("clean room: left out (ignored by git): .env, .env.local\n");
    expect(report.reference.cleanRoom.install).toMatchObject({ tool: "npm", lockfile: "package-lock.json", dir: "." });
  });

  it("is a git checkout of that state: same HEAD and git status, deleted file absent, secrets left out, modes and symlinks kept", async () => {
    const room = parity.room;
    expect(realpathSync(await git(room, "rev-parse", "--show-toplevel"))).toBe(realpathSync(room));
    expect(existsSync(path.join(room, ".git"))).toBe(true);
    expect(await git(room, "rev-parse", "HEAD")).toBe(head);
    expect(await git(room, "status", "--porcelain=v1", "-uall")).toBe(statusBefore);
    expect(existsSync(path.join(room, "docs/old.md"))).toBe(false);
    expect(existsSync(path.join(room, ".env"))).toBe(false);
    expect(existsSync(path.join(room, ".env.local"))).toBe(false);
    expect(readlinkSync(path.join(room, "latest.ts"))).toBe("src/message.ts");
    expect(lstatSync(path.join(room, "latest.ts")).isSymbolicLink()).toBe(true);
    expect(statSync(path.join(room, ".githooks/pre-commit")).mode & 0o111).toBe(0o111);
    expect(statSync(path.join(room, "bin/run.sh")).mode & 0o111).toBe(0o111);
    expect(statSync(path.join(room, "index.ts")).mode & 0o111).toBe(0);
  });

  it("ran the prepare script's git commands (hooksPath, rev-parse) in its own repository", async () => {
    const room = parity.room;
    const record = JSON.parse(readFileSync(path.join(room, ".install-record.json"), "utf8")) as { toplevel: string; head: string; hooksPath: string };
    expect(realpathSync(record.toplevel)).toBe(realpathSync(room));
    expect(record).toMatchObject({ head, hooksPath: ".githooks" });
    expect(await git(room, "config", "core.hooksPath")).toBe(".githooks");
  });

  it("wrote nothing into the user's repository: index, refs, stash, config, hooks, objects and status unchanged", async () => {
    expect(await repositoryFingerprint(app)).toEqual(before);
    expect(before.config).not.toContain("hooksPath");
    expect(await git(app, "status", "--porcelain=v1", "-uall")).toBe(statusBefore);
  });
});

describe("the project's own package manager", () => {
  it("installs a bun.lock project with the project's Bun (bun install --frozen-lockfile)", async () => {
    const app = copyFixture("clean-room-bun");
    await commitAll(app);
    await installNatively(app, BUN, ["install", "--frozen-lockfile"]);
    const { result, report } = await parityCleanRoom(app);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(verdicts(report)).toEqual({ "linux-x64": "identical", "darwin-arm64": "identical" });
    // The executable embeds which tool installed it (scripts/record-installer.mjs): the same on both sides.
    const version = (await execa(BUN, ["--version"])).stdout.trim();
    expect(await run(path.join(app, "dist", "bun-app-linux-x64"))).toBe(`one minute is 1m; installed by bun/${version}`);
    expect(report.reference.cleanRoom.install).toMatchObject({ tool: "bun", version, lockfile: "bun.lock", command: `${BUN} install --frozen-lockfile` });
  });

  it("installs a pnpm project with the pinned pnpm (not on PATH: through npx, its sha512 checked)", async () => {
    const app = copyFixture("clean-room-pnpm");
    await commitAll(app);
    await installNatively(app, "npx", ["--yes", "--package=pnpm@9.15.0", "--", "pnpm", "install", "--frozen-lockfile"]);
    const { result, report } = await parityCleanRoom(app);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(verdicts(report)).toEqual({ "linux-x64": "identical", "darwin-arm64": "identical" });
    expect(await run(path.join(app, "dist", "pnpm-app-linux-x64"))).toBe("one minute is 1m; installed by pnpm/9.15.0");
    const install = report.reference.cleanRoom.install;
    expect(install).toMatchObject({ tool: "pnpm", version: "9.15.0", lockfile: "pnpm-lock.yaml" });
    expect(install.command).toMatch(/npx --yes --package=pnpm@9\.15\.0 -- pnpm install --frozen-lockfile$/);
    expect(install.how).toContain("its sha512 matches the packageManager hash");
  });

  it("builds a workspace package: the clean room holds the whole workspace and installs at its root", async () => {
    const root = copyFixture("clean-room-workspace");
    cpSync(path.join(root, "bun-runtimes.lock.json"), path.join(root, "packages", "cli", "bun-runtimes.lock.json"));
    await commitAll(root);
    await installNatively(root, "npm", ["ci", "--no-audit", "--no-fund"]);
    const cli = path.join(root, "packages", "cli");
    const { result, report, room } = await parityCleanRoom(cli);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(verdicts(report)).toEqual({ "linux-x64": "identical", "darwin-arm64": "identical" });
    expect(await run(path.join(cli, "dist", "ws-cli-linux-x64"))).toBe("hello world from a workspace package (installed at the workspace root)");
    expect(room.endsWith(path.join("project", "packages", "cli"))).toBe(true);
    expect(report.reference.cleanRoom.install).toMatchObject({ tool: "npm", lockfile: "package-lock.json", dir: "." });
    expect(report.reference.command).toMatch(/^\(cd \.\.\/\.\. && \S*npm ci --no-audit --no-fund\) && umask \d+ && just build-all$/);
  });
});

describe("bad input: exit 2 before anything is built", () => {
  it("a folder that is not a git checkout, with the commands that fix it (nothing is copied)", async () => {
    const app = copyFixture("hello");
    writeFileSync(path.join(app, ".env"), "API_TOKEN=secret\n");
    const result = await runCli(["parity", "--reference", "clean-room"], { cwd: app });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(`error: ${app} is not inside a git checkout, so the clean room cannot tell your sources from local files (.env files, notes, stale generated files) and will not copy the folder`);
    expect(result.stderr).toContain('fix: Make it a repository: `git init && git add -A && git commit -m "initial commit"`');
    expect(result.stderr).not.toContain("compiling");
    expect(existsSync(path.join(app, "dist"))).toBe(false);
    expect(readFileSync(path.join(app, ".env"), "utf8")).toBe("API_TOKEN=secret\n");
  });

  it("a targets.json that git ignores", async () => {
    const app = copyFixture("hello");
    writeFileSync(path.join(app, ".gitignore"), "dist/\ntargets.json\n");
    await commitAll(app);
    const result = await runCli(["parity", "--reference", "clean-room"], { cwd: app });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(`error: ${path.join(app, "targets.json")} is ignored by git, so a fresh checkout (and the clean room) would not have it`);
    expect(result.stderr).toContain("git check-ignore -v targets.json");
    expect(existsSync(path.join(app, "dist"))).toBe(false);
  });
  it("a checkout with no lockfile", async () => {
    const app = copyFixture("hello");
    rmSync(path.join(app, "package-lock.json"));
    await commitAll(app);
    const result = await runCli(["parity", "--reference", "clean-room"], { cwd: app });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(`error: no lockfile in ${app} (looked for npm-shrinkwrap.json, package-lock.json, bun.lock, bun.lockb, pnpm-lock.yaml, yarn.lock) in the files git sees`);
    expect(result.stderr).toContain("fix: Install once with your package manager");
    expect(existsSync(path.join(app, "dist"))).toBe(false);
  });
});

describe("the report", () => {
  it("names the clean room's commit and install in the table and the Markdown summary", async () => {
    const app = copyFixture("clean-room-generated");
    const head = await commitAll(app);
    await installNatively(app, "npm", ["ci", "--no-audit", "--no-fund"]);
    const markdown = path.join(tempDir(), "summary.md");
    const result = await runCli(["parity", "--reference", "clean-room", "--markdown", markdown], { cwd: app });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toContain(`\n  checkout: ${head} (branch main)\n  install: npm `);
    expect(result.stdout).toMatch(/\n {2}ran: \S*npm ci --no-audit --no-fund && umask \d+ && just build-all\n/);
    expect(result.stdout).toContain("\nleft out of the clean room (ignored by git; a build that reads one differs): generated/\n");
    expect(readFileSync(markdown, "utf8")).toContain(`Clean room: git checkout of ${head} (branch main); install: npm `);
  });
});
