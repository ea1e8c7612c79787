// The module reads targets.json itself (it cannot import verify/: only dagger/ is loaded into
// the engine), so these tests hold its reading to the verifier's: same output folder, same
// executable names, for the repository's own targets.json.
import { readFileSync } from "node:fs";
import path from "node:path";

import { describe, expect, it } from "vitest";

import { artifactFileName, findTarget, readBuildLayout } from "../../dagger/src/targets.ts";
import { parseConfig } from "../../verify/config/index.ts";
import { buildPlan } from "../../verify/plan/index.ts";

const ROOT = path.resolve(import.meta.dirname, "../..");
const TARGETS = path.join(ROOT, "targets.json");
const text = readFileSync(TARGETS, "utf8");
const bunVersion = (JSON.parse(readFileSync(path.join(ROOT, "node_modules", "bun", "package.json"), "utf8")) as { version: string }).version;

describe("the module's reading of targets.json", () => {
  it("agrees with the verifier's build plan on the output folder and every executable's name", () => {
    const layout = readBuildLayout(text);
    const plan = buildPlan(parseConfig(text, TARGETS, { bunVersion }), { bunVersion, runtimePathFor: () => "/runtime" });
    expect(layout.outDir).toBe(path.relative(plan.projectDir, plan.outDir).split(path.sep).join("/"));
    expect(layout.targets.map((t) => t.id)).toEqual(plan.targets.map((t) => t.target.id));
    for (const t of plan.targets) expect(artifactFileName(layout, findTarget(layout, t.target.id)), t.target.id).toBe(t.outputFile);
  });

  it("defaults outDir to dist and libc to glibc, like targets.schema.json", () => {
    const layout = readBuildLayout(JSON.stringify({ name: "app", targets: [{ id: "linux-x64", os: "linux", arch: "x64" }] }));
    expect(layout).toEqual({ name: "app", outDir: "dist", targets: [{ id: "linux-x64", os: "linux", arch: "x64", libc: "glibc" }] });
  });

  it("says what to fix when targets.json cannot be used", () => {
    expect(() => readBuildLayout("{ nope")).toThrow(/^targets.json: not valid JSON/);
    expect(() => readBuildLayout(JSON.stringify({ name: "app", targets: [] }))).toThrow(/"targets" must be a non-empty array/);
    expect(() => readBuildLayout(JSON.stringify({ name: "app", outDir: "../out", targets: [{ id: "a", os: "linux", arch: "x64" }] })))
      .toThrow(/must be a folder inside the project/);
    expect(() => readBuildLayout(JSON.stringify({ targets: [{ id: "a", os: "linux", arch: "x64" }] }))).toThrow(/"name" must be/);
  });
});
