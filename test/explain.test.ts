// explainDifference on real `bun build --compile` outputs: for every reproducibility leak
// (docs/parity.md), two builds of a tiny app (test/fixtures/explain/<cause>/) that differ in
// exactly that one way, and the cause explain must name, and no other (the wrong-cause table
// at the end). Then the same pairs with build fingerprints: the recorded input or setting that
// differs is named, certain. Executables are built into temp folders here and removed
// afterwards; linux-x64 builds need no download on a linux-x64 host, other targets use the
// pinned, digest-checked runtimes (test/helpers.ts). Timings are in bench/explain.ts.

import { chmodSync, cpSync, mkdirSync, readFileSync, realpathSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readBunVersion, readLayout } from "../verify/binary/index.ts";
import { sha256Hex } from "../verify/digest/index.ts";
import { BinaryFormatError } from "../verify/errors.ts";
import { explainDifference, formatExplanation, type Cause, type CauseCode, type Explanation } from "../verify/explain/index.ts";
import { buildFingerprint } from "../verify/build/index.ts";
import { BUN, FIXTURES, HOST_TARGET, compileRaw, pinnedRuntime, removeTemps, tempDir, type RawCompileOptions } from "./helpers.ts";

/** `bun build --compile` the way the product does (fixed flags, NODE_ENV=production), returns the bytes. */
async function compile(appDir: string, options: RawCompileOptions): Promise<Buffer> {
  return readFileSync(await compileRaw(appDir, options));
}

/** Copies test/fixtures/explain/<cause> (or one of its files) to `dest`. */
function copyFixture(cause: string, dest: string, subpath = ""): string {
  cpSync(join(FIXTURES, "explain", cause, subpath), dest, { recursive: true });
  return dest;
}

const codes = (result: Explanation) => result.causes.map((cause) => cause.code);
const only = (result: Explanation): Cause => {
  expect(codes(result)).toHaveLength(1);
  return result.causes[0]!;
};

afterAll(() => removeTemps());

/** Every pair built below, with the one cause it must be named as (the wrong-cause table). */
const PAIRS = new Map<string, { a: Buffer; b: Buffer; cause: CauseCode }>();

describe("outfile basename", () => {
  let app: Buffer;
  let app2: Buffer;
  beforeAll(async () => {
    const work = tempDir("explain-basename-");
    const src = copyFixture("outfile-basename", join(work, "src"));
    app = await compile(src, { outfile: join(work, "a", "app") });
    app2 = await compile(src, { outfile: join(work, "b", "app2") });
    PAIRS.set("outfile basename", { a: app, b: app2, cause: "outfile-basename" });
  });

  it("names the embedded /$bunfs/root/<basename> of both files and says to build with a fixed basename", () => {
    const result = explainDifference(app, app2, { a: "app", b: "app2" });
    const cause = only(result);
    expect(cause.code).toBe("outfile-basename");
    expect(cause.summary).toContain("/$bunfs/root/app in app");
    expect(cause.summary).toContain("/$bunfs/root/app2 in app2");
    expect(cause.hint).toMatch(/fixed --outfile basename.*rename/);
    expect(result.moduleGraph?.entryPointA).toBe("/$bunfs/root/app");
    expect(result.moduleGraph?.entryPointB).toBe("/$bunfs/root/app2");
  });

  it("maps every differing byte range to a region; only the module graph and the section headers change", () => {
    const result = explainDifference(app, app2);
    expect(result.differingBytes).toBeGreaterThan(0);
    expect(result.differingRanges.length).toBe(result.differingRangeCount);
    for (const range of result.differingRanges) expect(["bun-module-graph", "header", "data", "other"]).toContain(range.kindA);
    expect(result.regionChanges.filter((change) => change.material).map((change) => change.kind).sort()).toEqual(["bun-module-graph", "header"]);
  });
});

