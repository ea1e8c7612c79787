// Causes read from the two module graphs: the outfile basename, compile flags stored in the graph
// (autoload flags, exec argv, sourcemap, bytecode, minify), unstable bytecode, and per changed
// source what its findings show (source-findings.ts); then modules on one side only and changed
// binary assets.
import { type BunModuleGraph, type BunVersion, displayName } from "../binary/index.ts";
import { COMPILE_FEATURES, supports } from "../bun/index.ts";
import { HINTS } from "./hints.ts";
import type { GraphComparison } from "./module-graph.ts";
import type { Cause } from "./types.ts";

/** What graphCauses needs of the comparison: the names and Bun versions of both sides. */
export interface GraphCauseInput {
  nameA: string;
  nameB: string;
  versionA?: BunVersion;
  versionB?: BunVersion;
}

export function graphCauses(input: GraphCauseInput, graphA: BunModuleGraph, graphB: BunModuleGraph, comparison: GraphComparison): Cause[] {
  const { nameA, nameB } = input;
  const causes: Cause[] = [];
  const diff = comparison.summary;

  // --- the outfile basename
  const entryA = graphA.modules[graphA.entryPointId]!;
  const entryB = graphB.modules[graphB.entryPointId]!;
  if (entryA.name !== entryB.name) {
    causes.push({
      code: "outfile-basename",
      summary: `output basename embedded: the entry point is ${entryA.name} in ${nameA} and ${entryB.name} in ${nameB}`,
      detail: `Bun names the entry module after the --outfile basename ("${displayName(entryA.name)}" vs "${displayName(entryB.name)}").`,
      hint: HINTS.outfile,
      module: entryA.name,
    });
  }

  // --- flags stored in the graph
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
  const withSourcemap = (graph: BunModuleGraph) => graph.modules.some((module) => module.sourcemap);
  if (withSourcemap(graphA) !== withSourcemap(graphB)) {
    const side = withSourcemap(graphA) ? nameA : nameB;
    causes.push(flagCause("--sourcemap", side, `an embedded source map is present in ${side} only (it also appends a //# debugId comment to the bundle).`));
  }
  const withBytecode = (graph: BunModuleGraph) => graph.modules.some((module) => module.bytecode);
  const bytecodeDiffers = withBytecode(graphA) !== withBytecode(graphB);
  if (bytecodeDiffers) {
    const side = withBytecode(graphA) ? nameA : nameB;
    causes.push(flagCause("--bytecode", side, `precompiled bytecode is embedded in ${side} only (with --bytecode Bun also emits the bundle as CommonJS).`));
  }
  // Bun before 1.4.1 writes different bytecode on every build of the same source.
  const bothBytecode = comparison.pairs.filter((pair) => pair.a.bytecode && pair.b.bytecode);
  const sameSource = bothBytecode.filter((pair) => pair.a.contentsSha256 === pair.b.contentsSha256 && pair.a.bytecode!.sha256 !== pair.b.bytecode!.sha256);
  const bunVersion = input.versionA?.version ?? input.versionB?.version;
  const unstableBun = bunVersion !== undefined && /^\d+\.\d+\.\d+/.test(bunVersion) && !supports(bunVersion, "reproducibleBytecode");
  if (sameSource.length > 0 || (unstableBun && bothBytecode.length > 0 && comparison.summary.changed.length > 0)) {
    const module = (sameSource[0] ?? bothBytecode[0]!).a.name;
    causes.push({
      code: "bytecode-unstable",
      summary: sameSource.length > 0
        ? `the bytecode of ${module} differs while its source is the same${bunVersion ? ` (Bun ${bunVersion})` : ""}`
        : `--bytecode with Bun ${bunVersion} is not reproducible: even the same source gets different bytecode on every build`,
      detail: `${sameSource.length > 0 ? `${sameSource.length} module(s) with identical source and different bytecode. ` : ""}${COMPILE_FEATURES.reproducibleBytecode.source}.`,
      hint: HINTS.bytecode,
      module,
      evidence: sameSource.length > 0 ? `the embedded source of ${module} is byte-for-byte the same, its bytecode is not` : `both sides embed bytecode from Bun ${bunVersion}`,
    });
  }
  const minifiedDiffers = comparison.analyses.find((analysis) => analysis.minifiedA !== analysis.minifiedB);
  if (minifiedDiffers) {
    const side = minifiedDiffers.minifiedA ? nameA : nameB;
    causes.push({
      ...flagCause("--minify", side, `${minifiedDiffers.pair.a.name} is minified in ${side} only.`),
      module: minifiedDiffers.pair.a.name,
    });
  }

  // --- findings inside the sources
  const formatChanges = comparison.pairs.filter((pair) => pair.a.moduleFormat !== pair.b.moduleFormat);
  for (const analysis of comparison.analyses) {
    const module = analysis.pair.a.name;
    const findings = analysis.findings;
    const paths = unique(findings.filter((f) => f.type === "absolute-path"));
    if (paths.length > 0) {
      const first = paths[0]!;
      causes.push({
        code: "absolute-path",
        summary: `absolute build path leaked into ${module}: "${first.a}" vs "${first.b}"${first.context ? ` (${first.context})` : ""}`,
        detail: paths.map((f) => `${f.context ? `${f.context}: ` : ""}"${f.a}" in ${nameA}, "${f.b}" in ${nameB}`).join("\n"),
        hint: HINTS.absolutePath,
        module,
      });
    }
    for (const finding of unique(findings.filter((f) => f.type === "env"))) {
      causes.push({
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
      });
    }
    const buildValues = unique(findings.filter((f) => f.type === "build-value"));
    if (buildValues.length > 0) {
      causes.push({
        code: "compile-time-constant",
        summary: `a compile-time constant differed (a define or an inlined env value: a commit, a time) in ${module}: "${buildValues[0]!.a}" vs "${buildValues[0]!.b}"`,
        detail: buildValues.map((f) => `"${f.a}" in ${nameA}, "${f.b}" in ${nameB}`).join("\n"),
        hint: HINTS.buildValue,
        module,
        evidence: `"${buildValues[0]!.a}" in ${nameA} where ${nameB} has "${buildValues[0]!.b}" (it looks like a commit or a time)`,
      });
    }
    const constants = unique(findings.filter((f) => f.type === "constant"));
    const envHere = findings.some((f) => f.type === "env");
    if (constants.length > 0 && !envHere) {
      causes.push({
        code: "compile-time-constant",
        summary: `a compile-time constant differed (NODE_ENV, a define, or an inlined env value): a condition in ${module} is folded to ${constants[0]!.a} in ${nameA} and ${constants[0]!.b} in ${nameB}`,
        detail: `Bun evaluates conditions on constants at build time (process.env.NODE_ENV === "production", a --define, an inlined process.env value) and keeps only their result. ${constants.length} such condition(s) differ; the branches kept differ with them.`,
        hint: HINTS.constant,
        module,
        evidence: `\`${constants[0]!.a}\` in ${nameA} where ${nameB} has \`${constants[0]!.b}\` in ${module} (a folded condition)`,
      });
    }
    const wrappers = unique(findings.filter((f) => f.type === "cjs-wrapper"));
    if (wrappers.length > 0 && !bytecodeDiffers) {
      const first = wrappers[0]!;
      const wrappedName = first.wrappedIn === "a" ? nameA : nameB;
      causes.push({
        code: "cjs-vs-esm",
        summary: `CommonJS wrapper vs ESM in ${module}: ${first.source} is wrapped in __commonJS in ${wrappedName} only`,
        detail: wrappers.map((f) => `${f.source}: CommonJS in ${f.wrappedIn === "a" ? nameA : nameB}, ESM in ${f.wrappedIn === "a" ? nameB : nameA}`).join("\n"),
        hint: HINTS.cjs,
        module,
      });
    }
    const dependencies = unique(findings.filter((f) => f.type === "dependency"));
    const packages = [...new Set(dependencies.map((f) => f.packageName))];
    if (packages.length > 0) {
      const versioned = dependencies.find((f) => f.a && f.b);
      causes.push({
        code: "dependency-version",
        summary: `different dependency code in ${module}: ${packages.join(", ")}${versioned ? ` ("${versioned.a}" vs "${versioned.b}")` : ""}`,
        detail: dependencies.map((f) => `${f.packageName}: ${f.file}${f.a ? ` ("${f.a}" vs "${f.b}")` : ""}`).join("\n"),
        hint: HINTS.dependency,
        module,
      });
    }
    const explainedHere = causes.some((cause) => cause.module === module);
    const explainedByFlags = analysis.minifiedA !== analysis.minifiedB || bytecodeDiffers;
    if (!explainedHere && !explainedByFlags && analysis.substantiveLinesChanged > 0) {
      // Prefer a sample that is not just a renamed asset path (/$bunfs/root/logo-<hash>.png).
      const texts = findings.filter((f) => f.type === "text");
      const sample = texts.find((f) => !/^(?:\/\$bunfs\/|B:\/~BUN\/)/.test(f.a)) ?? texts[0];
      causes.push({
        code: "source-changed",
        summary: `embedded source ${module} differs: ${analysis.linesRemoved} line(s) removed, ${analysis.linesAdded} added${analysis.firstChangedLine ? `, first at line ${analysis.firstChangedLine}` : ""}`,
        detail: sample?.type === "text" ? `e.g. ${JSON.stringify(sample.a)} in ${nameA} vs ${JSON.stringify(sample.b)} in ${nameB}` : "See the diff below.",
        hint: HINTS.source,
        module,
        evidence: `the embedded source differs${sample?.type === "text" ? ` (${JSON.stringify(sample.a)} vs ${JSON.stringify(sample.b)})` : ""}, and no build setting explains it`,
      });
    }
  }
  for (const pair of formatChanges) {
    if (bytecodeDiffers || causes.some((cause) => cause.code === "cjs-vs-esm" && cause.module === pair.a.name)) continue;
    causes.push({
      code: "cjs-vs-esm",
      summary: `module format of ${pair.a.name}: ${pair.a.moduleFormat} in ${nameA}, ${pair.b.moduleFormat} in ${nameB}`,
      detail: "The bundle was emitted as CommonJS in one build and as ESM in the other (--format, or package.json \"type\").",
      hint: HINTS.cjs,
      module: pair.a.name,
    });
  }

  // --- modules present on one side only, and changed binary assets
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
