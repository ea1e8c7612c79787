// `bun verify explain` as a command, on executables built by `bun verify build` (minified, as a
// release is): the cause is still named when Bun folds the inlined value into a string.
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { copyFixture, removeTemps, runCli } from "./helpers.ts";

const built: Record<string, string> = {};

beforeAll(async () => {
  for (const nodeEnv of ["production", "development"]) {
    const app = copyFixture("hello");
    const config = JSON.parse(readFileSync(path.join(app, "targets.json"), "utf8"));
    config.build = { minify: true, env: { NODE_ENV: nodeEnv } };
    writeFileSync(path.join(app, "targets.json"), JSON.stringify(config));
    const result = await runCli(["build", "--target", "linux-x64"], { cwd: app });
    expect(result.exitCode, result.stderr).toBe(0);
    built[nodeEnv] = path.join(app, "dist", "hello-linux-x64");
  }
});
afterAll(removeTemps);

describe("bun verify explain", () => {
  it("names NODE_ENV folded into a minified template string, and exits 1 like diff", async () => {
    const result = await runCli(["explain", built.production!, built.development!]);
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toMatch(/\[env-inlined\] NODE_ENV inlined differently in \/\$bunfs\/root\/hello: "production" in .* "development" in /);
  });

  it("exits 0 for identical files and 2 for a missing one", async () => {
    expect((await runCli(["explain", built.production!, built.production!])).exitCode).toBe(0);
    const missing = await runCli(["explain", built.production!, "no-such-file"]);
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toContain("no-such-file: no such file");
  });

  it("writes the explanation as JSON", async () => {
    const result = await runCli(["explain", "--json", built.production!, built.development!]);
    const json = JSON.parse(result.stdout) as { identical: boolean; causes: { code: string }[] };
    expect(json.identical).toBe(false);
    expect(json.causes.map((c) => c.code)).toEqual(["env-inlined"]);
  });
});
