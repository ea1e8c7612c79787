// Causes read from the two module graphs: the outfile basename, compile flags stored in the graph
// (autoload flags, exec argv, sourcemap, bytecode, minify), unstable bytecode, and per changed
// source what its findings show (source-findings.ts); then modules on one side only and changed
// binary assets.
import { type BunModuleGraph, type BunVersion, displayName } from "../binary/index.ts";
import { COMPILE_FEATURES, supports } from "../bun/index.ts";
import { HINTS } from "./hints.ts";
import type { GraphComparison } from "./module-graph.ts";
import type { Finding, ModuleAnalysis } from "./source-findings.ts";
import type { Cause } from "./types.ts";

/** What graphCauses needs of the comparison: the names and Bun versions of both sides. */
export interface GraphCauseInput {
  nameA: string;
  nameB: string;
  versionA?: BunVersion;
  versionB?: BunVersion;
}

/** Every cause the two module graphs show, in a fixed order: outfile, flags, bytecode, minify, then per changed source, then module sets and assets. */
export function graphCauses(input: GraphCauseInput, graphA: BunModuleGraph, graphB: BunModuleGraph, comparison: GraphComparison): Cause[] {
  // With --bytecode on one side only, Bun also emits that bundle as CommonJS: the flag, not a
  // source change or a module format, explains what differs in the sources.
  const bytecodeDiffers = withBytecode(graphA) !== withBytecode(graphB);
  const causes: Cause[] = [
    ...outfileCauses(input, graphA, graphB),
    ...graphFlagCauses(input, graphA, graphB),
    ...unstableBytecodeCauses(input, comparison),
    ...minifyCauses(input, comparison),
  ];
  for (const analysis of comparison.analyses) {
    causes.push(...findingCauses(input, analysis, bytecodeDiffers));
    const explainedHere = causes.some((cause) => cause.module === analysis.pair.a.name);
    if (!explainedHere) causes.push(...unexplainedSourceCauses(input, analysis, bytecodeDiffers));
  }
  causes.push(...moduleFormatCauses(input, comparison, bytecodeDiffers, causes));
  causes.push(...oneSidedModuleCauses(input, comparison.summary));
  causes.push(...binaryAssetCauses(input, comparison));
  return causes;
}

/** The outfile basename: Bun names the entry module after --outfile, so another basename changes the bytes. */
function outfileCauses({ nameA, nameB }: GraphCauseInput, graphA: BunModuleGraph, graphB: BunModuleGraph): Cause[] {
  const entryA = graphA.modules[graphA.entryPointId]!;
  const entryB = graphB.modules[graphB.entryPointId]!;
  if (entryA.name === entryB.name) return [];
  return [
    {
      code: "outfile-basename",
      summary: `output basename embedded: the entry point is ${entryA.name} in ${nameA} and ${entryB.name} in ${nameB}`,
      detail: `Bun names the entry module after the --outfile basename ("${displayName(entryA.name)}" vs "${displayName(entryB.name)}").`,
      hint: HINTS.outfile,
      module: entryA.name,
    },
  ];
}

