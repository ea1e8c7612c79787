// Check 2, secrets and leaks inside the artifacts. Every module Bun embedded (and every original
// source an embedded sourcemap carries) is scanned with the secretlint rules of check 1, plus the
// path, process.env and .env detectors of leaks.ts. A finding names the artifact, the embedded
// module and the line.
import { createHash } from "node:crypto";
import type { ArtifactRef, LoadedArtifact } from "./artifacts.ts";
import { type CheckResult, type Finding, LineIndex, checkResult, notRun } from "./findings.ts";
import type { LeakContext } from "./leak-context.ts";
import { dotenvModule, findDotenvValues, findInlinedEnv, findPathLeaks } from "./leaks.ts";
import type { SecretScanner } from "./secrets.ts";

/** Findings per text are capped per rule; the rest is counted in one more finding. */
const MAX_HITS_PER_RULE = 20;

type TextFinding = Omit<Finding, "artifact" | "module" | "source">;

export async function scanArtifacts(
  artifacts: LoadedArtifact<ArtifactRef>[],
  context: LeakContext,
  scanner: SecretScanner,
): Promise<CheckResult> {
  if (artifacts.length === 0) return notRun("artifact-leaks", "the manifest lists no artifacts");
  const findings: Finding[] = [];
  const cache = new Map<string, TextFinding[]>();
  let modules = 0;
  let sources = 0;
  let binaryAssets = 0;
  const notes: string[] = [];
  for (const artifact of artifacts) {
    const where = { artifact: artifact.entry.file };
    if (!artifact.exists) {
      findings.push({ ...where, severity: "error", rule: "artifact/missing", message: `listed in manifest.json but missing: run bun verify build` });
      continue;
    }
    if (!artifact.modules) {
      findings.push({ ...where, severity: "error", rule: "artifact/unreadable", message: `embedded modules could not be read: ${artifact.problem}` });
      continue;
    }
    for (const module of artifact.modules) {
      modules++;
      const dotenv = dotenvModule(module);
      if (dotenv) {
        findings.push({ ...where, module: module.display, severity: dotenv.severity, rule: dotenv.rule, message: dotenv.message, ...(dotenv.line ? { line: dotenv.line } : {}) });
      }
      if (module.text === undefined) {
        binaryAssets++;
      } else {
        const found = await scanTextCached(cache, `module:${module.contentsSha256}`, module.text, `${artifact.entry.file}/${module.display}`, context, scanner, {
          dirname: true,
          env: true,
          dotenvValues: !dotenv,
        });
        for (const f of found) findings.push({ ...f, ...where, module: module.display });
      }
      if (module.sourcemapProblem) {
        findings.push({ ...where, module: module.display, severity: "warning", rule: "sourcemap/unreadable", message: `${module.sourcemapProblem}: the original sources it carries were not scanned` });
      }
      for (const source of module.sources ?? []) {
        sources++;
        for (const hit of findPathLeaks(source.name, context, { dirname: false })) {
          findings.push({ ...where, module: module.display, source: source.name, severity: "error", rule: hit.rule, message: `sourcemap source name: ${hit.message}` });
        }
        if (source.text === undefined) continue;
        const key = `source:${createHash("sha256").update(source.text).digest("hex")}`;
        const found = await scanTextCached(cache, key, source.text, `${artifact.entry.file}/${module.display}/${source.name}`, context, scanner, {
          dirname: false,
          env: false,
          dotenvValues: true,
        });
        for (const f of found) findings.push({ ...f, ...where, module: module.display, source: source.name });
      }
    }
  }
  if (sources > 0) notes.push(`${sources} original source(s) from embedded sourcemaps`);
  if (binaryAssets > 0) notes.push(`${binaryAssets} binary asset(s) checked by name only`);
  const errors = findings.filter((f) => f.severity === "error").length;
  const summary =
    `${artifacts.length} artifact(s), ${modules} embedded module(s)${notes.length ? ` and ${notes.join(", ")}` : ""} scanned with ${scanner.description} and the path, process.env and .env detectors` +
    (findings.length === 0 ? "; nothing found" : `; ${errors} error(s), ${findings.length - errors} warning(s)`);
  return checkResult("artifact-leaks", findings, summary);
}

async function scanTextCached(
  cache: Map<string, TextFinding[]>,
  key: string,
  text: string,
  name: string,
  context: LeakContext,
  scanner: SecretScanner,
  options: { dirname: boolean; env: boolean; dotenvValues: boolean },
): Promise<TextFinding[]> {
  const cacheKey = `${key}:${options.dirname}:${options.env}:${options.dotenvValues}`;
  const cached = cache.get(cacheKey);
  if (cached) return cached;
  const lines = new LineIndex(text);
  const out: TextFinding[] = [];
  for (const hit of await scanner(text, name)) {
    out.push({ severity: "error", rule: hit.rule, message: hit.message, line: hit.line, column: hit.column });
  }
  const detectorHits = [
    ...findPathLeaks(text, context, { dirname: options.dirname }),
    ...(options.env ? findInlinedEnv(text, context.envValues) : []),
    ...(options.dotenvValues ? findDotenvValues(text, context.dotenvValues) : []),
  ];
  const perRule = new Map<string, number>();
  for (const hit of detectorHits) {
    const count = (perRule.get(hit.rule) ?? 0) + 1;
    perRule.set(hit.rule, count);
    if (count > MAX_HITS_PER_RULE) continue;
    out.push({ severity: hit.severity, rule: hit.rule, message: hit.message, ...lines.at(hit.index) });
  }
  for (const [rule, count] of perRule) {
    if (count > MAX_HITS_PER_RULE) {
      const severity = detectorHits.find((h) => h.rule === rule)!.severity;
      out.push({ severity, rule, message: `${count - MAX_HITS_PER_RULE} more ${rule} finding(s) in this text not listed` });
    }
  }
  cache.set(cacheKey, out);
  return out;
}