describe("absolute build path", () => {
  let one: Buffer;
  let two: Buffer;
  let dirOne: string;
  let dirTwo: string;
  beforeAll(async () => {
    const work = tempDir("explain-abspath-");
    dirOne = realpathSync(copyFixture("absolute-path", join(work, "home", "alice", "app")));
    dirTwo = realpathSync(copyFixture("absolute-path", join(work, "ci", "runner", "build", "app")));
    one = await compile(dirOne, { outfile: join(work, "out-one", "app") });
    two = await compile(dirTwo, { outfile: join(work, "out-two", "app") });
    PAIRS.set("absolute build path", { a: one, b: two, cause: "absolute-path" });
  });

  it("names the module and both leaked paths (__dirname / __filename)", () => {
    const cause = only(explainDifference(one, two, { a: "laptop", b: "ci" }));
    expect(cause.code).toBe("absolute-path");
    expect(cause.module).toBe("/$bunfs/root/app");
    expect(cause.summary).toContain(`"${dirOne}" vs "${dirTwo}"`);
    expect(cause.summary).toContain("__dirname");
    expect(cause.detail).toContain(`__filename: "${join(dirOne, "index.ts")}" in laptop`);
    expect(cause.hint).toContain("import.meta.dir");
  });
});

describe("NODE_ENV inlined", () => {
  let production: Buffer;
  let development: Buffer;
  beforeAll(async () => {
    const work = tempDir("explain-nodeenv-");
    const src = copyFixture("node-env", join(work, "src"));
    production = await compile(src, { outfile: join(work, "prod", "app") });
    development = await compile(src, { outfile: join(work, "dev", "app"), env: { NODE_ENV: "development" } });
    PAIRS.set("NODE_ENV production vs development", { a: production, b: development, cause: "env-inlined" });
  });

  it("says NODE_ENV was inlined as \"production\" in one and \"development\" in the other", () => {
    const cause = only(explainDifference(production, development, { a: "ci", b: "laptop" }));
    expect(cause.code).toBe("env-inlined");
    expect(cause.module).toBe("/$bunfs/root/app");
    expect(cause.summary).toContain('NODE_ENV inlined differently in /$bunfs/root/app: "production" in ci, "development" in laptop');
    expect(cause.hint).toContain("NODE_ENV=production bun build --compile");
  });

  it("prints one headline per cause, the details, and a unified diff of the embedded source", () => {
    const text = formatExplanation(explainDifference(production, development, { a: "ci", b: "laptop" }));
    const lines = text.split("\n");
    expect(lines[0]).toMatch(/^ci \(linux-x64, ELF, [\d,]+ bytes, Bun \d+\.\d+\.\d+.*\) and laptop \(.*\) differ:$/);
    expect(lines[1]).toMatch(/^ {2}\[env-inlined\] likely: NODE_ENV inlined differently/);
    expect(lines[2]).toBe("Evidence: the bytes only (neither file has a build fingerprint: no manifest.json from bun verify build lists these bytes), so each cause is likely, with what suggests it.");
    expect(text).toContain("hint: process.env.NODE_ENV is inlined");
    expect(text).toContain("--- ci:/$bunfs/root/app");
    // Bun folds `process.env.NODE_ENV === "production" ? ...` once NODE_ENV is inlined.
    expect(text).toContain('-var mode = "prod";');
    expect(text).toContain('+var mode = "dev";');
    expect(text).toContain('+console.log("running in", mode, "development");');
  });

  it("names the runtime when 20 MB and one byte in every 4 KiB page of .text differ (bench/explain.ts times this case)", () => {
    const patched = Buffer.from(production);
    const text = readLayout(production).regions.find((region) => region.name === ".text")!;
    for (let at = text.offset; at < text.offset + text.size; at += 4096) patched[at] = patched[at]! ^ 0xff;
    for (let at = text.offset; at < text.offset + 20_000_000; at++) patched[at] = patched[at]! ^ 0x55;
    const result = explainDifference(production, patched);
    expect(codes(result)).toEqual(["bun-runtime"]);
    expect(result.differingBytes).toBeGreaterThan(20_000_000 * 0.9);
  });
});