/** The compile flags the graph itself records (autoload bits, exec argv, a source map, bytecode): each one that differs is a cause. */
function graphFlagCauses({ nameA, nameB }: GraphCauseInput, graphA: BunModuleGraph, graphB: BunModuleGraph): Cause[] {
  const causes: Cause[] = [];
  // Graph flag bits the CLI controls. The tsconfig/package.json bits are set by default
  // ("disable autoload") and cleared by --compile-autoload-tsconfig / -package-json.
  const cliFlags: { flag: string; option: string; optionSetsBit: boolean }[] = [
    { flag: "disable-default-env-files", option: "--no-compile-autoload-dotenv", optionSetsBit: true },
    { flag: "disable-autoload-bunfig", option: "--no-compile-autoload-bunfig", optionSetsBit: true },
    { flag: "disable-autoload-tsconfig", option: "--compile-autoload-tsconfig", optionSetsBit: false },
    { flag: "disable-autoload-package-json", option: "--compile-autoload-package-json", optionSetsBit: false },
  ];
  for (const { flag, option, optionSetsBit } of cliFlags) {
    const inA = graphA.flags.names.includes(flag);
    const inB = graphB.flags.names.includes(flag);
    if (inA === inB) continue;
    const side = inA === optionSetsBit ? nameA : nameB;
    causes.push(flagCause(option, side, `graph flag ${flag} is ${inA ? "set" : "clear"} in ${nameA} and ${inB ? "set" : "clear"} in ${nameB}.`));
  }
  if (graphA.execArgv !== graphB.execArgv) {
    causes.push(
      flagCause(
        "--compile-exec-argv",
        graphA.execArgv ? nameA : nameB,
        `exec argv: ${JSON.stringify(graphA.execArgv)} in ${nameA}, ${JSON.stringify(graphB.execArgv)} in ${nameB}.`,
        `--compile-exec-argv differs (${JSON.stringify(graphA.execArgv)} vs ${JSON.stringify(graphB.execArgv)})`,
      ),
    );
  }
  if (withSourcemap(graphA) !== withSourcemap(graphB)) {
    const side = withSourcemap(graphA) ? nameA : nameB;
    causes.push(flagCause("--sourcemap", side, `an embedded source map is present in ${side} only (it also appends a //# debugId comment to the bundle).`));
  }
  if (withBytecode(graphA) !== withBytecode(graphB)) {
    const side = withBytecode(graphA) ? nameA : nameB;
    causes.push(flagCause("--bytecode", side, `precompiled bytecode is embedded in ${side} only (with --bytecode Bun also emits the bundle as CommonJS).`));
  }
  return causes;
}

/** Whether any module embeds a source map (--sourcemap). */
function withSourcemap(graph: BunModuleGraph): boolean {
  return graph.modules.some((module) => module.sourcemap);
}

/** Whether any module embeds precompiled bytecode (--bytecode). */
function withBytecode(graph: BunModuleGraph): boolean {
  return graph.modules.some((module) => module.bytecode);
}

/** Bytecode that differs for the same source, or --bytecode on both sides with a Bun whose bytecode is not reproducible: the compiler, not the input, made the difference. */
function unstableBytecodeCauses(input: GraphCauseInput, comparison: GraphComparison): Cause[] {
  // Bun before 1.4.1 writes different bytecode on every build of the same source.
  const bothBytecode = comparison.pairs.filter((pair) => pair.a.bytecode && pair.b.bytecode);
  const sameSource = bothBytecode.filter((pair) => pair.a.contentsSha256 === pair.b.contentsSha256 && pair.a.bytecode!.sha256 !== pair.b.bytecode!.sha256);
  const bunVersion = input.versionA?.version ?? input.versionB?.version;
  const unstableBun = bunVersion !== undefined && /^\d+\.\d+\.\d+/.test(bunVersion) && !supports(bunVersion, "reproducibleBytecode");
  if (!(sameSource.length > 0 || (unstableBun && bothBytecode.length > 0 && comparison.summary.changed.length > 0))) return [];
  const module = (sameSource[0] ?? bothBytecode[0]!).a.name;
  return [
    {
      code: "bytecode-unstable",
      summary: sameSource.length > 0
        ? `the bytecode of ${module} differs while its source is the same${bunVersion ? ` (Bun ${bunVersion})` : ""}`
        : `--bytecode with Bun ${bunVersion} is not reproducible: even the same source gets different bytecode on every build`,
      detail: `${sameSource.length > 0 ? `${sameSource.length} module(s) with identical source and different bytecode. ` : ""}${COMPILE_FEATURES.reproducibleBytecode.source}.`,
      hint: HINTS.bytecode,
      module,
      evidence: sameSource.length > 0 ? `the embedded source of ${module} is byte-for-byte the same, its bytecode is not` : `both sides embed bytecode from Bun ${bunVersion}`,
    },
  ];
}

/** --minify on one side only, read from the first changed source that is minified in one build and not the other. */
function minifyCauses({ nameA, nameB }: GraphCauseInput, comparison: GraphComparison): Cause[] {
  const minifiedDiffers = comparison.analyses.find((analysis) => analysis.minifiedA !== analysis.minifiedB);
  if (!minifiedDiffers) return [];
  const side = minifiedDiffers.minifiedA ? nameA : nameB;
  return [
    {
      ...flagCause("--minify", side, `${minifiedDiffers.pair.a.name} is minified in ${side} only.`),
      module: minifiedDiffers.pair.a.name,
    },
  ];
}

