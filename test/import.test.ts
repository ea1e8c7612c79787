// The importer reads a project's existing build without running it. Each case is a pattern
// seen in public Bun CLIs, written as a tiny project of our own.
import path from "node:path";
import { describe, expect, it } from "vitest";
import { projectReader } from "../verify/cli/init.ts";
import { type ImportReader, bunVersionClaims, chooseBunVersion, entryFromBin, importBuild } from "../verify/init/import/index.ts";
import { FIXTURES } from "./helpers.ts";

/** A project held in memory: files by relative path; `ignored` lists git-ignored prefixes. */
function memory(files: Record<string, string>, ignored: string[] = []): ImportReader {
  return {
    read: (rel) => files[rel],
    list: (folder) => Object.keys(files).filter((f) => path.posix.dirname(f) === folder).sort(),
    ignored: (rel) => ignored.some((prefix) => rel.startsWith(prefix)),
  };
}

const pkg = (extra: object = {}) => JSON.stringify({ name: "demo", version: "1.4.0", ...extra }, null, 2);
const texts = (notes: { text: string }[]) => notes.map((n) => n.text);

describe("importing a build from the project's own files", () => {
  it("a TypeScript build script that spawns bun build --compile: entry, targets from the loop, a define from package.json's version", () => {
    const result = importBuild(projectReader(path.join(FIXTURES, "init", "build-script")));
    expect(result.entry?.file).toBe("src/cli.ts");
    expect(result.targets.map((t) => t.id)).toEqual(["linux-x64", "linux-arm64", "windows-x64"]);
    expect(result.build.define).toEqual({ __APP_VERSION__: { packageJson: "version" } });
    expect(result.build.minify).toBe(true);
    expect(result.name?.value).toBe("verstamp");
    expect(result.source).toMatchObject({ at: { file: "scripts/build.ts", line: 9 }, root: 'package.json script "build"' });
  });

  it("Bun.build({ compile }) in a loop beats the launcher in package.json bin", () => {
    const result = importBuild(projectReader(path.join(FIXTURES, "init", "bun-build-api")));
    expect(result.entry?.file).toBe("src/main.ts");
    expect(result.targets.map((t) => t.id)).toEqual(["linux-x64", "darwin-arm64"]);
    expect(result.build.define).toEqual({ BUILD_VERSION: { packageJson: "version" }, BUILD_CHANNEL: '"stable"' });
    expect(result.source?.at).toEqual({ file: "scripts/compile.ts", line: 9 });
  });

  it("a Justfile recipe with a for loop over targets, and a just variable in the outfile", () => {
    const result = importBuild(projectReader(path.join(FIXTURES, "init", "capital-justfile")));
    expect(result.source?.root).toBe("Justfile recipe release");
    expect(result.entry?.file).toBe("src/main.ts");
    expect(result.targets.map((t) => t.id)).toEqual(["linux-x64", "darwin-arm64"]);
    expect(result.name?.value).toBe("capjust");
  });

  it("a tsc step whose output is the entry becomes build.prepare", () => {
    const dir = path.join(FIXTURES, "init", "tsc-prestep");
    const reader = { ...projectReader(dir), ignored: (rel: string) => rel.startsWith("dist/") || rel.startsWith("bin/") };
    const result = importBuild(reader);
    expect(result.entry?.file).toBe("dist/cli.js");
    expect(result.build.prepare).toEqual(["tsc -p tsconfig.json"]);
    expect(texts(result.notImported)).toContain("no --target: the build makes an executable for the machine it runs on only; init proposes the default targets (--targets to choose)");
  });

  it("the compile's own script does not write its entry, the script that runs both does: that one's pre-step, not its lint", () => {
    const dir = path.join(FIXTURES, "init", "split-scripts");
    const result = importBuild({ ...projectReader(dir), ignored: (rel: string) => rel.startsWith("dist/") || rel.startsWith("bin/") });
    expect(result.source?.root).toBe('package.json script "build:compile"');
    expect(result.entry?.file).toBe("dist/main.mjs");
    expect(result.build.prepare).toEqual(["node scripts/bundle.mjs"]);
    expect(texts(result.notImported).some((t) => t.includes("no step before the compile writes it"))).toBe(false);
  });

  it("two compiles in one script line are two calls with their own targets", () => {
    const result = importBuild(projectReader(path.join(FIXTURES, "init", "pinned-bun")));
    expect(result.targets.map((t) => t.id)).toEqual(["linux-x64", "darwin-x64"]);
  });

  it("a Makefile with one line per target, prerequisites, and -baseline/-musl targets", () => {
    const result = importBuild(memory({
      "package.json": pkg(),
      Makefile: [
        "OUT := dist",
        "clean:",
        "\trm -rf $(OUT)",
        "check:",
        "\tbunx tsc --noEmit",
        "bundle: clean check",
        "\t@mkdir -p $(OUT)",
        "\tbun build ./src/cli.ts --compile --minify --target=bun-linux-x64-baseline --outfile $(OUT)/demo-linux-x64",
        "\tbun build ./src/cli.ts --compile --minify --target=bun-linux-arm64 --outfile $(OUT)/demo-linux-arm64",
        "\tbun build ./src/cli.ts --compile --minify --target=bun-linux-x64-musl --outfile $(OUT)/demo-linux-x64-musl",
        "",
      ].join("\n"),
      "src/cli.ts": "console.log(1)\n",
    }));
    expect(result.entry?.file).toBe("src/cli.ts");
    expect(result.targets).toEqual([
      { id: "linux-x64-baseline", os: "linux", arch: "x64", bunTarget: "bun-linux-x64-baseline", from: { file: "Makefile", line: 8 } },
      { id: "linux-arm64", os: "linux", arch: "arm64", from: { file: "Makefile", line: 9 } },
      { id: "linux-x64-musl", os: "linux", arch: "x64", libc: "musl", from: { file: "Makefile", line: 10 } },
    ]);
    expect(result.name?.value).toBe("demo");
    // A tracked entry needs no pre-step; the type check is not one.
    expect(result.build.prepare).toBeUndefined();
  });

  it("a shell script called by a package.json script: jq-read version in the outfile only, plain bundles ignored", () => {
    const result = importBuild(memory({
      "package.json": pkg({ scripts: { build: "./build.sh" } }),
      "build.sh": [
        "#!/usr/bin/env bash",
        "set -e",
        "VERSION=$(jq -r .version package.json)",
        "bun build --compile --target=bun-linux-x64 src/cli.ts --outfile build/demo-$VERSION-linux-x64",
        "bun build src/cli.ts --outfile build/demo.js --target bun",
        "",
      ].join("\n"),
      "src/cli.ts": "console.log(1)\n",
    }));
    expect(result.source?.at).toEqual({ file: "build.sh", line: 4 });
    expect(result.found).toHaveLength(1);
    expect(result.targets.map((t) => t.id)).toEqual(["linux-x64"]);
    expect(result.name?.value).toBe("demo");
  });

  it("a Makefile with .PHONY: the build is named by its real target; --target node with --compile is the host only", () => {
    const result = importBuild(memory({
      "package.json": pkg(),
      Makefile: [".PHONY: clean build", "clean:", "\t@rm -rf dist", "build: clean", "\t@bun build src/cli.ts --target node --compile --outfile demo", "\t@mkdir dist", "\t@mv demo dist", ""].join("\n"),
      "src/cli.ts": "console.log(1)\n",
    }));
    expect(result.source?.root).toBe("Makefile target build");
    expect(result.targets).toEqual([]);
    expect(texts(result.notImported)).toContain("no --target=bun-<os>-<arch>: the build makes an executable for the machine it runs on only; init proposes the default targets (--targets to choose)");
    expect(texts(result.notImported).filter((t) => t.startsWith("`mv demo dist` runs after the compile"))).toHaveLength(1);
  });

  it("a shell script nothing runs (bundle.sh run by hand) is read too; its flags are said once, its plain bundle is not a post-step", () => {
    const result = importBuild(projectReader(path.join(FIXTURES, "init", "standalone-script")));
    expect(result.source).toMatchObject({ at: { file: "bundle.sh", line: 1 }, root: "bundle.sh (no script, recipe or workflow runs it)" });
    expect(result.entry?.file).toBe("src/cli.ts");
    expect(result.targets.map((t) => t.id)).toEqual(["linux-x64", "darwin-arm64"]);
    expect(result.build).toMatchObject({ minify: true, sourcemap: true });
    expect(texts(result.imported).filter((t) => t === "--minify")).toHaveLength(1);
    expect(texts(result.notImported)).toContain("`bun build ./src/cli.ts --outfile ./out/handbuilt.js --target bun` is a bun build without --compile (a JavaScript bundle, not an executable): bun-parity does not build it");
    expect(texts(result.notImported).some((t) => t.includes("runs after the compile"))).toBe(false);
  });

  it("a build script a package.json script runs keeps that route (its pre-steps), not a second one of its own", () => {
    const result = importBuild(memory({
      "package.json": pkg({ scripts: { build: "tsc -p . && ./build.sh" } }),
      "build.sh": "bun build --compile dist/cli.js --outfile bin/demo\n",
      "tsconfig.json": "{}",
    }, ["dist/", "bin/"]));
    expect(result.source?.root).toBe('package.json script "build"');
    expect(result.build.prepare).toEqual(["tsc -p ."]);
  });

  it("a shell string joined from an array in execSync, a define quoted for the shell", () => {
    const result = importBuild(memory({
      "package.json": pkg({ scripts: { "build:binary": "bun scripts/binary.ts" } }),
      "scripts/binary.ts": [
        'import { execSync } from "node:child_process";',
        'execSync(["bun build", "--compile", "--minify", "--no-compile-autoload-dotenv", "--no-compile-autoload-bunfig",',
        `  "--define __BUILD_KIND__='\\"release\\"'", "--outfile dist/demo", "src/cli.ts"].join(" "));`,
      ].join("\n"),
      "src/cli.ts": "console.log(1)\n",
    }));
    expect(result.entry?.file).toBe("src/cli.ts");
    expect(result.build).toMatchObject({ minify: true, autoload: { dotenv: false, bunfig: false }, define: { __BUILD_KIND__: '"release"' } });
  });

  it("Bun.build with minify parts, autoload options and a plugin: the plugin is reported, the rest imported", () => {
    const result = importBuild(memory({
      "package.json": pkg({ scripts: { build: "bun build.ts" } }),
      "build.ts": [
        'import pkg from "./package.json";',
        'import inline from "./inline-plugin";',
        'for (const target of ["bun-linux-x64", "bun-linux-arm64"] as const) {',
        "  const r = await Bun.build({",
        '    entrypoints: ["src/cli.ts"],',
        "    minify: { syntax: true, whitespace: true, identifiers: false },",
        "    define: { __APP_VERSION__: JSON.stringify(pkg.version), BUILT_AT: JSON.stringify(new Date().toISOString()) },",
        "    plugins: [inline],",
        "    compile: { target, outfile: `dist/demo-${target.slice(4)}`, autoloadDotenv: false, autoloadBunfig: false },",
        "  });",
        "}",
      ].join("\n"),
      "src/cli.ts": "console.log(1)\n",
    }));
    expect(result.build).toMatchObject({
      minify: { syntax: true, whitespace: true, identifiers: false },
      define: { __APP_VERSION__: { packageJson: "version" } },
      autoload: { dotenv: false, bunfig: false },
    });
    expect(result.build.define).not.toHaveProperty("BUILT_AT");
    const skipped = texts(result.notImported).join("\n");
    expect(skipped).toMatch(/define BUILT_AT: the value changes on every build \(a timestamp\)/);
    expect(skipped).toMatch(/plugins: they run JavaScript inside Bun\.build/);
    expect(result.targets.map((t) => t.id)).toEqual(["linux-x64", "linux-arm64"]);
  });

  it("a workflow step's matrix gives the targets, and setup-bun's bun-version is a claim", () => {
    const files = {
      "package.json": pkg(),
      "src/cli.ts": "console.log(1)\n",
      ".github/workflows/release.yml": [
        "on: push",
        "jobs:",
        "  build:",
        "    strategy:",
        "      matrix:",
        "        target: [bun-linux-x64, bun-darwin-arm64, bun-windows-x64]",
        "    runs-on: ubuntu-latest",
        "    steps:",
        "      - uses: oven-sh/setup-bun@v2",
        "        with:",
        "          bun-version: 1.3.9",
        "      - run: |",
        "          bun install",
        "          bun build --compile --minify --target=${{ matrix.target }} ./src/cli.ts --outfile out/demo-${{ matrix.target }}",
      ].join("\n"),
    };
    const result = importBuild(memory(files));
    expect(result.source?.at).toEqual({ file: ".github/workflows/release.yml", line: 14 });
    expect(result.targets.map((t) => t.id)).toEqual(["linux-x64", "darwin-arm64", "windows-x64"]);
    const claims = bunVersionClaims(memory(files));
    expect(claims).toEqual([{ at: { file: ".github/workflows/release.yml", line: 11 }, spec: "1.3.9", exact: "1.3.9", source: "workflow" }]);
  });

  it("a compile whose entry is a build output with no step before it that writes it says so", () => {
    const result = importBuild(memory({ "package.json": pkg({ scripts: { bin: "bun build --compile dist/cli.js --outfile out/demo" } }) }));
    expect(result.entry?.file).toBe("dist/cli.js");
    expect(texts(result.notImported)).toContain("dist/cli.js is a build output, but no step before the compile writes it; add the command that does to build.prepare");
  });

  it("a project that compiles its own extensionless shim is pointed at the module the shim imports", () => {
    const result = importBuild(memory({
      "package.json": pkg({ bin: { demo: "bin/demo" }, scripts: { build: "bun build bin/demo --compile --outfile out/demo" } }),
      "bin/demo": '#!/usr/bin/env bun\nimport "../src/cli"\n',
      "src/cli.ts": "console.log(1)\n",
    }));
    expect(result.entry?.file).toBe("src/cli.ts");
    expect(result.entry?.note).toContain("your build compiles bin/demo");
  });

  it("a target loop with destructuring, joined into a shell string with a conditional flag: every target, the flag with a note, one note per post-step line", () => {
    const result = importBuild(projectReader(path.join(FIXTURES, "init", "joined-loop")));
    expect(result.entry?.file).toBe("src/cli.ts");
    expect(result.targets.map((t) => t.id)).toEqual(["linux-x64", "darwin-arm64", "windows-x64"]);
    expect(result.build).toMatchObject({ bytecode: true, minify: true, define: { __KIND__: '"release"' } });
    expect(result.name?.value).toBe("looper");
    const notes = texts(result.notImported);
    expect(notes).toContain("scripts/binaries.ts:18: `...(isWin ? [] : [\"--bytecode\"])` adds --bytecode only under a condition; imported for every target: check targets.json");
    const post = notes.filter((t) => t.includes("runs after the compile"));
    expect(post).toHaveLength(1);
    expect(post[0]).toMatch(/^`cp assets\/LICENSE.txt out\/linux-x64\/LICENSE.txt` runs after the compile/);
    expect(notes.filter((t) => t.startsWith("another compile"))).toEqual([]);
  });

  it("a define whose value depends on the target is not imported with one target's value", () => {
    const result = importBuild(memory({
      "package.json": pkg({ scripts: { build: "bun scripts/build.ts" } }),
      "scripts/build.ts": [
        'for (const target of ["bun-linux-x64", "bun-linux-x64-musl"]) {',
        "  await Bun.build({",
        '    entrypoints: ["src/cli.ts"],',
        '    define: { LIBC: JSON.stringify(target.includes("-musl") ? "musl" : "glibc"), MODE: JSON.stringify("cli") },',
        "    compile: { target, outfile: `dist/demo-${target}` },",
        "  });",
        "}",
      ].join("\n"),
      "src/cli.ts": "console.log(1)\n",
    }));
    expect(result.build.define).toEqual({ MODE: '"cli"' });
    expect(texts(result.notImported)).toContain('define LIBC: the value depends on the target ("musl" or "glibc"), and targets.json has one define for every target; build each variant from its own targets.json, or compute it in the program');
  });

  it("NODE_ENV set by a define counts as set; the name survives an OS branch in the outfile; removing intermediates is not a post-step", () => {
    const result = importBuild(memory({
      "package.json": pkg({ scripts: { build: "bun scripts/build.ts" } }),
      "scripts/build.ts": [
        'import { $ } from "bun";',
        "function outfileFor(t: { os: string; arch: string }) {",
        '  return `dist/tool-${t.os === "win32" ? "windows" : t.os}-${t.arch}`;',
        "}",
        'for (const t of [{ os: "linux", arch: "x64" }, { os: "win32", arch: "x64" }]) {',
        "  await Bun.build({",
        '    entrypoints: ["src/cli.ts"],',
        '    define: { "process.env.NODE_ENV": JSON.stringify("production") },',
        "    compile: { target: `bun-${t.os}-${t.arch}`, outfile: outfileFor(t) },",
        "  });",
        "}",
        "await $`rm -f dist/tool.js.map`;",
      ].join("\n"),
      "src/cli.ts": "console.log(1)\n",
    }));
    expect(result.name?.value).toBe("tool");
    expect(texts(result.notImported).filter((t) => t.startsWith("NODE_ENV") || t.includes("runs after the compile"))).toEqual([]);
  });

  it("targets from Object.entries with a destructured pair; an entry the script writes itself is named as such", () => {
    const result = importBuild(memory({
      "package.json": pkg({ scripts: { build: "bun run ./build.js" } }),
      "build.js": [
        'import { $ } from "bun";',
        'import fs from "fs";',
        'const targets = { "linux-x64": "bun-linux-x64-modern", "mac-arm64": "bun-darwin-arm64" };',
        'fs.writeFileSync("./src/cli.gen.js", fs.readFileSync("./src/cli.js", "utf-8"));',
        "await Promise.all(Object.entries(targets).map(([name, key]) => $`bun build ./src/cli.gen.js --target=${key} --compile --outfile ./out/demo-${name}`));",
      ].join("\n"),
      "src/cli.js": "console.log(1)\n",
    }, ["src/cli.gen.js"]));
    expect(result.targets.map((t) => t.bunTarget ?? t.id)).toEqual(["bun-linux-x64-modern", "darwin-arm64"]);
    expect(result.entry?.file).toBe("src/cli.gen.js");
    expect(result.notImported).toContainEqual({
      at: { file: "build.js", line: 4 },
      text: "src/cli.gen.js is written by build.js itself before the compile (not by a command bun-parity can run): move that part into a script of its own and add it to build.prepare, or compile the module it is made from with --entry",
    });
  });

  it("a second program built for several targets is one note, with its targets and lines", () => {
    const result = importBuild(memory({
      "package.json": pkg({ scripts: { build: "./build.sh" } }),
      "build.sh": [
        "#!/bin/sh",
        "bun build ./src/cli.ts --compile --target=bun-linux-x64 --outfile out/demo-linux-x64",
        "bun build ./src/cli.ts --compile --target=bun-darwin-arm64 --outfile out/demo-darwin-arm64",
        "bun build ./src/cli.ts --compile --target=bun-windows-x64 --outfile out/demo-windows-x64",
        "bun build ./src/dev.ts --compile --target=bun-linux-x64 --outfile out/dev-linux-x64",
        "bun build ./src/dev.ts --compile --target=bun-darwin-arm64 --outfile out/dev-darwin-arm64",
        "",
      ].join("\n"),
      "src/cli.ts": "1\n",
      "src/dev.ts": "2\n",
    }));
    expect(result.entry?.file).toBe("src/cli.ts");
    expect(result.notImported.filter((n) => n.text.startsWith("another compile"))).toEqual([
      { at: { file: "build.sh", line: 5 }, text: "another compile (src/dev.ts, bun-linux-x64 bun-darwin-arm64) (also line 6) differs from the one imported; bun-parity builds one program per targets.json" },
    ]);
  });

  it("reports a post-step that changes the executable, and other compiles it did not import", () => {
    const result = importBuild(memory({
      "package.json": pkg({ scripts: { a: "bun build --compile --target=bun-linux-x64 --target=bun-linux-arm64 src/cli.ts --outfile out/a && upx --best out/a && echo done", b: "bun build --compile src/other.ts --outfile out/b" } }),
      "src/cli.ts": "1\n",
      "src/other.ts": "2\n",
    }));
    expect(result.entry?.file).toBe("src/cli.ts");
    expect(texts(result.notImported).some((t) => t.startsWith("another compile (src/other.ts)"))).toBe(true);
    expect(texts(result.notImported).filter((t) => t.includes("runs after the compile"))).toEqual([
      "`upx --best out/a` runs after the compile: bun-parity ships the compiler's output alone (checksums and archives come from bun verify build / package), without files this step puts next to it; if it changes the executable, parity with this build is not possible until it is dropped",
    ]);
  });
});

