// Input files of the reuse key are not read again when their stat facts match what the last
// build recorded (size, inode, mtime, ctime), like git's index; a file changed within a few
// seconds of being hashed is hashed again next time ("racily clean"). Real builds of a real
// fixture; the recorded stamps are edited to stand for a stamp that is wrong yet matches.
import { readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { execa } from "execa";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { sha256Hex } from "../verify/digest/index.ts";
import { RACY_MS } from "../verify/build/inputs.ts";
import { SHARED_CACHE, copyFixture, removeTemps, runCli } from "./helpers.ts";

afterAll(removeTemps);

interface State {
  inputs: Record<string, { sha256: string; statAtMs: number; ctimeMs: number; mtimeMs: number }>;
}

async function build(app: string): Promise<{ status: string; sha256: string }> {
  const result = await runCli(["build", "--target", "linux-x64", "--json"], { cwd: app });
  expect(result.exitCode, result.stderr).toBe(0);
  const outcome = JSON.parse(result.stdout).outcomes[0] as { status: string; entry: { sha256: string } };
  return { status: outcome.status, sha256: outcome.entry.sha256 };
}

/** Where the build keeps its state for an output folder (build.ts buildStatePath). */
const stateFile = (app: string) => path.join(SHARED_CACHE, "build-state", `${sha256Hex(path.resolve(app, "dist")).slice(0, 16)}.json`);

describe("input hashes reused by stat", () => {
  let app: string;
  let entry: string;
  let first: { status: string; sha256: string };

  beforeEach(async () => {
    app = copyFixture("hello");
    entry = path.join(app, "index.ts");
    first = await build(app);
    expect(first.status).toBe("built");
  });

  /**
   * Rewrites the recorded stamp of index.ts as if taken `afterChangeMs` after the file last
   * changed, optionally with a wrong sha256 (of other bytes).
   */
  function editStamp(afterChangeMs: number, wrongSha256: boolean): void {
    const state = JSON.parse(readFileSync(stateFile(app), "utf8")) as State;
    const stamp = state.inputs[entry];
    expect(stamp, "the build recorded a stamp for index.ts").toBeDefined();
    if (wrongSha256) stamp!.sha256 = sha256Hex("other bytes");
    stamp!.statAtMs = Math.max(stamp!.ctimeMs, stamp!.mtimeMs) + afterChangeMs;
    writeFileSync(stateFile(app), JSON.stringify(state));
  }

  it("a stamp taken well after the file's last change is trusted: the file is not read (a wrong stamp shows)", async () => {
    editStamp(RACY_MS + 1000, true);
    // The key now holds the wrong sha256 for index.ts, so it no longer matches the manifest.
    expect((await build(app)).status).toBe("built");
  });

  it("a stamp taken within RACY_MS of the change is not trusted: the file is hashed again", async () => {
    editStamp(RACY_MS - 1000, true);
    expect(await build(app)).toEqual({ ...first, status: "reused" });
  });

  it("an edit that keeps the size and puts the mtime back is seen, even with a trusted stamp (its ctime changed)", async () => {
    editStamp(RACY_MS + 1000, false);
    const before = statSync(entry, { bigint: true });
    const reference = path.join(app, "index.ts.times");
    await execa("cp", ["--preserve=timestamps", entry, reference]);
    const text = readFileSync(entry, "utf8");
    writeFileSync(entry, text.replace("hello ${name}", "HELLO ${name}"));
    await execa("touch", ["-r", reference, entry]); // the mtime back to the nanosecond
    rmSync(reference);
    const after = statSync(entry, { bigint: true });
    expect(after.size).toBe(before.size);
    expect(after.mtimeNs).toBe(before.mtimeNs);
    expect(after.ctimeNs).not.toBe(before.ctimeNs);
    const next = await build(app);
    expect(next.status).toBe("built");
    expect(next.sha256).not.toBe(first.sha256);
  });
});