describe("a compile-time constant folded into a condition", () => {
  beforeAll(async () => {
    const work = tempDir("explain-constant-");
    const src = copyFixture("constant-folded", join(work, "src"));
    const production = await compile(src, { outfile: join(work, "prod", "app") });
    const development = await compile(src, { outfile: join(work, "dev", "app"), env: { NODE_ENV: "development" } });
    PAIRS.set("condition folded to true vs false", { a: production, b: development, cause: "compile-time-constant" });
  });

  it("says a compile-time constant differed (NODE_ENV, a define, or an inlined env value), not that the sources differ", () => {
    const { a, b } = PAIRS.get("condition folded to true vs false")!;
    const cause = only(explainDifference(a, b, { a: "prod", b: "dev" }));
    expect(cause.code).toBe("compile-time-constant");
    expect(cause.summary).toBe(
      "a compile-time constant differed (NODE_ENV, a define, or an inlined env value): a condition in /$bunfs/root/app is folded to true in prod and false in dev",
    );
    expect(cause).toMatchObject({ certainty: "likely", evidence: "`true` in prod where dev has `false` in /$bunfs/root/app (a folded condition)" });
  });
});

describe("a plain source edit", () => {
  beforeAll(async () => {
    const work = tempDir("explain-source-");
    const before = copyFixture("source-edit", join(work, "before"));
    const after = copyFixture("source-edit", join(work, "after"));
    writeFileSync(join(after, "index.ts"), readFileSync(join(after, "index.ts"), "utf8").replace('const channel = "test"', 'const channel = "production"'));
    const a = await compile(before, { outfile: join(work, "out-before", "app") });
    const b = await compile(after, { outfile: join(work, "out-after", "app") });
    PAIRS.set('source edit "test" to "production"', { a, b, cause: "source-changed" });
  });

  it('calls "test" edited to "production" a likely source change, with the changed text as evidence', () => {
    const { a, b } = PAIRS.get('source edit "test" to "production"')!;
    const cause = only(explainDifference(a, b, { a: "before", b: "after" }));
    expect(cause.code).toBe("source-changed");
    expect(cause.certainty).toBe("likely");
    expect(cause.evidence).toBe('the embedded source differs ("test" vs "production"), and no build setting explains it');
  });
});

describe("CommonJS wrapper vs ESM", () => {
  let esm: Buffer;
  let cjs: Buffer;
  beforeAll(async () => {
    const work = tempDir("explain-cjs-");
    // Same folder basename on both sides: Bun names the wrapper require_<folder>.
    for (const [variant, dir] of [
      ["module", "esm"],
      ["commonjs", "cjs"],
    ] as const) {
      const app = join(work, dir, "app");
      mkdirSync(app, { recursive: true });
      for (const file of ["index.js", "lib.js"]) copyFixture("cjs-vs-esm", join(app, file), file);
      copyFixture("cjs-vs-esm", join(app, "package.json"), `variants/${variant}/package.json`);
    }
    esm = await compile(join(work, "esm", "app"), { entry: "index.js", outfile: join(work, "out-esm", "app") });
    cjs = await compile(join(work, "cjs", "app"), { entry: "index.js", outfile: join(work, "out-cjs", "app") });
    PAIRS.set("CommonJS vs ESM", { a: esm, b: cjs, cause: "cjs-vs-esm" });
  });

  it('names the file that is wrapped in __commonJS in one build only and points at package.json "type"', () => {
    const cause = only(explainDifference(esm, cjs, { a: "esm", b: "cjs" }));
    expect(cause.code).toBe("cjs-vs-esm");
    expect(cause.module).toBe("/$bunfs/root/app");
    expect(cause.summary).toContain("index.js is wrapped in __commonJS in cjs only");
    expect(cause.hint).toContain('package.json "type"');
  });
});