/** What the findings inside one changed source show (source-findings.ts), in a fixed order: paths, env values, build values, folded constants, CommonJS wrappers, dependencies. */
function findingCauses(input: GraphCauseInput, analysis: ModuleAnalysis, bytecodeDiffers: boolean): Cause[] {
  const module = analysis.pair.a.name;
  const findings = analysis.findings;
  return [
    ...absolutePathCauses(input, module, findings),
    ...envCauses(input, module, findings),
    ...buildValueCauses(input, module, findings),
    ...foldedConstantCauses(input, module, findings),
    // With --bytecode on one side only, the wrapper is the flag's doing (graphFlagCauses names it).
    ...(bytecodeDiffers ? [] : cjsWrapperCauses(input, module, findings)),
    ...dependencyCauses(module, findings),
  ];
}

/** Absolute build paths embedded in the source (__dirname, __filename, import.meta): one cause naming the first. */
function absolutePathCauses({ nameA, nameB }: GraphCauseInput, module: string, findings: Finding[]): Cause[] {
  const paths = unique(findings.filter((f) => f.type === "absolute-path"));
  if (paths.length === 0) return [];
  const first = paths[0]!;
  return [
    {
      code: "absolute-path",
      summary: `absolute build path leaked into ${module}: "${first.a}" vs "${first.b}"${first.context ? ` (${first.context})` : ""}`,
      detail: paths.map((f) => `${f.context ? `${f.context}: ` : ""}"${f.a}" in ${nameA}, "${f.b}" in ${nameB}`).join("\n"),
      hint: HINTS.absolutePath,
      module,
    },
  ];
}

/** One cause per process.env value inlined differently; NODE_ENV gets its own wording because its two usual values are recognisable. */
function envCauses({ nameA, nameB }: GraphCauseInput, module: string, findings: Finding[]): Cause[] {
  return unique(findings.filter((f) => f.type === "env")).map((finding) => ({
    code: "env-inlined",
    summary:
      finding.variable === "NODE_ENV"
        ? `NODE_ENV inlined differently in ${module}: ${finding.a} in ${nameA}, ${finding.b} in ${nameB}`
        : `process.env.${finding.variable} inlined in ${module}: ${finding.a} in ${nameA}, ${finding.b} in ${nameB}`,
    detail: `The build inlined a value for process.env.${finding.variable}: ${finding.a} vs ${finding.b}.`,
    hint: finding.variable === "NODE_ENV" ? HINTS.nodeEnv : HINTS.env,
    module,
    evidence:
      finding.variable === "NODE_ENV" && !finding.a.startsWith("process.env") && !finding.b.startsWith("process.env")
        ? `${finding.a} in ${nameA} where ${nameB} has ${finding.b} in ${module}: the values NODE_ENV takes with and without NODE_ENV=production (a source edit looks the same; the manifests tell)`
        : `${finding.a} in ${nameA} where ${nameB} has ${finding.b} in ${module}`,
  }));
}

/** Values that look like a commit or a time: a define or an inlined env value set at build time. */
function buildValueCauses({ nameA, nameB }: GraphCauseInput, module: string, findings: Finding[]): Cause[] {
  const buildValues = unique(findings.filter((f) => f.type === "build-value"));
  if (buildValues.length === 0) return [];
  return [
    {
      code: "compile-time-constant",
      summary: `a compile-time constant differed (a define or an inlined env value: a commit, a time) in ${module}: "${buildValues[0]!.a}" vs "${buildValues[0]!.b}"`,
      detail: buildValues.map((f) => `"${f.a}" in ${nameA}, "${f.b}" in ${nameB}`).join("\n"),
      hint: HINTS.buildValue,
      module,
      evidence: `"${buildValues[0]!.a}" in ${nameA} where ${nameB} has "${buildValues[0]!.b}" (it looks like a commit or a time)`,
    },
  ];
}

