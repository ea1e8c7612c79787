// Run a BuildPlan natively, in four named steps: reuse the targets whose inputs are unchanged
// (the keys are in reuse.ts), unlist what is about to be replaced, compile the rest in parallel
// (compile.ts), then record the result. Each executable is staged privately then renamed into
// place, and SHA256SUMS and manifest.json are rewritten atomically after every target
// (dist-index.ts).
import { existsSync, readFileSync } from "node:fs";
import { chmod, mkdir, rmdir } from "node:fs/promises";
import path from "node:path";
import { EXECUTABLE_FILE_MODE, HashPool, type Manifest, MANIFEST_FILE, type ManifestTarget, readManifest, stampMatches, stampOf } from "../digest/index.ts";
import { UsageError } from "../errors.ts";
import { type BuildPlan, STAGING_FOLDER, type TargetPlan } from "../plan/index.ts";
import { currentSpan, logEvent, openSpan, recordResult, withSpan } from "../telemetry/index.ts";
import { lockEntryFor } from "../toolchain/index.ts";
import {
  type BuildContext, type BuildEvent, type BuildOptions, type BuildResult, entryAttributes, logBuildEvent, type TargetOutcome, targetAttributes,
} from "./build-context.ts";
import { compileTargets } from "./compile.ts";
import { DistIndex } from "./dist-index.ts";
import { withoutDotenvValues } from "./dotenv.ts";
import { runPrepareSteps } from "./prepare.ts";
import { buildStatePath, InputKeys, readBuildState, writeBuildState } from "./reuse.ts";

export async function runBuild(plan: BuildPlan, options: BuildOptions): Promise<BuildResult> {
  const started = performance.now();
  const onEvent = options.onEvent ?? (() => {});
  const emit = (event: BuildEvent) => {
    onEvent(event);
    logBuildEvent(event);
  };
  // Values `bun run` loaded from the project's .env files are not the user's environment (dotenv.ts).
  const env = withoutDotenvValues(options.env ?? process.env, plan.projectDir);
  // Validate every lock entry before any work, so a missing pin is a usage error, not a half build.
  const locked = new Map(plan.targets.map((t) => [t.target.id, lockEntryFor(options.lock, plan.projectDir, t.runtime)]));
  await prepareSources(plan, env, options.log);
  await mkdir(plan.outDir, { recursive: true });

  const previous = await readPreviousManifest(plan.outDir);
  const statePath = buildStatePath(options.cacheDir, plan.outDir);
  const state = readBuildState(statePath);
  const index = new DistIndex(plan, previous);
  const pool = new HashPool();
  const keys = new InputKeys(plan, env, options.compiler.path, state.inputs);
  // One span per target ("build <id>"), from the cache check to the hashed file, with its steps inside.
  const buildSpan = currentSpan();
  const spans = new Map(plan.targets.map((t) => [t.target.id, openSpan(`build ${t.target.id}`, targetAttributes(t), buildSpan)]));
  const ctx: BuildContext = { plan, options, env, locked, emit, pool, previous, state, keys, index, spans, outcomes: new Map() };
  try {
    const toBuild = await reuseUnchanged(ctx);
    await unlistReplaced(ctx, toBuild);
    await compileTargets(ctx, toBuild);
    await index.flush();
    await rmdir(path.join(plan.outDir, STAGING_FOLDER)).catch(() => {});
    state.inputs = keys.stamps();
    await writeBuildState(statePath, state);
    return recordBuild(plan, ctx.outcomes, started);
  } finally {
    for (const span of spans.values()) span.end();
    await pool.close();
  }
}

/**
 * build.prepare always runs: the steps are the project's own build (like make, they decide what
 * is stale), and whatever they write is hashed like any other input the bundler reads.
 */
async function prepareSources(plan: BuildPlan, env: NodeJS.ProcessEnv, log: ((line: string) => void) | undefined): Promise<void> {
  if (plan.prepare.length === 0) return;
  await withSpan("prepare", { "bun_parity.prepare.steps": plan.prepare.length }, () =>
    runPrepareSteps(plan.prepare, env, (line) => {
      logEvent("info", "build.prepare", { message: line });
      log?.(line);
    }),
  );
  const entry = path.join(plan.projectDir, plan.entrypoint);
  if (!existsSync(entry)) {
    throw new UsageError(
      `${plan.entrypoint} does not exist after the build.prepare steps ran (looked for ${entry})`,
      "Point entrypoint in targets.json at the file the prepare steps write.",
    );
  }
}