describe("dependency version", () => {
  let v1: Buffer;
  let v2: Buffer;
  beforeAll(async () => {
    const work = tempDir("explain-dependency-");
    for (const version of ["1.0.0", "1.1.0"]) {
      const app = copyFixture("dependency-version", join(work, version, "app"));
      cpSync(join(app, "vendor", `fake-dep-${version}`), join(app, "node_modules", "fake-dep"), { recursive: true });
    }
    v1 = await compile(join(work, "1.0.0", "app"), { entry: "index.js", outfile: join(work, "out-1", "app") });
    v2 = await compile(join(work, "1.1.0", "app"), { entry: "index.js", outfile: join(work, "out-2", "app") });
    PAIRS.set("dependency version", { a: v1, b: v2, cause: "dependency-version" });
  });

  it("names the package from node_modules and the version strings that differ", () => {
    const cause = only(explainDifference(v1, v2));
    expect(cause.code).toBe("dependency-version");
    expect(cause.module).toBe("/$bunfs/root/app");
    expect(cause.summary).toContain('fake-dep ("1.0.0" vs "1.1.0")');
    expect(cause.detail).toContain("node_modules/fake-dep/index.js");
    expect(cause.hint).toContain("lockfile");
  });
});

describe("compile flags", () => {
  const builds: Record<string, Buffer> = {};
  beforeAll(async () => {
    const work = tempDir("explain-flags-");
    const src = copyFixture("compile-flags", join(work, "src"));
    const variants: Record<string, string[]> = {
      plain: [],
      minify: ["--minify"],
      sourcemap: ["--sourcemap"],
      bytecode: ["--bytecode"],
      execArgv: ["--compile-exec-argv=--smol"],
    };
    for (const [name, flags] of Object.entries(variants)) builds[name] = await compile(src, { flags, outfile: join(work, name, "app") });
    for (const name of Object.keys(variants).filter((n) => n !== "plain")) PAIRS.set(`compile flag ${name}`, { a: builds.plain!, b: builds[name]!, cause: "compile-flags" });
  });

  it.each([
    ["minify", "--minify used for with-flag only"],
    ["sourcemap", "--sourcemap used for with-flag only"],
    ["bytecode", "--bytecode used for with-flag only"],
    ["execArgv", '--compile-exec-argv differs ("" vs "--smol")'],
  ])("names %s as the only difference", (variant, summary) => {
    const cause = only(explainDifference(builds.plain!, builds[variant]!, { a: "plain", b: "with-flag" }));
    expect(cause.code).toBe("compile-flags");
    expect(cause.summary).toBe(`different compile flags: ${summary}`);
  });

  it("calls two identical builds identical", () => {
    const copy = Buffer.from(builds.plain!);
    const result = explainDifference(builds.plain!, copy, { a: "first", b: "second" });
    expect(result.identical).toBe(true);
    expect(codes(result)).toEqual(["identical"]);
    expect(formatExplanation(result)).toMatch(/^identical: first and second are the same [\d,]+ bytes$/);
  });
});

