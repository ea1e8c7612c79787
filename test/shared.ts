// What several test files need and only read, made once per `vitest run` and shared: the first
// file that asks makes it under a lock (mkdir is atomic across the worker processes), the others
// wait for it. A test that changes files works on its own copy (copyShared).
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { execa } from "execa";
import { inject } from "vitest";
import { REPO, copyFixture, runCli, tempDir } from "./helpers.ts";

/** How long a waiting file gives the maker (an npm pack compiles lib/; a build compiles six targets). */
const WAIT_MS = 600_000;

let fallbackDir: string | undefined;

/** The run's shared folder (test/global-setup.ts); a per-process one when a file runs without it. */
function runDir(): string {
  const provided = inject("runDir") as string | undefined;
  if (provided) return provided;
  fallbackDir ??= tempDir("bun-parity-run-");
  return fallbackDir;
}

const made = new Map<string, Promise<string>>();

/**
 * The folder `key` in the run's shared folder, made by `make` (given an empty folder) exactly
 * once per run. A failed make fails every file that waits for it, with the maker's error.
 */
export function shared(key: string, make: (dir: string) => Promise<void>): Promise<string> {
  let promise = made.get(key);
  if (!promise) {
    promise = makeOnce(key, make);
    made.set(key, promise);
  }
  return promise;
}

async function makeOnce(key: string, make: (dir: string) => Promise<void>): Promise<string> {
  const root = runDir();
  const dir = path.join(root, key);
  const done = path.join(root, `${key}.done`);
  const failed = path.join(root, `${key}.failed`);
  try {
    mkdirSync(dir); // the lock: only one process creates it
  } catch {
    for (const started = Date.now(); Date.now() - started < WAIT_MS; await sleep(250)) {
      if (existsSync(done)) return dir;
      if (existsSync(failed)) throw new Error(`shared ${key} failed in another test file:\n${readFileSync(failed, "utf8")}`);
    }
    throw new Error(`shared ${key}: still not made after ${WAIT_MS / 1000} s (${dir})`);
  }
  try {
    // Made in place (a build records its absolute paths), then marked done.
    await make(dir);
    writeFileSync(done, "");
    return dir;
  } catch (error) {
    writeFileSync(failed, error instanceof Error ? (error.stack ?? error.message) : String(error));
    throw error;
  }
}

/** A private copy of a shared folder, for a test that changes files (or runs a command that writes). */
export function copyShared(dir: string, dest = path.join(tempDir(), path.basename(dir))): string {
  cpSync(dir, dest, { recursive: true });
  return dest;
}

/**
 * The package exactly as it would be published (`npm pack`: prepack compiles lib/), packed once
 * per run: the path of the .tgz.
 */
export async function packedTarball(): Promise<string> {
  const dir = await shared("npm-pack", async (out) => {
    await execa("npm", ["pack", "--json", "--pack-destination", out], {
      cwd: REPO,
      env: { ...process.env, npm_config_audit: "false", npm_config_fund: "false" },
    });
  });
  const tgz = readdirSync(dir).filter((f) => f.endsWith(".tgz"));
  if (tgz.length !== 1) throw new Error(`npm pack left ${tgz.length} tarballs in ${dir}`);
  return path.join(dir, tgz[0]!);
}

/**
 * The hello fixture built for all six targets by `bun verify build`, once per run. Read it (run
 * read-only commands in it, copy files out); to change anything use copyShared.
 */
export function builtHello(): Promise<string> {
  return shared("hello-built", async (dir) => {
    const app = copyFixture("hello", path.join(dir, "hello"));
    const built = await runCli(["build"], { cwd: app });
    if (built.exitCode !== 0) throw new Error(`bun verify build of the hello fixture exited ${built.exitCode}:\n${built.stderr}`);
  }).then((dir) => path.join(dir, "hello"));
}