/** Conditions Bun folded to different results; skipped when an inlined env value in the same module already explains them. */
function foldedConstantCauses({ nameA, nameB }: GraphCauseInput, module: string, findings: Finding[]): Cause[] {
  const constants = unique(findings.filter((f) => f.type === "constant"));
  const envHere = findings.some((f) => f.type === "env");
  if (constants.length === 0 || envHere) return [];
  return [
    {
      code: "compile-time-constant",
      summary: `a compile-time constant differed (NODE_ENV, a define, or an inlined env value): a condition in ${module} is folded to ${constants[0]!.a} in ${nameA} and ${constants[0]!.b} in ${nameB}`,
      detail: `Bun evaluates conditions on constants at build time (process.env.NODE_ENV === "production", a --define, an inlined process.env value) and keeps only their result. ${constants.length} such condition(s) differ; the branches kept differ with them.`,
      hint: HINTS.constant,
      module,
      evidence: `\`${constants[0]!.a}\` in ${nameA} where ${nameB} has \`${constants[0]!.b}\` in ${module} (a folded condition)`,
    },
  ];
}

/** A bundled file wrapped in __commonJS on one side and inlined as ESM on the other. */
function cjsWrapperCauses({ nameA, nameB }: GraphCauseInput, module: string, findings: Finding[]): Cause[] {
  const wrappers = unique(findings.filter((f) => f.type === "cjs-wrapper"));
  if (wrappers.length === 0) return [];
  const first = wrappers[0]!;
  const wrappedName = first.wrappedIn === "a" ? nameA : nameB;
  return [
    {
      code: "cjs-vs-esm",
      summary: `CommonJS wrapper vs ESM in ${module}: ${first.source} is wrapped in __commonJS in ${wrappedName} only`,
      detail: wrappers.map((f) => `${f.source}: CommonJS in ${f.wrappedIn === "a" ? nameA : nameB}, ESM in ${f.wrappedIn === "a" ? nameB : nameA}`).join("\n"),
      hint: HINTS.cjs,
      module,
    },
  ];
}

/** Bundled node_modules code that differs: one cause naming the packages, with a version pair when one was read. */
function dependencyCauses(module: string, findings: Finding[]): Cause[] {
  const dependencies = unique(findings.filter((f) => f.type === "dependency"));
  const packages = [...new Set(dependencies.map((f) => f.packageName))];
  if (packages.length === 0) return [];
  const versioned = dependencies.find((f) => f.a && f.b);
  return [
    {
      code: "dependency-version",
      summary: `different dependency code in ${module}: ${packages.join(", ")}${versioned ? ` ("${versioned.a}" vs "${versioned.b}")` : ""}`,
      detail: dependencies.map((f) => `${f.packageName}: ${f.file}${f.a ? ` ("${f.a}" vs "${f.b}")` : ""}`).join("\n"),
      hint: HINTS.dependency,
      module,
    },
  ];
}

/** A changed source no other cause explains (neither a finding nor --minify / --bytecode): the sources themselves differ. */
function unexplainedSourceCauses({ nameA, nameB }: GraphCauseInput, analysis: ModuleAnalysis, bytecodeDiffers: boolean): Cause[] {
  const explainedByFlags = analysis.minifiedA !== analysis.minifiedB || bytecodeDiffers;
  const linesChanged = analysis.substantiveLinesChanged > 0;
  if (explainedByFlags || !linesChanged) return [];
  const module = analysis.pair.a.name;
  // Prefer a sample that is not just a renamed asset path (/$bunfs/root/logo-<hash>.png).
  const texts = analysis.findings.filter((f) => f.type === "text");
  const sample = texts.find((f) => !/^(?:\/\$bunfs\/|B:\/~BUN\/)/.test(f.a)) ?? texts[0];
  return [
    {
      code: "source-changed",
      summary: `embedded source ${module} differs: ${analysis.linesRemoved} line(s) removed, ${analysis.linesAdded} added${analysis.firstChangedLine ? `, first at line ${analysis.firstChangedLine}` : ""}`,
      detail: sample?.type === "text" ? `e.g. ${JSON.stringify(sample.a)} in ${nameA} vs ${JSON.stringify(sample.b)} in ${nameB}` : "See the diff below.",
      hint: HINTS.source,
      module,
      evidence: `the embedded source differs${sample?.type === "text" ? ` (${JSON.stringify(sample.a)} vs ${JSON.stringify(sample.b)})` : ""}, and no build setting explains it`,
    },
  ];
}