describe("Bun runtime", () => {
  let runtime: Buffer;
  let pinned: Buffer;
  let patched: Buffer;
  let pinnedVersion: string;
  let patchedVersion: string;
  beforeAll(async () => {
    const work = tempDir("explain-runtime-");
    const src = copyFixture("bun-runtime", join(work, "src"));
    const runtimePath = HOST_TARGET === "linux-x64" ? BUN : await pinnedRuntime("linux-x64");
    runtime = readFileSync(runtimePath);
    // A second runtime that differs the way another Bun release would: its version line.
    const other = Buffer.from(runtime);
    const version = readBunVersion(other)!;
    const at = other.indexOf(`${version.text}\n`);
    pinnedVersion = version.version;
    patchedVersion = version.version.replace(/\d$/, (digit) => String((Number(digit) + 1) % 10));
    other.write(version.text.replace(`v${pinnedVersion}`, `v${patchedVersion}`), at, "latin1");
    const patchedRuntime = join(work, "bun-patched");
    writeFileSync(patchedRuntime, other);
    chmodSync(patchedRuntime, 0o755);
    pinned = await compile(src, { outfile: join(work, "pinned", "app"), runtime: runtimePath });
    patched = await compile(src, { outfile: join(work, "patched", "app"), runtime: patchedRuntime });
    PAIRS.set("Bun runtime version", { a: pinned, b: patched, cause: "bun-runtime" });
    PAIRS.set("bare runtime vs app", { a: runtime, b: pinned, cause: "module-graph-missing" });
  });

  it("reports the embedded Bun versions when the runtimes differ", () => {
    const cause = only(explainDifference(pinned, patched, { a: "pinned", b: "other" }));
    expect(cause.code).toBe("bun-runtime");
    expect(cause.summary).toMatch(new RegExp(`pinned embeds Bun ${pinnedVersion.replace(/\./g, "\\.")} .*other embeds Bun ${patchedVersion.replace(/\./g, "\\.")}`));
    expect(cause.detail).toContain(".rodata");
    expect(cause.hint).toContain("--compile-executable-path");
  });

  it("says when one file is a bare runtime without a module graph", () => {
    const cause = only(explainDifference(runtime, pinned, { a: "bun", b: "app" }));
    expect(cause.code).toBe("module-graph-missing");
    expect(cause.summary).toBe("bun has no embedded Bun module graph (a plain Bun runtime, or the .bun section was stripped)");
  });

  it("reports bytes that differ outside the module graph even when the version string is the same", () => {
    const copy = Buffer.from(pinned);
    const text = readLayout(pinned).regions.find((region) => region.name === ".text")!;
    copy[text.offset + 1234] = copy[text.offset + 1234]! ^ 0x01;
    const cause = only(explainDifference(pinned, copy));
    expect(cause.code).toBe("bun-runtime");
    expect(cause.summary).toBe("different Bun runtime: bytes differ outside the module graph, in .text");
    expect(cause.detail).toContain("the runtime was patched or built differently");
  });
});

describe("darwin code signature", () => {
  let app: Buffer;
  let app2: Buffer;
  beforeAll(async () => {
    const work = tempDir("explain-signature-");
    const src = copyFixture("code-signature", join(work, "src"));
    app = await compile(src, { target: "darwin-arm64", outfile: join(work, "a", "app") });
    app2 = await compile(src, { target: "darwin-arm64", outfile: join(work, "b", "app2") });
    const signature = readLayout(app).regions.find((region) => region.kind === "code-signature")!;
    const resigned = Buffer.from(app);
    resigned[signature.offset + signature.size - 100] = resigned[signature.offset + signature.size - 100]! ^ 0x01;
    PAIRS.set("code signature only", { a: app, b: resigned, cause: "code-signature-only" });
  });

  it("says only the code signature differs when one byte of the signature blob changes", () => {
    const signature = readLayout(app).regions.find((region) => region.kind === "code-signature")!;
    const resigned = Buffer.from(app);
    resigned[signature.offset + signature.size - 100] = resigned[signature.offset + signature.size - 100]! ^ 0x01;
    const cause = only(explainDifference(app, resigned, { a: "signed", b: "resigned" }));
    expect(cause.code).toBe("code-signature-only");
    expect(cause.hint).toContain("re-signed");
  });

  it("does not blame the signature or the runtime when the module graph changes (the signature follows it)", () => {
    const result = explainDifference(app, app2);
    expect(codes(result)).toEqual(["outfile-basename"]);
    expect(result.regionChanges.map((change) => change.kind)).toContain("code-signature");
  });
});