describe("the entry behind package.json bin", () => {
  it("follows an extensionless launcher to the module it imports", () => {
    const resolved = entryFromBin("bin/shimtool", projectReader(path.join(FIXTURES, "init", "bin-shim")));
    expect(resolved).toMatchObject({ ok: true, entry: "index.ts" });
  });

  it("refuses a launcher that spawns a prebuilt executable, naming the flag to use", () => {
    const resolved = entryFromBin("bin/demo.js".replace(".js", ""), memory({
      "bin/demo": "#!/usr/bin/env node\nconst r = require('child_process').spawnSync(process.execPath + '-bin', process.argv.slice(2));\n",
    }));
    expect(resolved).toMatchObject({ ok: false, fix: "Pass the module the program starts in: bun-parity init --entry src/cli.ts" });
    expect(resolved.ok ? "" : resolved.problem).toContain("Bun would compile it into an executable that runs nothing and exits 0");
  });
});

describe("a JavaScript bin that only launches another executable", () => {
  it("is refused, naming the module that exists", () => {
    const reader = memory({
      "scripts/run.js": '#!/usr/bin/env node\nimport { spawn } from "node:child_process";\nconst child = spawn(new URL("../bin/tool", import.meta.url).pathname, process.argv.slice(2), { stdio: "inherit" });\n',
      "src/main.ts": "console.log(1)\n",
    });
    const resolved = entryFromBin("scripts/run.js", reader, ["src/cli.ts", "src/main.ts"]);
    expect(resolved).toMatchObject({ ok: false, fix: "Pass the module the program starts in: bun-parity init --entry src/main.ts" });
    expect(resolved.ok ? "" : resolved.problem).toContain("scripts/run.js, a launcher: it starts another executable with the arguments it gets");
  });

  it("a JavaScript bin that is the program itself stays the entry", () => {
    const reader = memory({ "bin/tool.js": '#!/usr/bin/env node\nimport { execSync } from "node:child_process";\nconsole.log(execSync("git rev-parse HEAD").toString(), process.argv.slice(2));\n' });
    expect(entryFromBin("bin/tool.js", reader)).toEqual({ ok: true, entry: "bin/tool.js" });
  });
});

