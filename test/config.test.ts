// targets.json loading: every rejection names the file, the JSON path, what was expected and the fix.
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadConfig } from "../verify/config/index.ts";
import { ConfigError } from "../verify/errors.ts";
import { REPO, removeTemps, runCli, tempDir } from "./helpers.ts";

const BUN_VERSION = "1.4.5";

function project(targetsJson: unknown, files: Record<string, string> = { "src/cli.ts": "console.log(1)\n" }): string {
  const dir = tempDir();
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), text);
  }
  const text = typeof targetsJson === "string" ? targetsJson : JSON.stringify(targetsJson, null, 2);
  writeFileSync(path.join(dir, "targets.json"), text);
  return path.join(dir, "targets.json");
}

const base = () => ({
  name: "app",
  entrypoint: "src/cli.ts",
  targets: [
    { id: "linux-x64", os: "linux", arch: "x64" },
    { id: "darwin-arm64", os: "darwin", arch: "arm64" },
  ],
});

function rejection(file: string, bunVersion = BUN_VERSION): ConfigError {
  try {
    loadConfig(file, { bunVersion });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error("expected the config to be rejected");
}

afterAll(removeTemps);

describe("targets.json", () => {
  it("loads the repo's own config: six targets building the verifier CLI", () => {
    const config = loadConfig(path.join(REPO, "targets.json"), { bunVersion: BUN_VERSION });
    expect(config.name).toBe("bun-parity");
    expect(config.entrypoint).toBe("verify/cli.ts");
    expect(config.targets.map((t) => t.id)).toEqual([
      "linux-x64", "linux-arm64", "darwin-x64", "darwin-arm64", "windows-x64", "windows-arm64",
    ]);
    expect(config.targets.find((t) => t.id === "darwin-x64")?.runner).toBe("macos-15-intel");
    expect(config.build.env.NODE_ENV).toBe("production");
    expect(config.build.autoload).toEqual({ dotenv: false, bunfig: false, tsconfig: false, packageJson: false });
  });

  it("fills defaults: bunTarget, libc, runner, outDir", () => {
    const file = project(base());
    const config = loadConfig(file, { bunVersion: BUN_VERSION });
    expect(config.targets[0]).toMatchObject({ bunTarget: "bun-linux-x64", libc: "glibc", runner: "ubuntu-24.04" });
    expect(config.targets[1]).toMatchObject({ bunTarget: "bun-darwin-arm64", runner: "macos-15" });
    expect(config.outDir).toBe(path.join(path.dirname(file), "dist"));
  });

  it("rejects malformed JSON with line and column", () => {
    const file = project('{\n  "name": "app",\n  "entrypoint": "src/cli.ts"\n  "targets": []\n}\n');
    const error = rejection(file);
    expect(error.message).toContain(`${file}:4:3`);
    expect(error.message).toContain("malformed JSON (CommaExpected)");
    expect(error.fix).toContain("line 4, column 3");
  });

  it("rejects an unknown key and suggests the closest known one", () => {
    const file = project({ ...base(), build: { minfy: true } });
    const error = rejection(file);
    expect(error.jsonPath).toBe("$.build.minfy");
    expect(error.message).toContain('unknown key "minfy"');
    expect(error.expected).toContain("minify");
    expect(error.fix).toContain('Did you mean "minify"?');
    expect(error.line).toBeGreaterThan(1);
  });

  it("rejects duplicate target ids, naming both entries", () => {
    const config = base();
    config.targets.push({ id: "linux-x64", os: "linux", arch: "arm64" });
    const error = rejection(project(config));
    expect(error.jsonPath).toBe("$.targets[2].id");
    expect(error.message).toContain('duplicate target id "linux-x64" (also at $.targets[0])');
    expect(error.fix).toContain("Rename or remove");
  });

  it.each([
    ["os", "freebsd", '"linux", "darwin", "windows"'],
    ["arch", "ia32", '"x64", "arm64"'],
    ["libc", "uclibc", '"glibc", "musl"'],
  ])("rejects an unknown %s", (key, value, allowed) => {
    const config = base() as { targets: Record<string, string>[] };
    config.targets[0]![key] = value;
    const error = rejection(project(config));
    expect(error.jsonPath).toBe(`$.targets[0].${key}`);
    expect(error.message).toContain(`"${value}" is not allowed`);
    expect(error.expected).toBe(`one of: ${allowed}`);
    expect(error.fix).toContain("Change the value");
  });

  it("rejects a Bun target string that disagrees with os/arch", () => {
    const config = base() as { targets: Record<string, string>[] };
    config.targets[1]!.bunTarget = "bun-darwin-x64";
    const error = rejection(project(config));
    expect(error.jsonPath).toBe("$.targets[1].bunTarget");
    expect(error.message).toContain('"bun-darwin-x64" builds darwin/x64/glibc but the target says darwin/arm64/glibc');
    expect(error.fix).toContain('"bunTarget": "bun-darwin-arm64"');
  });

  it("accepts Bun's aliases in the target string (aarch64, macos)", () => {
    const config = base() as { targets: Record<string, string>[] };
    config.targets[1]!.bunTarget = "bun-macos-aarch64";
    expect(loadConfig(project(config), { bunVersion: BUN_VERSION }).targets[1]!.bunTarget).toBe("bun-macos-aarch64");
  });

  it("rejects musl on a non-Linux target", () => {
    const config = base() as { targets: Record<string, string>[] };
    config.targets[1]!.libc = "musl";
    const error = rejection(project(config));
    expect(error.jsonPath).toBe("$.targets[1].libc");
    expect(error.fix).toContain('set "os": "linux"');
  });

  it("rejects a target the pinned Bun cannot build (windows-arm64 before 1.3.10)", () => {
    const config = base();
    config.targets.push({ id: "windows-arm64", os: "windows", arch: "arm64" });
    const error = rejection(project(config), "1.3.9");
    expect(error.jsonPath).toBe("$.targets[2]");
    expect(error.message).toContain("Bun 1.3.9 cannot build windows-arm64: bun-windows-arm64 first shipped in Bun 1.3.10");
    expect(error.expected).toBe("Bun >= 1.3.10");
    expect(error.fix).toContain("npm install --save-exact --save-dev bun@");
  });

  it("rejects a missing entrypoint, naming where it looked", () => {
    const file = project({ ...base(), entrypoint: "src/main.ts" });
    const error = rejection(file);
    expect(error.jsonPath).toBe("$.entrypoint");
    expect(error.message).toContain(`"src/main.ts" does not exist (looked for ${path.join(path.dirname(file), "src/main.ts")})`);
    expect(error.fix).toContain("Fix the path");
  });

  it.each(["../escape", "nested/name", ".hidden"])("rejects an output name that escapes the dist folder: %s", (name) => {
    const error = rejection(project({ ...base(), name }));
    expect(error.jsonPath).toBe("$.name");
    expect(error.message).toContain("could escape the output folder");
    expect(error.fix).toContain("plain name");
  });

  it("rejects a missing required key", () => {
    const { targets: _targets, ...withoutTargets } = base();
    const error = rejection(project(withoutTargets));
    expect(error.message).toContain('missing required key "targets"');
    expect(error.fix).toBe('Add "targets" to this object.');
  });

  it("rejects a smoke pattern that is not a regular expression", () => {
    const error = rejection(project({ ...base(), smoke: [{ name: "v", args: [], stdout: "(" }] }));
    expect(error.jsonPath).toBe("$.smoke[0].stdout");
    expect(error.expected).toBe("a JavaScript regular expression");
  });

  it("is reported by the CLI with exit code 2 and the fix on its own line", async () => {
    const file = project({ ...base(), targets: [{ id: "linux-x64", os: "linux", arch: "x64", bunTarget: "bun-linux-arm64" }] });
    const result = await runCli(["plan", "--config", file]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/^error: .*targets\.json:\d+:\d+: \$\.targets\[0\]\.bunTarget: "bun-linux-arm64" builds linux\/arm64/m);
    expect(result.stderr).toMatch(/^fix: Set "bunTarget": "bun-linux-x64"/m);
  });
});

describe("targets.json build options", () => {
  it("refuses an entrypoint without a JavaScript/TypeScript extension, saying Bun would compile an executable that runs nothing", () => {
    const shim = "#!/usr/bin/env bun\nimport \"../index\";\n";
    const error = rejection(project({ ...base(), entrypoint: "bin/tool" }, { "bin/tool": shim, "index.ts": "console.log(1)\n" }));
    expect(error.jsonPath).toBe("$.entrypoint");
    expect(error.message).toContain('"bin/tool" has no extension: Bun compiles such a file into an executable that runs nothing and exits 0');
    expect(error.fix).toContain("the file it imports");
  });

  it("refuses an entrypoint with a non-module extension (.sh)", () => {
    const error = rejection(project({ ...base(), entrypoint: "run.sh" }, { "run.sh": "echo hi\n" }));
    expect(error.message).toContain('the extension ".sh"');
  });

  it("accepts every module extension Bun compiles", () => {
    for (const ext of [".ts", ".tsx", ".mts", ".cts", ".js", ".jsx", ".mjs", ".cjs"]) {
      const config = loadConfig(project({ ...base(), entrypoint: `cli${ext}` }, { [`cli${ext}`]: "console.log(1)\n" }), { bunVersion: BUN_VERSION });
      expect(config.entrypoint).toBe(`cli${ext}`);
    }
  });

  it("resolves a define from package.json's version at load time, as a JSON string", () => {
    const file = project(
      { ...base(), build: { define: { __APP_VERSION__: { packageJson: "version" }, CHANNEL: '"stable"' } } },
      { "src/cli.ts": "console.log(__APP_VERSION__)\n", "package.json": JSON.stringify({ name: "app", version: "2.7.1" }) },
    );
    const config = loadConfig(file, { bunVersion: BUN_VERSION });
    expect(config.build.define).toEqual({ __APP_VERSION__: '"2.7.1"', CHANNEL: '"stable"' });
    expect(config.build.defineSources).toEqual({ __APP_VERSION__: "package.json version" });
  });

  it("names the missing package.json field of a define", () => {
    const file = project(
      { ...base(), build: { define: { BUILD: { packageJson: "config.build" } } } },
      { "src/cli.ts": "1\n", "package.json": JSON.stringify({ name: "app", version: "1.0.0" }) },
    );
    const error = rejection(file);
    expect(error.jsonPath).toBe("$.build.define.BUILD.packageJson");
    expect(error.message).toContain('package.json has no string, number or boolean at "config.build"');
  });

  it("refuses build.args that set what bun-parity sets itself, and values that are not flags", () => {
    expect(rejection(project({ ...base(), build: { args: ["--outfile=x"] } })).message).toContain('"--outfile=x" is set by bun-parity itself');
    const define = rejection(project({ ...base(), build: { args: ["--define", "A=1"] } }));
    expect(define.fix).toBe("Move it to build.define.");
    expect(rejection(project({ ...base(), build: { args: ["--loader", ".txt:file"] } })).jsonPath).toBe("$.build.args[1]");
  });

  it("reads prepare steps (shell string, argv, named) and skips the entry check until they ran", () => {
    const file = project(
      { ...base(), entrypoint: "out/cli.js", build: { prepare: ["tsc -p .", ["node", "gen.js"], { name: "bundle", run: "rollup -c" }] } },
      { "src/cli.ts": "1\n" },
    );
    const config = loadConfig(file, { bunVersion: BUN_VERSION });
    expect(config.build.prepare).toEqual([
      { name: "tsc -p .", run: "tsc -p ." },
      { name: "node gen.js", run: ["node", "gen.js"] },
      { name: "bundle", run: "rollup -c" },
    ]);
  });

  it("turns build options into bun build flags in the plan", async () => {
    const { buildPlan } = await import("../verify/plan/index.ts");
    const file = project(
      {
        ...base(),
        targets: [{ id: "linux-x64", os: "linux", arch: "x64" }, { id: "windows-x64", os: "windows", arch: "x64" }],
        build: {
          minify: { whitespace: true, identifiers: true }, keepNames: true, sourcemap: "external", format: "cjs",
          external: ["fsevents"], windows: { hideConsole: true, title: "App" }, additionalEntrypoints: ["src/worker.ts"], args: ["--loader=.txt:file"],
        },
      },
      { "src/cli.ts": "1\n", "src/worker.ts": "2\n" },
    );
    const config = loadConfig(file, { bunVersion: BUN_VERSION });
    const plan = buildPlan(config, { bunVersion: BUN_VERSION, runtimePathFor: () => "/rt" });
    const [linux, windows] = plan.targets;
    expect(linux!.argv).toEqual(expect.arrayContaining(["--minify-whitespace", "--minify-identifiers", "--keep-names", "--sourcemap=external", "--format=cjs", "--external=fsevents", "--loader=.txt:file"]));
    expect(linux!.argv).not.toContain("--minify-syntax");
    expect(linux!.argv.slice(-2)).toEqual(["./src/cli.ts", "./src/worker.ts"]);
    expect(linux!.argv.some((a) => a.startsWith("--windows-"))).toBe(false);
    expect(windows!.argv).toEqual(expect.arrayContaining(["--windows-hide-console", "--windows-title=App"]));
  });
});

describe("generated schema validator", () => {
  it("is up to date with targets.schema.json (run `bun scripts/generate-validator.ts` after editing the schema)", async () => {
    const { generateValidatorSource, VALIDATOR_FILE } = await import("../scripts/generate-validator.ts");
    const { readFileSync } = await import("node:fs");
    expect(readFileSync(VALIDATOR_FILE, "utf8")).toBe(generateValidatorSource());
  });
});