describe("windows PE", () => {
  let consoleApp: Buffer;
  let guiApp: Buffer;
  beforeAll(async () => {
    const work = tempDir("explain-windows-");
    const src = copyFixture("windows-subsystem", join(work, "src"));
    consoleApp = await compile(src, { target: "windows-x64", outfile: join(work, "console", "app") });
    guiApp = await compile(src, { target: "windows-x64", flags: ["--windows-hide-console"], outfile: join(work, "gui", "app") });
    PAIRS.set("windows subsystem", { a: consoleApp, b: guiApp, cause: "compile-flags" });
  });

  it("names --windows-hide-console from the PE subsystem field", () => {
    expect(readLayout(consoleApp).pe?.subsystemName).toBe("console");
    expect(readLayout(guiApp).pe?.subsystemName).toBe("gui");
    const cause = only(explainDifference(consoleApp, guiApp, { a: "console", b: "gui" }));
    expect(cause.code).toBe("compile-flags");
    expect(cause.summary).toContain("--windows-hide-console (PE subsystem console in console, gui in gui)");
  });

  it("gives a clear result, not a crash, for two different formats", async () => {
    const elf = readFileSync(await pinnedRuntime("linux-x64"));
    const cause = only(explainDifference(consoleApp, elf, { a: "app.exe", b: "bun" }));
    expect(cause.code).toBe("different-format");
    expect(cause.summary).toBe("different formats: app.exe is PE (windows-x64), bun is ELF (linux-x64)");
  });
});

describe("inputs explain cannot compare", () => {
  it("names two targets of the same format as different targets", async () => {
    const x64 = readFileSync(await pinnedRuntime("linux-x64"));
    const arm64 = readFileSync(await pinnedRuntime("linux-arm64"));
    const cause = only(explainDifference(x64, arm64, { a: "x64", b: "arm64" }));
    expect(cause.code).toBe("different-target");
    expect(cause.summary).toBe("different targets: x64 is linux-x64, arm64 is linux-arm64");
  });

  it("rejects a text file with a BinaryFormatError that names the file and what it looks like", async () => {
    const runtime = readFileSync(await pinnedRuntime("linux-x64"));
    const text = Buffer.from("#!/bin/sh\necho not a binary\n");
    expect(() => explainDifference(text, runtime, { a: "run.sh", b: "bun" })).toThrow(BinaryFormatError);
    expect(() => explainDifference(text, runtime, { a: "run.sh", b: "bun" })).toThrow(/^run\.sh: not an executable .*first bytes 23 21 2f 62.*a script/);
    expect(() => explainDifference(runtime, Buffer.from("hello\n"), { a: "bun", b: "notes.txt" })).toThrow(/notes\.txt: .*a text file/);
  });

  it("rejects a truncated executable with a BinaryFormatError instead of crashing", async () => {
    const runtime = readFileSync(await pinnedRuntime("linux-x64"));
    const truncated = runtime.subarray(0, 4096);
    expect(() => explainDifference(truncated, runtime, { a: "half.bin", b: "bun" })).toThrow(BinaryFormatError);
    expect(() => explainDifference(truncated, runtime, { a: "half.bin", b: "bun" })).toThrow(/half\.bin: truncated or malformed ELF/);
  });
});

describe("wrong causes: each case is named as its own cause and as no other", () => {
  const CASES = [
    "outfile basename",
    "absolute build path",
    "NODE_ENV production vs development",
    "condition folded to true vs false",
    'source edit "test" to "production"',
    "CommonJS vs ESM",
    "dependency version",
    "compile flag minify",
    "compile flag sourcemap",
    "compile flag bytecode",
    "compile flag execArgv",
    "Bun runtime version",
    "bare runtime vs app",
    "code signature only",
    "windows subsystem",
  ];
  it.each(CASES)("%s", (name) => {
    const pair = PAIRS.get(name);
    expect(pair, `${name} was not built`).toBeDefined();
    const result = explainDifference(pair!.a, pair!.b);
    expect(codes(result)).toEqual([pair!.cause]);
    expect(result.causes[0]!.certainty).toBe("likely"); // from the bytes alone
  });

  it("covers every pair built in this file", () => {
    expect([...PAIRS.keys()].sort()).toEqual([...CASES].sort());
  });
});

