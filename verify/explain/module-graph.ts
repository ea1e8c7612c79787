// Level 3 of explain: Bun's embedded module graphs side by side. Modules are paired by name, then
// the entry point with the entry point (it is named after --outfile) and hashed assets by their
// name without the hash; each pair's stored fields are compared, and a changed source is analysed
// (source-findings.ts) with a unified diff of its text.
import type { BunModule, BunModuleGraph } from "../binary/index.ts";
import { analyzeText, type ModuleAnalysis } from "./source-findings.ts";
import type { ModuleChange, ModuleGraphDiff, ModulePair } from "./types.ts";

const MAX_DIFF_LINES_PER_MODULE = 80;
const MAX_DIFF_LINES_TOTAL = 300;

export interface GraphComparison {
  summary: ModuleGraphDiff;
  pairs: ModulePair[];
  /** Pairs whose contents differ, with the analysis of their text. */
  analyses: ModuleAnalysis[];
}

/** A content hash Bun puts in asset names: note-pfwcwyzg.txt. Changes with the contents. */
const HASHED_NAME = /-[a-z0-9]{8}(?=\.[^./]+$|$)/;

function pairModules(graphA: BunModuleGraph, graphB: BunModuleGraph): { pairs: ModulePair[]; onlyInA: BunModule[]; onlyInB: BunModule[] } {
  const byNameB = new Map(graphB.modules.map((module) => [module.name, module]));
  const pairedB = new Set<BunModule>();
  const pairs: ModulePair[] = [];
  const unpairedA: BunModule[] = [];
  for (const module of graphA.modules) {
    const match = byNameB.get(module.name);
    if (match) {
      pairs.push({ a: module, b: match });
      pairedB.add(match);
    } else unpairedA.push(module);
  }
  const take = (predicate: (a: BunModule, b: BunModule) => boolean) => {
    for (const module of [...unpairedA]) {
      const candidates = graphB.modules.filter((candidate) => !pairedB.has(candidate) && predicate(module, candidate));
      if (candidates.length !== 1) continue;
      pairs.push({ a: module, b: candidates[0]! });
      pairedB.add(candidates[0]!);
      unpairedA.splice(unpairedA.indexOf(module), 1);
    }
  };
  // The entry point is named after --outfile; hashed assets are renamed when their bytes change.
  take((a, b) => a.isEntryPoint && b.isEntryPoint);
  take((a, b) => HASHED_NAME.test(a.name) && a.name.replace(HASHED_NAME, "") === b.name.replace(HASHED_NAME, ""));
  return { pairs, onlyInA: unpairedA, onlyInB: graphB.modules.filter((module) => !pairedB.has(module)) };
}

export function diffGraphs(graphA: BunModuleGraph, graphB: BunModuleGraph, nameA: string, nameB: string): GraphComparison {
  const { pairs, onlyInA, onlyInB } = pairModules(graphA, graphB);
  const changed: ModuleChange[] = [];
  const analyses: ModuleAnalysis[] = [];
  let diffLinesLeft = MAX_DIFF_LINES_TOTAL;
  for (const pair of pairs) {
    const fields = changedFields(pair);
    if (fields.length === 0 && pair.a.name === pair.b.name) continue;
    const change: ModuleChange = { name: pair.a.name, fields };
    if (pair.a.name !== pair.b.name) change.nameB = pair.b.name;
    if (fields.includes("contents")) {
      const analysis = analyzeText(pair, nameA, nameB, Math.min(MAX_DIFF_LINES_PER_MODULE, diffLinesLeft));
      analyses.push(analysis);
      change.linesChanged = analysis.linesChanged;
      if (analysis.diff) {
        change.diff = analysis.diff;
        diffLinesLeft -= analysis.diff.split("\n").length;
      }
    }
    changed.push(change);
  }
  return {
    summary: {
      entryPointA: graphA.entryPoint,
      entryPointB: graphB.entryPoint,
      onlyInA: onlyInA.map((module) => module.name),
      onlyInB: onlyInB.map((module) => module.name),
      changed,
    },
    pairs,
    analyses,
  };
}

function changedFields({ a, b }: ModulePair): string[] {
  const fields: string[] = [];
  if (a.contentsSha256 !== b.contentsSha256) fields.push("contents");
  if (a.sourcemap?.sha256 !== b.sourcemap?.sha256) fields.push("sourcemap");
  if (a.bytecode?.sha256 !== b.bytecode?.sha256) fields.push("bytecode");
  if (a.moduleInfo?.sha256 !== b.moduleInfo?.sha256) fields.push("module-info");
  if (a.loader !== b.loader) fields.push("loader");
  if (a.encoding !== b.encoding) fields.push("encoding");
  if (a.moduleFormat !== b.moduleFormat) fields.push("format");
  if (a.side !== b.side) fields.push("side");
  if (a.bytecodeOriginPath !== b.bytecodeOriginPath) fields.push("bytecode-origin-path");
  return fields;
}