/** Modules emitted as CommonJS on one side and ESM on the other, unless --bytecode or a wrapper cause for that module already says so. */
function moduleFormatCauses({ nameA, nameB }: GraphCauseInput, comparison: GraphComparison, bytecodeDiffers: boolean, causesSoFar: Cause[]): Cause[] {
  const causes: Cause[] = [];
  for (const pair of comparison.pairs.filter((pair) => pair.a.moduleFormat !== pair.b.moduleFormat)) {
    const named = [...causesSoFar, ...causes].some((cause) => cause.code === "cjs-vs-esm" && cause.module === pair.a.name);
    if (bytecodeDiffers || named) continue;
    causes.push({
      code: "cjs-vs-esm",
      summary: `module format of ${pair.a.name}: ${pair.a.moduleFormat} in ${nameA}, ${pair.b.moduleFormat} in ${nameB}`,
      detail: "The bundle was emitted as CommonJS in one build and as ESM in the other (--format, or package.json \"type\").",
      hint: HINTS.cjs,
      module: pair.a.name,
    });
  }
  return causes;
}

/** Files embedded on one side only: under node_modules/ a dependency difference, elsewhere a different app file set. */
function oneSidedModuleCauses({ nameA, nameB }: GraphCauseInput, diff: GraphComparison["summary"]): Cause[] {
  const causes: Cause[] = [];
  const dependencyOnly = (names: string[]) => names.filter((name) => name.includes("node_modules/"));
  const appOnly = (names: string[]) => names.filter((name) => !name.includes("node_modules/"));
  const onlyDependencies = [...dependencyOnly(diff.onlyInA), ...dependencyOnly(diff.onlyInB)];
  if (onlyDependencies.length > 0) {
    causes.push({
      code: "dependency-version",
      summary: `embedded dependency files differ: ${onlyDependencies.slice(0, 3).join(", ")}`,
      detail: `only in ${nameA}: ${dependencyOnly(diff.onlyInA).join(", ") || "-"}\nonly in ${nameB}: ${dependencyOnly(diff.onlyInB).join(", ") || "-"}`,
      hint: HINTS.dependency,
    });
  }
  if (appOnly(diff.onlyInA).length > 0 || appOnly(diff.onlyInB).length > 0) {
    causes.push({
      code: "source-changed",
      summary: `the embedded file set differs: ${appOnly(diff.onlyInA).length} file(s) only in ${nameA}, ${appOnly(diff.onlyInB).length} only in ${nameB}`,
      detail: `only in ${nameA}: ${appOnly(diff.onlyInA).join(", ") || "-"}\nonly in ${nameB}: ${appOnly(diff.onlyInB).join(", ") || "-"}`,
      hint: HINTS.source,
    });
  }
  return causes;
}

/** Embedded binary assets (no text to diff) whose bytes differ: named with their sizes and hashes. */
function binaryAssetCauses({ nameA, nameB }: GraphCauseInput, comparison: GraphComparison): Cause[] {
  const causes: Cause[] = [];
  for (const pair of comparison.pairs) {
    const binaryChanged = pair.a.text === undefined && pair.a.contentsSha256 !== pair.b.contentsSha256;
    if (!binaryChanged) continue;
    causes.push({
      code: "source-changed",
      summary: `embedded asset ${pair.a.name} differs (${pair.a.contents.length} vs ${pair.b.contents.length} bytes)`,
      detail: `sha256 ${pair.a.contentsSha256} in ${nameA}, ${pair.b.contentsSha256} in ${nameB}`,
      hint: HINTS.source,
      module: pair.a.name,
    });
  }
  return causes;
}

function flagCause(flag: string, side: string, detail: string, summary?: string): Cause {
  return {
    code: "compile-flags",
    summary: `different compile flags: ${summary ?? `${flag} used for ${side} only`}`,
    detail,
    hint: `Build both with the same flags: take them from one place (targets.json / the build plan) rather than from the command line. Here: ${flag}.`,
  };
}

function unique<T>(items: T[]): T[] {
  const seen = new Set<string>();
  return items.filter((item) => {
    const key = JSON.stringify(item);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
