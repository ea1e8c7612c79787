// Validation of a dist folder, shared by `inspect`, `smoke` and `parity`: read each
// artifact, inspect it against its target, and run the smoke cases this host can run.
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { availableParallelism } from "node:os";
import path from "node:path";
import pLimit from "p-limit";
import { artifactsIn } from "./artifacts.ts";
import type { Config, Target } from "./config.ts";
import { sha256Hex } from "./digest.ts";
import { type Claim, type InspectFacts, claimOfTarget, inspectBytes } from "./inspect.ts";
import { type CaseResult, type Host, currentHost, executorFor, runCase } from "./smoke.ts";

export interface InspectItem {
  file: string;
  claim?: Claim;
  /** sha256 the manifest lists for it. */
  listed?: string;
}

/** The dist folder's artifacts for some targets, each claiming its target (and manifest hash). */
export async function distItems(distDir: string, config: Config, targets: Target[]): Promise<InspectItem[]> {
  return (await artifactsIn(distDir, config, targets)).map((a) => {
    const item: InspectItem = { file: a.file, claim: claimOfTarget(a.target, a.entry ? `manifest (${a.target.id})` : `targets.json (${a.target.id})`) };
    if (a.entry) item.listed = a.entry.sha256;
    return item;
  });
}

export async function inspectItems(items: InspectItem[], cwd: string): Promise<InspectFacts[]> {
  const results: InspectFacts[] = [];
  for (const item of items) {
    const shown = path.relative(cwd, item.file) || item.file;
    if (!existsSync(item.file)) {
      const missing = `missing: ${shown} (run bun verify build, or pass --dist)`;
      results.push({ file: item.file, bytes: 0, format: "-", os: "-", arch: "-", problems: [missing], notes: [], ok: false });
      continue;
    }
    const bytes = await readFile(item.file);
    const facts = inspectBytes(bytes, shown, item.claim);
    if (item.listed && sha256Hex(bytes) !== item.listed) {
      facts.problems.push("sha256 differs from manifest.json: the file changed after the build");
      facts.ok = false;
    }
    results.push(facts);
  }
  return results;
}

/** Every smoke case for every target's artifact, each target's cases in order, targets in parallel. */
export async function smokeDist(distDir: string, config: Config, targets: Target[], host: Host = currentHost()): Promise<CaseResult[]> {
  const artifacts = await artifactsIn(distDir, config, targets);
  const limit = pLimit(availableParallelism());
  const perTarget = await Promise.all(
    artifacts.map((artifact) =>
      limit(async () => {
        const out: CaseResult[] = [];
        for (const smoke of config.smoke.filter((c) => !c.targets || c.targets.includes(artifact.target.id))) {
          if (!artifact.exists) {
            out.push({ target: artifact.target.id, case: smoke.name, status: "fail", reason: `missing: ${artifact.file} (run bun verify build)` });
            continue;
          }
          out.push(await runCase(artifact.target, smoke, executorFor(artifact.target, artifact.file, host)));
        }
        return out;
      }),
    ),
  );
  return perTarget.flat();
}