describe("the project's own Bun version", () => {
  it("prefers what the lockfile installed over the devDependency range, and reports a workflow that disagrees", () => {
    const reader = memory({
      "package.json": pkg({ devDependencies: { bun: "^1.3.0" } }),
      "package-lock.json": JSON.stringify({ packages: { "node_modules/bun": { version: "1.3.11" } } }, null, 2),
      ".github/workflows/ci.yml": "jobs:\n  t:\n    steps:\n      - uses: oven-sh/setup-bun@v2\n        with:\n          bun-version: 1.3.7\n",
    });
    const choice = chooseBunVersion(bunVersionClaims(reader), undefined);
    expect(choice.version).toBe("1.3.11");
    expect(choice.from?.source).toBe("lockfile");
    expect(choice.conflicts.map((c) => `${c.at.file}:${c.at.line} ${c.spec}`)).toEqual([".github/workflows/ci.yml:6 1.3.7"]);
  });

  it("reads .bun-version, packageManager, .tool-versions and mise.toml", () => {
    expect(bunVersionClaims(memory({ ".bun-version": "1.3.14\n" }))[0]).toMatchObject({ exact: "1.3.14", source: ".bun-version" });
    expect(bunVersionClaims(memory({ "package.json": pkg({ packageManager: "bun@1.2.20" }) }))[0]).toMatchObject({ exact: "1.2.20", source: "packageManager" });
    expect(bunVersionClaims(memory({ ".tool-versions": "nodejs 20.1.0\nbun 1.3.5\n" }))[0]).toMatchObject({ exact: "1.3.5", at: { line: 2 } });
    expect(bunVersionClaims(memory({ "mise.toml": '[tools]\nbun = "1.2.3"\n' }))[0]).toMatchObject({ exact: "1.2.3", source: "mise" });
  });

  it("a workspace package is pinned where the workspace is: the root's packageManager beats the package's engines range; the root workflow is a conflict", () => {
    const reader = projectReader(path.join(FIXTURES, "init", "workspace-pin", "packages", "cli"));
    const claims = bunVersionClaims(reader, ["..", "../.."]);
    const choice = chooseBunVersion(claims, ["1.3.7", "1.3.9", "1.4.5"]);
    expect(choice.version).toBe("1.3.9");
    expect(choice.from?.at).toEqual({ file: "../../package.json", line: 5 });
    expect(choice.conflicts.map((c) => `${c.at.file}:${c.at.line} ${c.spec}`)).toEqual(["../../.github/workflows/release.yml:10 1.3.7"]);
    // Without the ancestors, only the range: the newest Bun, which the project never builds with.
    expect(chooseBunVersion(bunVersionClaims(reader), ["1.3.7", "1.3.9", "1.4.5"]).version).toBe("1.4.5");
  });

  it("a workspace package's lockfile is the root's", () => {
    const reader = memory({
      "package.json": pkg({ devDependencies: { bun: "^1.3.0" } }),
      "../../package.json": JSON.stringify({ workspaces: ["packages/*"] }),
      "../../bun.lock": '{\n  "packages": {\n    "bun": ["bun@1.3.11", "", {}, "sha512-x"],\n  }\n}\n',
    });
    expect(chooseBunVersion(bunVersionClaims(reader, ["..", "../.."]), undefined)).toMatchObject({ version: "1.3.11", from: { source: "lockfile", at: { file: "../../bun.lock", line: 3 } } });
  });

  it("picks the newest published version that satisfies a range, and nothing for 'latest'", () => {
    const claims = bunVersionClaims(memory({ "package.json": pkg({ engines: { bun: ">=1.2.0 <1.4.0" } }) }));
    expect(chooseBunVersion(claims, ["1.1.9", "1.2.5", "1.3.14", "1.3.15-canary.1", "1.4.5"]).version).toBe("1.3.14");
    expect(chooseBunVersion(bunVersionClaims(memory({ "mise.toml": 'bun = "latest"\n' })), ["1.4.5"]).version).toBeUndefined();
  });

  it("lists the claims that follow Bun's releases, beside the pin they do not conflict with", () => {
    const reader = memory({
      ".bun-version": "1.3.14\n",
      "mise.toml": '[tools]\nbun = "latest"\n',
      ".github/workflows/ci.yml": "jobs:\n  b:\n    runs-on: ubuntu-24.04\n    steps:\n      - uses: oven-sh/setup-bun@v2\n        with:\n          bun-version: latest\n",
    });
    const choice = chooseBunVersion(bunVersionClaims(reader), undefined);
    expect(choice).toMatchObject({ version: "1.3.14", conflicts: [] });
    expect(choice.floating.map((c) => `${c.at.file}:${c.at.line} ${c.spec}`)).toEqual(["mise.toml:2 latest", ".github/workflows/ci.yml:7 latest"]);
    expect(chooseBunVersion(bunVersionClaims(memory({ ".bun-version": "1.3.14\n" })), undefined).floating).toEqual([]);
  });
});
