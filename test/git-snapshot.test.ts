// The clean room's checkout (verify/git-snapshot.ts) on real git repositories: the same HEAD,
// the same staged, unstaged and untracked state, nothing ignored, nothing written to the user's
// repository. No builds here: test/clean-room.test.ts builds in such checkouts.
import { chmodSync, existsSync, lstatSync, mkdirSync, readFileSync, readlinkSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { describeCheckout, snapshotCheckout } from "../verify/parity/git-snapshot.ts";
import { UsageError } from "../verify/errors.ts";
import { commitAll, git, repositoryFingerprint } from "./git-fixture.ts";
import { removeTemps, tempDir } from "./helpers.ts";

afterAll(removeTemps);

function write(dir: string, file: string, text: string): void {
  mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
  writeFileSync(path.join(dir, file), text);
}

/** A repository with one commit: sources, an executable script, a file to delete, one to rename. */
async function repo(): Promise<string> {
  const dir = path.join(tempDir("snapshot-"), "app");
  write(dir, "src/main.ts", "export const main = 1;\n");
  write(dir, "src/old-name.ts", "export const renamed = true;\n");
  write(dir, "docs/obsolete.md", "to be deleted\n");
  write(dir, "bin/run.sh", "#!/bin/sh\necho run\n");
  chmodSync(path.join(dir, "bin/run.sh"), 0o755);
  write(dir, ".gitignore", "dist/\nnode_modules/\n.env*\n*.log\n");
  await commitAll(dir);
  return dir;
}

const status = (dir: string) => git(dir, "status", "--porcelain=v1", "-uall");
const room = () => path.join(tempDir("room-"), "checkout");

describe("the clean room's checkout", () => {
  it("has the same HEAD, branch, staged, unstaged and untracked state as the user's checkout", async () => {
    const dir = await repo();
    const head = await git(dir, "rev-parse", "HEAD");
    write(dir, "src/main.ts", "export const main = 2; // staged\n");
    await git(dir, "add", "src/main.ts");
    write(dir, "src/main.ts", "export const main = 3; // staged, then edited again\n");
    write(dir, "src/new-staged.ts", "export const added = 1;\n");
    await git(dir, "add", "src/new-staged.ts");
    write(dir, "src/untracked.ts", "export const untracked = 1;\n");
    rmSync(path.join(dir, "docs/obsolete.md"));
    renameSync(path.join(dir, "src/old-name.ts"), path.join(dir, "src/new-name.ts"));
    symlinkSync("src/main.ts", path.join(dir, "main-link.ts"));
    chmodSync(path.join(dir, "src/main.ts"), 0o755);

    const dest = room();
    const checkout = await snapshotCheckout(dir, dest);

    expect(checkout.head).toBe(head);
    expect(checkout.branch).toBe("main");
    expect(await git(dest, "rev-parse", "HEAD")).toBe(head);
    expect(await git(dest, "rev-parse", "--abbrev-ref", "HEAD")).toBe("main");
    expect(await git(dest, "rev-parse", "--show-toplevel")).toBe(dest);
    expect(await status(dest)).toBe(await status(dir));
    // The working state, not the staged one; deleted and renamed-away files are absent.
    expect(readFileSync(path.join(dest, "src/main.ts"), "utf8")).toContain("main = 3");
    expect(await git(dest, "show", ":src/main.ts")).toContain("main = 2");
    expect(existsSync(path.join(dest, "docs/obsolete.md"))).toBe(false);
    expect(existsSync(path.join(dest, "src/old-name.ts"))).toBe(false);
    expect(readFileSync(path.join(dest, "src/new-name.ts"), "utf8")).toContain("renamed");
    expect(readFileSync(path.join(dest, "src/untracked.ts"), "utf8")).toContain("untracked");
    expect(lstatSync(path.join(dest, "main-link.ts")).isSymbolicLink()).toBe(true);
    expect(readlinkSync(path.join(dest, "main-link.ts"))).toBe("src/main.ts");
    expect(statSync(path.join(dest, "bin/run.sh")).mode & 0o111).toBe(0o111);
    expect(statSync(path.join(dest, "src/main.ts")).mode & 0o111).toBe(0o111);

    expect(checkout.dirty).toBe(true);
    expect(checkout.changes).toEqual([
      { status: "D", path: "docs/obsolete.md" },
      { status: "A", path: "main-link.ts" },
      { status: "M", path: "src/main.ts" },
      { status: "A", path: "src/new-name.ts" },
      { status: "A", path: "src/new-staged.ts" },
      { status: "D", path: "src/old-name.ts" },
      { status: "A", path: "src/untracked.ts" },
    ]);
    expect(describeCheckout(checkout)).toBe(`${head} (branch main) with uncommitted changes: 1 modified, 4 added or untracked, 2 deleted`);
  });

  it("leaves out ignored files (.env), node_modules and the output folder even when git does not ignore them, and lists what it left out", async () => {
    const dir = await repo();
    // This project's .gitignore does not list node_modules.
    write(dir, ".gitignore", "dist/\n.env*\n*.log\n");
    await commitAll(dir, "ignore less");
    write(dir, ".env", "TOKEN=secret\n");
    write(dir, ".env.local", "TOKEN=local-secret\n");
    write(dir, "debug.log", "ignored\n");
    write(dir, "dist/old-build", "ignored output\n");
    // Not ignored by this project's .gitignore, yet never sources of a checkout:
    write(dir, "packages/a/node_modules/dep/index.js", "installed\n");
    write(dir, "out/artifact", "output folder\n");

    const dest = room();
    const checkout = await snapshotCheckout(dir, dest, { exclude: ["out"] });
    for (const file of [".env", ".env.local", "debug.log", "dist", "packages/a/node_modules", "out"]) {
      expect(existsSync(path.join(dest, file)), file).toBe(false);
    }
    expect(checkout.leftOut).toEqual([".env", ".env.local", "debug.log", "dist/"]);
    expect(checkout.excluded).toEqual(["node_modules (any depth)", "out/"]);
    expect(checkout.dirty).toBe(false);
    expect(describeCheckout(checkout)).toBe(`${checkout.head} (branch main)`);
  });

  it("writes nothing into the user's repository: index, refs, stash, config, hooks and object store are unchanged", async () => {
    const dir = await repo();
    write(dir, "src/main.ts", "export const main = 'stashed';\n");
    await git(dir, "stash", "-q");
    write(dir, "src/main.ts", "export const main = 'dirty';\n");
    write(dir, "src/brand-new.ts", "export const fresh = 'a blob no repository has yet';\n");
    const before = await repositoryFingerprint(dir);
    const dest = room();
    await snapshotCheckout(dir, dest);
    expect(await repositoryFingerprint(dir)).toEqual(before);
    // The new file's blob went to the clean room's own object store.
    const blob = (await git(dest, "hash-object", "src/brand-new.ts")).trim();
    expect(await git(dest, "cat-file", "-t", blob)).toBe("blob");
    await expect(git(dir, "cat-file", "-t", blob)).rejects.toThrow();
  });

  it("recreates a checkout with no commit yet, a detached HEAD, and a shallow clone", async () => {
    const fresh = path.join(tempDir("snapshot-"), "fresh");
    write(fresh, "index.ts", "console.log(1);\n");
    await git(fresh, "init", "-q", "-b", "trunk");
    await git(fresh, "add", "index.ts");
    write(fresh, "later.ts", "untracked\n");
    const unborn = await snapshotCheckout(fresh, room());
    expect(unborn.head).toBeUndefined();
    expect(unborn.branch).toBe("trunk");
    expect(await status(unborn.dest)).toBe(await status(fresh));
    expect(describeCheckout(unborn)).toBe("no commit yet (branch trunk) with uncommitted changes: 2 added or untracked");

    const dir = await repo();
    const first = await git(dir, "rev-parse", "HEAD");
    write(dir, "src/main.ts", "export const main = 'second';\n");
    await commitAll(dir, "second");
    await git(dir, "tag", "-a", "v1.0.0", "-m", "release");
    await git(dir, "checkout", "-q", "--detach", first);
    const detached = await snapshotCheckout(dir, room());
    expect(detached.branch).toBeUndefined();
    expect(await git(detached.dest, "rev-parse", "HEAD")).toBe(first);
    expect(await git(detached.dest, "describe", "--tags", "main")).toBe("v1.0.0");

    await git(dir, "checkout", "-q", "main");
    const shallow = path.join(tempDir("snapshot-"), "shallow");
    await git(path.dirname(shallow), "clone", "-q", "--depth", "1", `file://${dir}`, shallow);
    const fromShallow = await snapshotCheckout(shallow, room());
    expect(fromShallow.shallow).toBe(true);
    expect(await git(fromShallow.dest, "rev-parse", "--is-shallow-repository")).toBe("true");
    expect(await git(fromShallow.dest, "log", "--format=%s")).toBe("second");
    expect(await status(fromShallow.dest)).toBe("");
  });

  it("recreates checked-out submodules with their own uncommitted changes, and says when one is not checked out", async () => {
    const lib = await repo();
    const dir = await repo();
    await git(dir, "-c", "protocol.file.allow=always", "submodule", "add", "-q", lib, "vendor/lib");
    await git(dir, "-c", "protocol.file.allow=always", "submodule", "add", "-q", lib, "vendor/unused");
    await commitAll(dir, "submodules");
    await git(dir, "submodule", "deinit", "-q", "vendor/unused");
    write(dir, "vendor/lib/src/main.ts", "export const main = 'edited inside the submodule';\n");

    const checkout = await snapshotCheckout(dir, room());
    const lib2 = checkout.submodules.find((s) => s.path === "vendor/lib")!;
    expect("notCheckedOut" in lib2.state).toBe(false);
    const sub = path.join(checkout.dest, "vendor/lib");
    expect(readFileSync(path.join(sub, "src/main.ts"), "utf8")).toContain("edited inside the submodule");
    expect(await git(sub, "rev-parse", "HEAD")).toBe(await git(path.join(dir, "vendor/lib"), "rev-parse", "HEAD"));
    expect(checkout.submodules.find((s) => s.path === "vendor/unused")!.state).toEqual({ notCheckedOut: expect.stringContaining("not checked out") });
    expect(existsSync(path.join(checkout.dest, "vendor/unused/src"))).toBe(false);
  });

  it("follows the folder it is given, not GIT_DIR or GIT_INDEX_FILE left over from a git hook", async () => {
    const dir = await repo();
    const other = await repo();
    write(dir, "src/only-here.ts", "export {};\n");
    const checkout = await snapshotCheckout(path.join(dir, "src"), room(), {
      env: { ...process.env, GIT_DIR: path.join(other, ".git"), GIT_INDEX_FILE: path.join(other, ".git", "index"), GIT_WORK_TREE: other },
    });
    expect(checkout.source).toBe(dir);
    expect(existsSync(path.join(checkout.dest, "src/only-here.ts"))).toBe(true);
  });

  it("refuses a folder that is not a git checkout, saying how to make one", async () => {
    const dir = tempDir("not-git-");
    write(dir, "index.ts", "console.log(1);\n");
    write(dir, ".env", "TOKEN=secret\n");
    const error = await snapshotCheckout(dir, room()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).message).toBe(`${dir} is not inside a git checkout, so the clean room cannot tell your sources from local files (.env files, notes, stale generated files) and will not copy the folder`);
    expect((error as UsageError).fix).toContain('git init && git add -A && git commit -m "initial commit"');
    expect((error as UsageError).fix).toContain("--reference <folder|SHA256SUMS|manifest.json|URL>");
  });
});
