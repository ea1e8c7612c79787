// Build fingerprints as evidence for explain: manifest.json records per target what the
// executable was built from (inputs.ts buildFingerprint); with both sides' fingerprints explain
// names the input or setting that differs ("src/x.ts differs"; "same inputs; NODE_ENV
// production vs development") instead of inferring a likely cause from the bytes.
// compareFingerprints and fingerprintCauses are pure; fingerprintOf reads manifests.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { MANIFEST_FILE, parseManifest, sha256Hex, type BuildFingerprint } from "../digest/index.ts";
import { UsageError } from "../errors.ts";
import type { Cause } from "./types.ts";

/** A variable, setting or input file; a and b are hashes ("sha256:<hex>") or values, undefined when absent on that side. */
export interface NamedChange {
  kind: "env" | "setting" | "input";
  name: string;
  a?: string;
  b?: string;
}

export type FingerprintChange = { kind: "tool" | "bun" | "runtime" | "target"; a: string; b: string } | { kind: "argv"; onlyA: string[]; onlyB: string[] } | NamedChange;

/** Every recorded difference between two fingerprints, in a fixed order. Pure. */
export function compareFingerprints(a: BuildFingerprint, b: BuildFingerprint): FingerprintChange[] {
  const changes: FingerprintChange[] = [];
  for (const kind of ["tool", "bun", "runtime", "target"] as const) {
    if (a[kind] !== b[kind]) changes.push({ kind, a: a[kind], b: b[kind] });
  }
  const argvA = new Set(a.argv);
  const argvB = new Set(b.argv);
  const onlyA = a.argv.filter((arg) => !argvB.has(arg));
  const onlyB = b.argv.filter((arg) => !argvA.has(arg));
  if (onlyA.length > 0 || onlyB.length > 0) changes.push({ kind: "argv", onlyA, onlyB });
  const maps = [
    ["env", a.env, b.env],
    ["setting", a.settings ?? {}, b.settings ?? {}],
    ["input", a.inputs, b.inputs],
  ] as const;
  for (const [kind, left, right] of maps) {
    for (const name of [...new Set([...Object.keys(left), ...Object.keys(right)])].sort()) {
      if (left[name] === right[name]) continue;
      const change: NamedChange = { kind, name };
      if (left[name] !== undefined) change.a = left[name];
      if (right[name] !== undefined) change.b = right[name];
      changes.push(change);
    }
  }
  return changes;
}

/**
 * Values shown by name when their hash is one of these: the words NODE_ENV-style variables take.
 * Anything else stays a hash (the manifest never holds values; they may be secrets).
 */
const WELL_KNOWN_VALUES = ["production", "development", "test", "staging", "prod", "dev", "true", "false", "0", "1", ""];

function shownValue(hash: string | undefined): string {
  if (hash === undefined) return "unset";
  const known = WELL_KNOWN_VALUES.find((value) => `sha256:${sha256Hex(value)}` === hash);
  if (known !== undefined) return known === "" ? '""' : known;
  return `${hash.slice(0, "sha256:".length + 12)}…`;
}

/** Lockfiles and installed packages: a difference there is a dependency difference. */
function isDependencyInput(file: string): boolean {
  return /(^|\/)node_modules\//.test(file) || /(^|\/)(package-lock\.json|npm-shrinkwrap\.json|bun\.lockb?|yarn\.lock|pnpm-lock\.yaml)$/.test(file);
}

const FROM_FINGERPRINTS = "the build fingerprints in manifest.json";

/** The causes the fingerprints prove, one per kind of difference. Pure. */
export function fingerprintCauses(changes: FingerprintChange[], nameA: string, nameB: string): Cause[] {
  const inputs = changes.filter((c): c is NamedChange => c.kind === "input");
  // With no input file differing, a setting alone made the difference: the summary says so first.
  const sameInputs = inputs.length === 0 ? "same inputs; " : "";
  const causes = changes.flatMap((change) => settingCauses(change, sameInputs, nameA, nameB));
  causes.push(...inputCauses(inputs, nameA, nameB));
  return causes;
}

/** A cause the fingerprints prove: certain, with the manifests as its evidence. */
function proven(c: Omit<Cause, "certainty" | "evidence">): Cause {
  return { ...c, certainty: "certain", evidence: FROM_FINGERPRINTS };
}