async function readPreviousManifest(outDir: string): Promise<Manifest | undefined> {
  try {
    return await readManifest(path.join(outDir, MANIFEST_FILE));
  } catch {
    return undefined; // An unreadable manifest only means nothing can be reused.
  }
}

/** Step 1: reuses every target whose inputs and file are unchanged; returns the ones to build. */
async function reuseUnchanged(ctx: BuildContext): Promise<TargetPlan[]> {
  const toBuild: TargetPlan[] = [];
  await Promise.all(
    ctx.plan.targets.map(async (t) => {
      ctx.emit({ type: "queued", target: t.target.id });
      const span = ctx.spans.get(t.target.id)!;
      const reused = ctx.options.force
        ? undefined
        : await span.run(() =>
            withSpan("cache check", { "bun_parity.target": t.target.id }, async (check) => {
              const entry = await reusable(ctx, t);
              check.setAttributes({ "bun_parity.cache_hit": entry !== undefined });
              return entry;
            }),
          );
      span.setAttributes({ "bun_parity.cache_hit": reused !== undefined });
      if (reused) {
        ctx.outcomes.set(t.target.id, { id: t.target.id, status: "reused", entry: reused });
        ctx.emit({ type: "reused", target: t.target.id, entry: reused });
        span.setAttributes({ "bun_parity.status": "reused", ...entryAttributes(reused) });
        span.end();
      } else {
        toBuild.push(t);
      }
    }),
  );
  return toBuild;
}

/**
 * The previous entry, when its runtime, reuse key and file all still match. The file is re-hashed
 * only when its stamp (size, mtime, ctime) changed since it was last hashed.
 */
async function reusable(ctx: BuildContext, t: TargetPlan): Promise<ManifestTarget | undefined> {
  const entry = ctx.previous?.targets.find((e) => e.id === t.target.id);
  const recorded = ctx.state.targets[t.target.id];
  const modules = recorded?.modules;
  const lockEntry = ctx.locked.get(t.target.id)!;
  if (!entry || !modules || entry.file !== t.outputFile || entry.runtime.sha256 !== lockEntry.sha256) return undefined;
  const file = path.join(ctx.plan.outDir, entry.file);
  if (!existsSync(file)) return undefined;
  if (ctx.keys.digest(t, lockEntry.sha256, modules) !== entry.inputDigest) return undefined;
  if (stampMatches(file, recorded.file, entry.sha256)) return entry;
  const digest = await ctx.pool.hash(file);
  if (digest.sha256 !== entry.sha256 || digest.bytes !== entry.bytes) return undefined;
  await chmod(file, EXECUTABLE_FILE_MODE); // undo a chmod since the build (it is one thing that makes the stamp stale)
  recorded.file = stampOf(file, entry.sha256);
  return entry;
}

/**
 * Step 2: unlist what is about to be replaced, before touching any file. Whatever manifest.json
 * says (it may be missing or corrupt), SHA256SUMS is rewritten from the entries that stay, so it
 * lists no file a compile replaces, nor its archives.
 */
async function unlistReplaced(ctx: BuildContext, toBuild: TargetPlan[]): Promise<void> {
  ctx.index.unlist(toBuild.map((t) => t.target.id));
  if (toBuild.length > 0 || (ctx.previous && ctx.previous.targets.some((e) => !ctx.index.entries.has(e.id)))) await ctx.index.write();
}

/** Step 4: the result as the final manifest.json lists it, recorded for --json and logged. */
function recordBuild(plan: BuildPlan, outcomes: Map<string, TargetOutcome>, started: number): BuildResult {
  const manifest = JSON.parse(readFileSync(path.join(plan.outDir, MANIFEST_FILE), "utf8")) as Manifest;
  const result: BuildResult = {
    outDir: plan.outDir,
    manifest,
    outcomes: plan.targets.map((t) => outcomes.get(t.target.id)!),
    durationMs: Math.round(performance.now() - started),
  };
  const budgets = Object.fromEntries(plan.targets.filter((t) => t.target.maxBytes !== undefined).map((t) => [t.target.id, t.target.maxBytes!]));
  recordResult("build", { outDir: result.outDir, durationMs: result.durationMs, outcomes: result.outcomes, budgets, bun: plan.bunVersion, name: plan.name });
  const failed = result.outcomes.filter((o) => o.status === "failed").length;
  logEvent(failed > 0 ? "error" : "info", "build.done", { targets: result.outcomes.length, built: result.outcomes.filter((o) => o.status === "built").length, reused: result.outcomes.filter((o) => o.status === "reused").length, failed, durationMs: result.durationMs, outDir: result.outDir }, { annotate: false });
  return result;
}
