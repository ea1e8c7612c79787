// `bun verify explain` as a command, on executables built by `bun verify build` (minified, as a
// release is). With the build fingerprints of manifest.json it names the input or setting that
// differed; without them its causes are "likely", read from the bytes. Each case is also checked
// against every other cause: a NODE_ENV difference is never a source change, and a source edit
// that swaps "test" for "production" is never NODE_ENV.
import { copyFileSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Explanation } from "../verify/explain/index.ts";
import { copyFixture, removeTemps, runCli, tempDir } from "./helpers.ts";

/** dist/hello-linux-x64 of a build, and the same bytes copied where no manifest.json lists them. */
interface Built {
  file: string;
  manifest: string;
  bare: string;
}
const built: Record<string, Built> = {};

async function build(name: string, nodeEnv: string, edit?: (source: string) => string): Promise<void> {
  const app = copyFixture("hello", path.join(tempDir(`explain-${name}-`), "hello"));
  const config = JSON.parse(readFileSync(path.join(app, "targets.json"), "utf8"));
  config.build = { minify: true, env: { NODE_ENV: nodeEnv } };
  writeFileSync(path.join(app, "targets.json"), JSON.stringify(config));
  if (edit) writeFileSync(path.join(app, "index.ts"), edit(readFileSync(path.join(app, "index.ts"), "utf8")));
  const result = await runCli(["build", "--target", "linux-x64"], { cwd: app });
  expect(result.exitCode, result.stderr).toBe(0);
  const file = path.join(app, "dist", "hello-linux-x64");
  const bare = path.join(tempDir(`explain-${name}-bare-`), "hello-linux-x64");
  copyFileSync(file, bare);
  built[name] = { file, manifest: path.join(app, "dist", "manifest.json"), bare };
}

// The edit prints a literal where the fixture prints the inlined NODE_ENV: "test", then "production".
const printing = (word: string) => (source: string) => source.replace("(${process.env.NODE_ENV})", `(${word})`);

beforeAll(async () => {
  await build("production", "production");
  await build("development", "development");
  await build("edit-test", "production", printing("test"));
  await build("edit-production", "production", printing("production"));
});
afterAll(removeTemps);

async function explainJson(args: string[]): Promise<Explanation> {
  const result = await runCli(["explain", "--json", ...args]);
  expect(result.exitCode, result.stderr).toBe(1);
  return JSON.parse(result.stdout) as Explanation;
}
const codes = (e: Explanation) => e.causes.map((c) => c.code);

describe("bun verify explain with the build fingerprints", () => {
  it("names the differing setting: same inputs; NODE_ENV production vs development, and nothing else", async () => {
    const result = await runCli(["explain", built.production!.file, built.development!.file]);
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toMatch(/^ {2}\[env-inlined\] same inputs; NODE_ENV production vs development$/m);
    expect(result.stdout).toMatch(/^Evidence: the build fingerprints \(.*manifest\.json, .*manifest\.json\)\.$/m);
    expect(result.stdout).not.toContain("likely");
    const json = await explainJson([built.production!.file, built.development!.file]);
    expect(codes(json)).toEqual(["env-inlined"]);
    expect(json.causes[0]).toMatchObject({ certainty: "certain", evidence: "the build fingerprints in manifest.json" });
    expect(json.evidence).toMatchObject({ kind: "fingerprints", same: false });
  });

  it("names the edited file for a source edit of \"test\" to \"production\" in the same environment, never NODE_ENV", async () => {
    const json = await explainJson([built["edit-test"]!.file, built["edit-production"]!.file]);
    expect(codes(json)).toEqual(["source-changed"]);
    expect(json.causes[0]).toMatchObject({ certainty: "certain", summary: "index.ts differs" });
  });

  it("takes the fingerprints from --manifest when the files are elsewhere, and refuses a manifest that lists neither", async () => {
    const json = await explainJson([built.production!.bare, built.development!.bare, "--manifest", built.production!.manifest, "--manifest", built.development!.manifest]);
    expect(json.causes.map((c) => [c.code, c.summary, c.certainty])).toEqual([["env-inlined", "same inputs; NODE_ENV production vs development", "certain"]]);
    const wrong = await runCli(["explain", built.production!.bare, built.development!.bare, "--manifest", built["edit-test"]!.manifest]);
    expect(wrong.exitCode).toBe(2);
    expect(wrong.stderr).toMatch(/--manifest .*manifest\.json: lists neither file \(no target entry has their sha256\)/);
    expect(wrong.stderr).toMatch(/^fix: /m);
  });
});

describe("bun verify explain from the bytes alone", () => {
  it("calls NODE_ENV folded into a minified template string likely, with the evidence, and nothing else", async () => {
    const result = await runCli(["explain", built.production!.bare, built.development!.bare]);
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toMatch(/\[env-inlined\] likely: NODE_ENV inlined differently in \/\$bunfs\/root\/hello: "production" in .* "development" in /);
    expect(result.stdout).toMatch(/^ {4}evidence: "production" in .* where .* has "development" in \/\$bunfs\/root\/hello/m);
    const json = await explainJson([built.production!.bare, built.development!.bare]);
    expect(codes(json)).toEqual(["env-inlined"]);
    expect(json.evidence).toMatchObject({ kind: "bytes" });
  });

  it("calls a source edit of \"test\" to \"production\" a likely source change, not NODE_ENV", async () => {
    const json = await explainJson([built["edit-test"]!.bare, built["edit-production"]!.bare]);
    expect(codes(json)).toEqual(["source-changed"]);
    expect(json.causes[0]!.certainty).toBe("likely");
    expect(json.causes[0]!.evidence).toMatch(/\(test\)" vs ".*\(production\)"/);
  });

  it("exits 0 for identical files and 2 for a missing one", async () => {
    expect((await runCli(["explain", built.production!.file, built.production!.bare])).exitCode).toBe(0);
    const missing = await runCli(["explain", built.production!.file, "no-such-file"]);
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toContain("no-such-file: no such file");
  });
});