/** The cause one recorded setting proves (Bun, runtime, compiler arguments, a build setting, an inlinable variable); none for the tool, the target or an input file. */
function settingCauses(change: FingerprintChange, sameInputs: string, nameA: string, nameB: string): Cause[] {
  if (change.kind === "bun" || change.kind === "runtime") {
    return [
      proven({
        code: "bun-runtime",
        summary:
          change.kind === "bun"
            ? `different Bun: ${change.a} in ${nameA}, ${change.b} in ${nameB}`
            : `same Bun, different runtime executable: sha256 ${change.a.slice(0, 12)}… in ${nameA}, ${change.b.slice(0, 12)}… in ${nameB}`,
        detail: `${change.kind === "bun" ? "Bun version" : "runtime sha256"}: ${change.a} vs ${change.b}`,
        hint: "Both builds must use the same pinned Bun and the runtime bun-runtimes.lock.json pins (bun verify toolchain).",
      }),
    ];
  }
  if (change.kind === "argv") {
    const parts = [change.onlyA.length > 0 ? `${change.onlyA.join(" ")} in ${nameA} only` : "", change.onlyB.length > 0 ? `${change.onlyB.join(" ")} in ${nameB} only` : ""].filter(Boolean);
    return [
      proven({
        code: "compile-flags",
        summary: `${sameInputs}different compile flags: ${parts.join("; ")}`,
        detail: `compiler arguments only in ${nameA}: ${change.onlyA.join(" ") || "-"}\ncompiler arguments only in ${nameB}: ${change.onlyB.join(" ") || "-"}`,
        hint: "Build both from the same targets.json (its build section makes the flags).",
      }),
    ];
  }
  if (change.kind === "setting") {
    return [
      proven({
        code: "compile-flags",
        summary: `${sameInputs}setting ${change.name}: ${change.a ?? "unset"} in ${nameA}, ${change.b ?? "unset"} in ${nameB}`,
        detail: `The build setting ${change.name} differs (it is not a compiler flag, but it changes the bytes).`,
        hint: "Build both from the same targets.json.",
      }),
    ];
  }
  if (change.kind === "env") {
    return [
      proven({
        code: "env-inlined",
        summary: `${sameInputs}${change.name} ${shownValue(change.a)} vs ${shownValue(change.b)}`,
        detail: `The compiler could inline process.env.${change.name}, and its value differed: ${change.a ?? "unset"} in ${nameA}, ${change.b ?? "unset"} in ${nameB} (hashes: values are never recorded).`,
        hint:
          change.name === "NODE_ENV"
            ? "Pin NODE_ENV for every build: targets.json build.env (bun verify build sets NODE_ENV=production by default)."
            : "Give both builds the same value, or stop inlining it (build.inlineEnv in targets.json).",
      }),
    ];
  }
  return [];
}

/** The input files that differ, as two causes: the app's own sources, and dependency files (lockfiles, node_modules), whose fix differs. */
function inputCauses(inputs: NamedChange[], nameA: string, nameB: string): Cause[] {
  const causes: Cause[] = [];
  const describeFile = (c: NamedChange) =>
    c.a === undefined ? `${c.name} (an input of ${nameB} only)` : c.b === undefined ? `${c.name} (an input of ${nameA} only)` : c.name;
  const list = (files: NamedChange[]) => `${files.slice(0, 5).map(describeFile).join(", ")}${files.length > 5 ? ` and ${files.length - 5} more` : ""}`;
  const dependencies = inputs.filter((c) => isDependencyInput(c.name));
  const sources = inputs.filter((c) => !isDependencyInput(c.name));
  if (sources.length > 0) {
    causes.push(
      proven({
        code: "source-changed",
        summary: sources.length === 1 ? `${describeFile(sources[0]!)} differs` : `${sources.length} input files differ: ${list(sources)}`,
        detail: sources.map((c) => `${c.name}: ${c.a ?? "absent"} in ${nameA}, ${c.b ?? "absent"} in ${nameB}`).join("\n"),
        hint: "The two builds saw different files: compare the checkouts (git status, generated files).",
      }),
    );
  }
  if (dependencies.length > 0) {
    causes.push(
      proven({
        code: "dependency-version",
        summary: dependencies.length === 1 ? `${describeFile(dependencies[0]!)} differs` : `${dependencies.length} dependency files differ: ${list(dependencies)}`,
        detail: dependencies.map((c) => `${c.name}: ${c.a ?? "absent"} in ${nameA}, ${c.b ?? "absent"} in ${nameB}`).join("\n"),
        hint: "Install from the committed lockfile on both sides (npm ci / bun install --frozen-lockfile).",
      }),
    );
  }
  return causes;
}

/** A fingerprint and where it was found. */
export interface FoundFingerprint {
  fingerprint: BuildFingerprint;
  /** The manifest.json it came from. */
  source: string;
}

/**
 * The build fingerprint of these bytes: from the given manifests, else the manifest.json next to
 * the file, in an entry whose sha256 is the bytes' own (a manifest describing other bytes is no
 * evidence about these). Undefined when none records them.
 */
export function fingerprintOf(file: string, sha256: string, manifests: string[] = []): FoundFingerprint | undefined {
  const beside = path.join(path.dirname(file), MANIFEST_FILE);
  for (const manifest of [...manifests, ...(existsSync(beside) ? [beside] : [])]) {
    let parsed;
    try {
      parsed = parseManifest(readFileSync(manifest, "utf8"), manifest);
    } catch (error) {
      if (manifests.includes(manifest)) throw error; // one the user named must be readable
      continue; // a broken manifest next to the file is simply no evidence
    }
    const entry = parsed.targets.find((t) => t.sha256 === sha256 && t.fingerprint);
    if (entry?.fingerprint) return { fingerprint: entry.fingerprint, source: manifest };
  }
  return undefined;
}

/** --manifest files must each describe one of the two files explained. */
export function checkManifestsMatch(manifests: string[], sha256s: string[]): void {
  for (const manifest of manifests) {
    const parsed = parseManifest(readFileSync(manifest, "utf8"), manifest);
    if (!parsed.targets.some((t) => sha256s.includes(t.sha256))) {
      throw new UsageError(
        `--manifest ${manifest}: lists neither file (no target entry has their sha256)`,
        "Pass the manifest.json written by the build that produced one of the two files (it sits next to them in the output folder).",
      );
    }
  }
}