/** A fingerprint as bun verify build records it; `over` changes what the case changes. */
function fingerprint(over: { env?: Record<string, string>; inputs?: [string, string][]; argv?: string[]; bun?: string } = {}) {
  return buildFingerprint({
    toolVersion: "0.1.0",
    bunVersion: over.bun ?? "1.4.5",
    bunTarget: "bun-linux-x64",
    runtimeSha256: "0".repeat(64),
    argv: over.argv ?? ["build", "--compile", "--target=bun-linux-x64", "./index.ts"],
    env: over.env ?? { NODE_ENV: "production" },
    inputs: over.inputs ?? [["index.ts", sha256Hex("source")]],
  });
}

describe("with both build fingerprints", () => {
  const explainWith = (name: string, a: ReturnType<typeof fingerprint>, b: ReturnType<typeof fingerprint>) => {
    const pair = PAIRS.get(name)!;
    return explainDifference(pair.a, pair.b, { a: "A", b: "B" }, { fingerprints: { a, b, sourceA: "a/manifest.json", sourceB: "b/manifest.json" } });
  };

  it("names the variable: same inputs; NODE_ENV production vs development (certain), for a folded condition too", () => {
    for (const name of ["NODE_ENV production vs development", "condition folded to true vs false"]) {
      const result = explainWith(name, fingerprint(), fingerprint({ env: { NODE_ENV: "development" } }));
      expect(result.causes.map((c) => [c.code, c.summary, c.certainty])).toEqual([["env-inlined", "same inputs; NODE_ENV production vs development", "certain"]]);
      expect(result.evidence).toEqual({ kind: "fingerprints", a: "a/manifest.json", b: "b/manifest.json", same: false });
      expect(result.causes[0]!.detail).toContain("In the bytes: ");
    }
  });

  it("names the edited file, not NODE_ENV, for a source edit", () => {
    const result = explainWith('source edit "test" to "production"', fingerprint(), fingerprint({ inputs: [["index.ts", sha256Hex("edited")]] }));
    expect(result.causes.map((c) => [c.code, c.summary])).toEqual([["source-changed", "index.ts differs"]]);
  });

  it("names a dependency file as a dependency difference, and an unknown value by its hash", () => {
    const result = explainWith(
      "dependency version",
      fingerprint({ inputs: [["index.js", "a"], ["node_modules/fake-dep/index.js", sha256Hex("1.0.0")]], env: { NODE_ENV: "production", PUBLIC_URL: "x" } }),
      fingerprint({ inputs: [["index.js", "a"], ["node_modules/fake-dep/index.js", sha256Hex("1.1.0")]], env: { NODE_ENV: "production" } }),
    );
    expect(result.causes.map((c) => [c.code, c.summary])).toEqual([
      ["env-inlined", `PUBLIC_URL sha256:${sha256Hex("x").slice(0, 12)}… vs unset`],
      ["dependency-version", "node_modules/fake-dep/index.js differs"],
    ]);
  });

  it("keeps what the fingerprints do not record (the build path), as likely, and says the recorded inputs match", () => {
    const result = explainWith("absolute build path", fingerprint(), fingerprint());
    expect(codes(result)).toEqual(["absolute-path"]);
    expect(result.causes[0]!.certainty).toBe("likely");
    expect(result.evidence).toMatchObject({ kind: "fingerprints", same: true });
    expect(formatExplanation(result)).toContain("record the same inputs and settings, so the difference comes from something they do not record");
  });

  it("names different compile flags and Bun versions from the fingerprints", () => {
    const flags = explainWith("compile flag minify", fingerprint(), fingerprint({ argv: ["build", "--compile", "--target=bun-linux-x64", "--minify", "./index.ts"] }));
    expect(flags.causes.map((c) => [c.code, c.summary])).toEqual([["compile-flags", "same inputs; different compile flags: --minify in B only"]]);
    const bun = explainWith("Bun runtime version", fingerprint(), fingerprint({ bun: "1.4.6" }));
    expect(bun.causes.map((c) => [c.code, c.summary])).toEqual([["bun-runtime", "different Bun: 1.4.5 in A, 1.4.6 in B"]]);
  });
});
