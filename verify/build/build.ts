// Run a BuildPlan natively: targets in parallel (bounded by p-limit),
// each executable staged privately then renamed into place, SHA256SUMS and manifest.json
// rewritten atomically after every target, and unchanged targets reused.
import { existsSync, readFileSync } from "node:fs";
import { chmod, mkdir, readFile, rename, rm, rmdir } from "node:fs/promises";
import { availableParallelism } from "node:os";
import path from "node:path";
import pLimit, { type LimitFunction } from "p-limit";
import { type FileDigest, type Manifest, type ManifestTarget, EXECUTABLE_FILE_MODE, HashPool, MANIFEST_FILE, ReusableFileBuffer, readManifest, sha256Hex, stableJson, writeDistIndex, writeFileAtomic, type FileStamp, stampMatches, stampOf } from "../digest/index.ts";
import { UsageError } from "../errors.ts";
import {
  type BuildInputs,
  type InputStamp,
  InputHashCache,
  buildFingerprint,
  buildInputs,
  bundledPackages,
  inlinableEnv,
  inputBoundary,
  inputDigest,
  metafileInputs,
} from "./inputs.ts";
import { type BuildPlan, type TargetPlan, STAGING_FOLDER, compilerEnvironment, portableArgv } from "../plan/index.ts";
import { logEvent, recordResult, type OpenSpan, currentSpan, openSpan, withSpan, type Attributes } from "../telemetry/index.ts";
import { runPrepareSteps } from "./prepare.ts";
import { withoutDotenvValues } from "./dotenv.ts";
import { checkAndRepairBytes, outputNeedsCheck } from "./bun-output.ts";
import { signBytesAdhoc } from "./sign.ts";
import { type Compiler, type ToolchainLock, ensureRuntime, listModulesWithoutMetafile, lockEntryFor, seedRuntimeCache } from "../toolchain/index.ts";
import { TOOL_NAME, TOOL_VERSION } from "../version.ts";

export type BuildEvent =
  | { type: "queued"; target: string }
  | { type: "reused"; target: string; entry: ManifestTarget }
  | { type: "runtime"; target: string; fetching: boolean }
  | { type: "compiling"; target: string }
  | { type: "post-processing"; target: string; step: string }
  | { type: "hashing"; target: string }
  | { type: "done"; target: string; entry: ManifestTarget }
  | { type: "failed"; target: string; error: string };

export interface TargetOutcome {
  id: string;
  status: "built" | "reused" | "failed";
  entry?: ManifestTarget;
  /** Compiler output or error message when failed. */
  error?: string;
}

export interface BuildResult {
  outDir: string;
  manifest: Manifest;
  outcomes: TargetOutcome[];
  durationMs: number;
}

export interface BuildOptions {
  compiler: Compiler;
  lock: ToolchainLock | undefined;
  cacheDir: string;
  force?: boolean;
  concurrency?: number;
  onEvent?: (event: BuildEvent) => void;
  /** Lines about steps that are not per target (build.prepare). */
  log?: (line: string) => void;
  env?: NodeJS.ProcessEnv;
}

/** Per output folder, the module list of each target's last build: what to re-hash to decide reuse. */
interface BuildState {
  /** `file`: the executable's stamp when it was hashed, so a no-change build does not re-read 600 MB. */
  targets: Record<string, { modules: string[]; file?: FileStamp }>;
  /** Absolute path -> stamp of every input file the last build hashed (InputHashCache). */
  inputs?: Record<string, InputStamp>;
}

export async function runBuild(plan: BuildPlan, options: BuildOptions): Promise<BuildResult> {
  const started = performance.now();
  const onEvent = options.onEvent ?? (() => {});
  const emit = (event: BuildEvent) => {
    onEvent(event);
    logBuildEvent(event);
  };
  // Values `bun run` loaded from the project's .env files are not the user's environment (verify/dotenv.ts).
  const env = withoutDotenvValues(options.env ?? process.env, plan.projectDir);
  // Validate every lock entry before any work, so a missing pin is a usage error, not a half build.
  const locked = new Map(plan.targets.map((t) => [t.target.id, lockEntryFor(options.lock, plan.projectDir, t.runtime)]));
  if (plan.prepare.length > 0) {
    // Always run: the steps are the project's own build (like make, they decide what is stale),
    // and whatever they write is hashed below like any other input the bundler reads.
    await withSpan("prepare", { "bun_parity.prepare.steps": plan.prepare.length }, () =>
      runPrepareSteps(plan.prepare, env, (line) => {
        logEvent("info", "build.prepare", { message: line });
        options.log?.(line);
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
  await mkdir(plan.outDir, { recursive: true });

  const manifestPath = path.join(plan.outDir, MANIFEST_FILE);
  let previous: Manifest | undefined;
  try {
    previous = await readManifest(manifestPath);
  } catch {
    previous = undefined; // An unreadable manifest only means nothing can be reused.
  }
  const statePath = buildStatePath(options.cacheDir, plan.outDir);
  const state = readBuildState(statePath);
  const entries = new Map<string, ManifestTarget>();
  for (const entry of previous?.targets ?? []) {
    // Entries of targets outside this run stay listed (a `--target` build touches only its own).
    if (existsSync(path.join(plan.outDir, entry.file))) entries.set(entry.id, entry);
  }

  const pool = new HashPool();
  const boundary = inputBoundary(plan.projectDir);
  // Input files are hashed once per build, and only when their stat facts changed since the last one.
  const inputCache = new InputHashCache(state.inputs);
  const inputHashes = new Map<string, BuildInputs>();
  const hashInputs = (t: TargetPlan, modules: string[]): BuildInputs => {
    const nodeEnv = t.env.NODE_ENV ?? "production";
    const key = `${nodeEnv}\n${modules.join("\n")}`;
    let hashed = inputHashes.get(key);
    if (!hashed) inputHashes.set(key, (hashed = buildInputs(plan.projectDir, modules, { nodeEnv, boundary, exclude: [plan.outDir], cache: inputCache })));
    return hashed;
  };
  const packagesOf = new Map<string, string[]>();
  const packagesFor = (modules: string[]): string[] => {
    const key = modules.join("\n");
    let packages = packagesOf.get(key);
    if (!packages) packagesOf.set(key, (packages = bundledPackages(plan.projectDir, modules)));
    return packages;
  };
  // Without --metafile (Bun before 1.3.6) the modules are listed by bundling again: the probe does
  // not depend on the target (it bundles for target "bun"), so once per build is enough.
  const probes = new Map<string, Promise<string[]>>();
  const modulesWithoutMetafile = (t: TargetPlan): Promise<string[]> => {
    const key = `${t.cwd}\n${stableJson(t.env)}`;
    let listed = probes.get(key);
    if (!listed) {
      listed = listModulesWithoutMetafile(options.compiler.path, t, compilerEnvironment(t, env), [plan.entrypoint, ...plan.additionalEntrypoints].map((e) => `./${e}`));
      probes.set(key, listed);
    }
    return listed;
  };
  const digestFor = (t: TargetPlan, runtimeSha256: string, modules: string[]) =>
    inputDigest({
      toolVersion: TOOL_VERSION,
      bunVersion: plan.bunVersion,
      bunTarget: t.target.bunTarget,
      runtimeSha256,
      argv: portableArgv(t, plan.outDir),
      env: t.env,
      settings: { repairSignature: t.repairSignature, prepare: plan.prepare.map((p) => p.run) },
      inlinable: Object.entries(inlinableEnv(t.argv, compilerEnvironment(t, env))).map(([name, value]) => [name, sha256Hex(value)]),
      inputs: hashInputs(t, modules),
    });

  // The archives listed before this build whose files are there, read once instead of on every
  // index write; step 2 drops those of the targets it rebuilds.
  let archives = (previous?.archives ?? []).filter((a) => existsSync(path.join(plan.outDir, a.file)));
  const baseManifest = (): Manifest => ({
    schemaVersion: 1,
    tool: { name: TOOL_NAME, version: TOOL_VERSION },
    bun: plan.bunVersion,
    name: plan.name,
    inputDigest: "",
    targets: [...entries.values()],
    archives,
  });
  // Index writes are serialized; each one lists only files that are complete and match. A write
  // asked for while another one waits to start is that one: it reads the entries when it starts,
  // so targets that finish together cost one write.
  let indexWrites: Promise<void> = Promise.resolve();
  let waiting: Promise<void> | undefined;
  const writeIndex = (): Promise<void> => {
    if (waiting) return waiting;
    const next = indexWrites.then(() => {
      waiting = undefined;
      return writeDistIndex(plan.outDir, baseManifest());
    });
    waiting = next;
    indexWrites = next;
    return next;
  };

  // One span per target ("build <id>"), from the cache check to the hashed file, with its steps inside.
  const buildSpan = currentSpan();
  const spans = new Map<string, OpenSpan>(plan.targets.map((t) => [t.target.id, openSpan(`build ${t.target.id}`, targetAttributes(t), buildSpan)]));
  try {
    // 1. Which targets can be reused as they are?
    const toBuild: TargetPlan[] = [];
    const outcomes = new Map<string, TargetOutcome>();
    await Promise.all(
      plan.targets.map(async (t) => {
        emit({ type: "queued", target: t.target.id });
        const span = spans.get(t.target.id)!;
        const reused = options.force
          ? undefined
          : await span.run(() =>
              withSpan("cache check", { "bun_parity.target": t.target.id }, async (check) => {
                const entry = await reusable(t);
                check.setAttributes({ "bun_parity.cache_hit": entry !== undefined });
                return entry;
              }),
            );
        span.setAttributes({ "bun_parity.cache_hit": reused !== undefined });
        if (reused) {
          outcomes.set(t.target.id, { id: t.target.id, status: "reused", entry: reused });
          emit({ type: "reused", target: t.target.id, entry: reused });
          span.setAttributes({ "bun_parity.status": "reused", ...entryAttributes(reused) });
          span.end();
        } else {
          toBuild.push(t);
        }
      }),
    );
    async function reusable(t: TargetPlan): Promise<ManifestTarget | undefined> {
      const entry = previous?.targets.find((e) => e.id === t.target.id);
      const recorded = state.targets[t.target.id];
      const modules = recorded?.modules;
      const lockEntry = locked.get(t.target.id)!;
      if (!entry || !modules || entry.file !== t.outputFile || entry.runtime.sha256 !== lockEntry.sha256) return undefined;
      const file = path.join(plan.outDir, entry.file);
      if (!existsSync(file)) return undefined;
      if (digestFor(t, lockEntry.sha256, modules) !== entry.inputDigest) return undefined;
      if (stampMatches(file, recorded.file, entry.sha256)) return entry;
      const digest = await pool.hash(file);
      if (digest.sha256 !== entry.sha256 || digest.bytes !== entry.bytes) return undefined;
      await chmod(file, EXECUTABLE_FILE_MODE); // undo a chmod since the build (it is one thing that makes the stamp stale)
      recorded.file = stampOf(file, entry.sha256);
      return entry;
    }

    // 2. Unlist what is about to be replaced, before touching any file. Whatever manifest.json says
    // (it may be missing or corrupt), SHA256SUMS is rewritten from the entries that stay, so it
    // lists no file a compile below replaces, nor its archives.
    for (const t of toBuild) entries.delete(t.target.id);
    // An archive stays listed only while the executable it holds does; a rebuilt target's archives
    // stay unlisted, even when it is rebuilt to the same bytes, until `bun verify package` runs again.
    archives = archives.filter((a) => entries.get(a.target)?.sha256 === a.executableSha256);
    if (toBuild.length > 0 || (previous && previous.targets.some((e) => !entries.has(e.id)))) await writeIndex();

    // 3. Build. At most `concurrency` compiles run at once; a target leaves its compile slot when
    // Bun exits, so the next compile starts while this one is checked, signed and hashed. Steps
    // that hold a whole executable in memory (macOS signatures, old-Bun repairs) run one at a time.
    const compileSlot = pLimit(Math.max(1, options.concurrency ?? defaultConcurrency(env)));
    const memory = { slot: pLimit(1), buffer: new ReusableFileBuffer() };
    // Long synchronous steps in this thread (signature checks, the reuse key) wait until every
    // compile that has a slot is running, so a free slot never waits for them.
    const starting = new StartingCompiles();
    // Every target settles before a fatal error is rethrown: the others are still compiling and
    // hashing, and the hash pool below must not close under them (a worker started after close()
    // would keep the process alive forever).
    await settleAll(
      toBuild.map((t) =>
        spans.get(t.target.id)!.run(async () => {
          const id = t.target.id;
          const span = spans.get(id)!;
          let targetStarted = performance.now();
          try {
            const lockEntry = locked.get(id)!;
            await compileSlot(async () => {
              targetStarted = performance.now();
              const fetching = !existsSync(t.runtimePath);
              emit({ type: "runtime", target: id, fetching });
              await withSpan(
                "toolchain fetch",
                { "bun_parity.runtime.package": t.runtime.name, "bun_parity.runtime.version": t.runtime.version, "bun_parity.runtime.sha256": lockEntry.sha256, "bun_parity.cache_hit": !fetching },
                () => ensureRuntime(t.runtime, lockEntry, options.cacheDir, plan.projectDir),
              );
              const started = starting.begin(); // from here to Bun running takes milliseconds
              try {
                await rm(t.stagingDir, { recursive: true, force: true });
                await mkdir(t.stagingDir, { recursive: true });
                await seedRuntimeCache(t); // Bun < 1.3.6 only (no --compile-executable-path)
                emit({ type: "compiling", target: id });
                const { execa } = await import("execa");
                const run = await withSpan("compile", { "bun_parity.target": id, "bun_parity.bun_target": t.target.bunTarget, "bun_parity.bun_version": plan.bunVersion }, async (compile) => {
                  const subprocess = execa(options.compiler.path, t.argv, {
                    cwd: t.cwd,
                    env: compilerEnvironment(t, env),
                    extendEnv: false,
                    all: true,
                    reject: false,
                  });
                  started(); // Bun runs (execa spawns before it returns)
                  const result = await subprocess;
                  compile.setAttributes({ "bun_parity.exit_code": result.exitCode ?? -1 });
                  if (result.exitCode !== 0) compile.fail(`bun build exited with ${result.exitCode ?? result.signal}`);
                  return result;
                });
                if (run.exitCode !== 0 || !existsSync(t.stagedFile)) {
                  throw new CompileError(
                    `bun build exited with ${run.exitCode ?? run.signal}${existsSync(t.stagedFile) ? "" : " and wrote no executable"}:\n${(run.all ?? "").trim()}`,
                  );
                }
              } finally {
                started(); // also when it failed before Bun ran
              }
            });
            const modulesListed = t.metafile ? readFile(t.metafile, "utf8").then(metafileInputs) : modulesWithoutMetafile(t);
            modulesListed.catch(() => {}); // awaited below; a failure there is this target's error
            const { digest, adhocSigned } = await finishOutput(t, plan.bunVersion, pool, memory, starting, emit);
            const modules = await modulesListed;
            await starting.settled();
            if (t.target.maxBytes !== undefined && digest.bytes > t.target.maxBytes) {
              throw new CompileError(
                `${t.outputFile} is ${digest.bytes} bytes, over its budget of ${t.target.maxBytes} bytes (targets.json maxBytes) by ${digest.bytes - t.target.maxBytes}`,
              );
            }
            const entry: ManifestTarget = {
              id,
              os: t.target.os,
              arch: t.target.arch,
              libc: t.target.libc,
              bunTarget: t.target.bunTarget,
              file: t.outputFile,
              bytes: digest.bytes,
              sha256: digest.sha256,
              inputDigest: digestFor(t, lockEntry.sha256, modules),
              runtime: { package: t.runtime.name, version: t.runtime.version, sha256: lockEntry.sha256 },
              packages: packagesFor(modules),
              fingerprint: buildFingerprint({
                toolVersion: TOOL_VERSION,
                bunVersion: plan.bunVersion,
                bunTarget: t.target.bunTarget,
                runtimeSha256: lockEntry.sha256,
                argv: portableArgv(t, plan.outDir),
                env: inlinableEnv(t.argv, compilerEnvironment(t, env)),
                settings: { adhocSign: t.repairSignature, prepare: JSON.stringify(plan.prepare.map((p) => p.run)) },
                // targets.json itself is left out: what it sets is recorded as argv, env and settings.
                inputs: hashInputs(t, modules).files.filter(([file]) => file !== "targets.json"),
              }),
              durationMs: Math.round(performance.now() - targetStarted),
            };
            if (adhocSigned) entry.adhocSigned = true;
            const finalFile = path.join(plan.outDir, t.outputFile);
            await chmod(t.stagedFile, EXECUTABLE_FILE_MODE); // Bun's mode follows the umask (0700 under umask 077)
            await rename(t.stagedFile, finalFile);
            entries.set(id, entry);
            state.targets[id] = { modules, file: stampOf(finalFile, entry.sha256) };
            await writeIndex();
            outcomes.set(id, { id, status: "built", entry });
            emit({ type: "done", target: id, entry });
            span.setAttributes({ "bun_parity.status": "built", ...entryAttributes(entry) });
          } catch (error) {
            const message = error instanceof CompileError ? error.message : describeError(error);
            outcomes.set(id, { id, status: "failed", error: message });
            emit({ type: "failed", target: id, error: message });
            span.setAttributes({ "bun_parity.status": "failed" });
            span.fail(message);
            if (!(error instanceof CompileError) && isFatal(error)) throw error;
          } finally {
            await rm(t.stagingDir, { recursive: true, force: true });
            span.end();
          }
        }),
      ),
    );
    await indexWrites;
    await writeIndex();
    await indexWrites;
    await rmdir(path.join(plan.outDir, STAGING_FOLDER)).catch(() => {});
    state.inputs = inputCache.toJSON();
    await writeBuildState(statePath, state);

    const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as Manifest;
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
  } finally {
    for (const span of spans.values()) span.end();
    await pool.close();
  }
}

function targetAttributes(t: TargetPlan): Attributes {
  return {
    "bun_parity.target": t.target.id,
    "bun_parity.os": t.target.os,
    "bun_parity.arch": t.target.arch,
    "bun_parity.libc": t.target.libc,
    "bun_parity.bun_target": t.target.bunTarget,
    "bun_parity.file": t.outputFile,
    "bun_parity.max_bytes": t.target.maxBytes,
  };
}

function entryAttributes(entry: ManifestTarget): Attributes {
  return { "bun_parity.bytes": entry.bytes, "bun_parity.sha256": entry.sha256, "bun_parity.input_digest": entry.inputDigest, "bun_parity.build_ms": entry.durationMs };
}

/** Build progress as log events (JSON lines with --log-format json; failures also annotate on GitHub). */
function logBuildEvent(event: BuildEvent): void {
  const target = event.target;
  switch (event.type) {
    case "queued":
      return logEvent("debug", "build.target.queued", { target });
    case "reused":
      return logEvent("info", "build.target.reused", { target, cacheHit: true, file: event.entry.file, bytes: event.entry.bytes, sha256: event.entry.sha256 });
    case "runtime":
      return logEvent("info", "build.target.toolchain", { target, fetching: event.fetching });
    case "compiling":
      return logEvent("info", "build.target.compiling", { target });
    case "post-processing":
      return logEvent("info", "build.target.post-processing", { target, step: event.step });
    case "hashing":
      return logEvent("info", "build.target.hashing", { target });
    case "done":
      return logEvent("info", "build.target.done", {
        target, cacheHit: false, file: event.entry.file, bytes: event.entry.bytes, sha256: event.entry.sha256, durationMs: event.entry.durationMs, adhocSigned: event.entry.adhocSigned,
      });
    case "failed":
      return logEvent("error", "build.target.failed", { target, message: event.error.split("\n")[0], error: event.error }, { title: `build ${target} failed` });
  }
}

class CompileError extends Error {}

/**
 * Compiles that hold a slot but whose Bun is not running yet. `settled()` resolves once there
 * are none, after letting a slot just freed be taken (p-limit starts the next task on a later
 * tick): what the build does between compiles then never delays the next one.
 */
class StartingCompiles {
  private readonly open = new Set<symbol>();
  private waiters: (() => void)[] = [];

  /** Marks a compile as starting; call the function it returns once Bun runs (calling it again does nothing). */
  begin(): () => void {
    const token = Symbol("compile");
    this.open.add(token);
    return () => this.finish(token);
  }

  async settled(): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (this.open.size > 0) await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  private finish(token: symbol): void {
    if (!this.open.delete(token) || this.open.size > 0) return;
    for (const wake of this.waiters.splice(0)) wake();
  }
}

/**
 * What happens to Bun's output before it is listed: old-Bun checks and repairs (bun-output.ts),
 * the macOS signature repair (sign.ts), and the sha256. When the bytes must be looked at, the
 * file is read once and that buffer is checked, re-signed, written back only if it changed, and
 * hashed; otherwise a hashing thread reads it once.
 */
async function finishOutput(
  t: TargetPlan,
  bunVersion: string,
  pool: HashPool,
  memory: { slot: LimitFunction; buffer: ReusableFileBuffer },
  starting: StartingCompiles,
  emit: (event: BuildEvent) => void,
): Promise<{ digest: FileDigest; adhocSigned: boolean }> {
  const id = t.target.id;
  const hash = (digesting: () => Promise<FileDigest>) =>
    withSpan("hash", { "bun_parity.target": id }, async (span) => {
      const d = await digesting();
      span.setAttributes({ "bun_parity.bytes": d.bytes, "bun_parity.sha256": d.sha256 });
      return d;
    });
  if (!t.repairSignature && !outputNeedsCheck(t, bunVersion)) {
    emit({ type: "hashing", target: id });
    return { digest: await hash(() => pool.hash(t.stagedFile)), adhocSigned: false };
  }
  return memory.slot(async () => {
    await starting.settled();
    let bytes = memory.buffer.read(t.stagedFile);
    let changed = false;
    if (outputNeedsCheck(t, bunVersion)) {
      const repair = checkAndRepairBytes(t, bunVersion, bytes);
      for (const step of repair.steps) emit({ type: "post-processing", target: id, step });
      ({ bytes } = repair);
      changed = repair.changed;
    }
    let adhocSigned = false;
    if (t.repairSignature) {
      emit({ type: "post-processing", target: id, step: "checking macOS signature" });
      adhocSigned = await withSpan("sign", { "bun_parity.target": id }, async (sign) => {
        const outcome = signBytesAdhoc(bytes, t.stagedFile, { onlyIfInvalid: true });
        sign.setAttributes({ "bun_parity.adhoc_signed": outcome.signed });
        bytes = outcome.bytes;
        return outcome.signed;
      });
      changed ||= adhocSigned;
    }
    if (changed) await writeFileAtomic(t.stagedFile, bytes, { mode: EXECUTABLE_FILE_MODE });
    emit({ type: "hashing", target: id });
    // The buffer moves to a hashing thread and back: the file is not read a second time.
    const digest = await hash(async () => {
      const { memory: returned, ...d } = await pool.hashBuffer(bytes);
      memory.buffer.reuse(returned);
      return d;
    });
    return { digest, adhocSigned };
  });
}

function describeError(error: unknown): string {
  if (error instanceof Error) return error.message + (error instanceof UsageError && error.fix ? `\n${error.fix}` : "");
  return String(error);
}

/** Usage errors (bad lock, npm missing) stop the whole build; a compile failure stops only its target. */
/** Promise.all that waits for every promise, then throws the first rejection. */
async function settleAll<T>(promises: Promise<T>[]): Promise<T[]> {
  const settled = await Promise.allSettled(promises);
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === "rejected");
  if (failed) throw failed.reason;
  return settled.map((s) => (s as PromiseFulfilledResult<T>).value);
}

function isFatal(error: unknown): boolean {
  return error instanceof UsageError;
}

/**
 * One compile per core (each `bun build --compile` is mostly single-threaded bundling plus a
 * 100 MB write), or $BUN_PARITY_JOBS: the clean-room rebuild sets it to 1 to vary parallelism.
 */
export function defaultConcurrency(env: NodeJS.ProcessEnv = process.env): number {
  const fromEnv = Number(env.BUN_PARITY_JOBS);
  return Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : Math.max(1, availableParallelism());
}

function buildStatePath(cacheDir: string, outDir: string): string {
  return path.join(cacheDir, "build-state", `${sha256Hex(path.resolve(outDir)).slice(0, 16)}.json`);
}

function readBuildState(file: string): BuildState {
  try {
    const state = JSON.parse(readFileSync(file, "utf8")) as BuildState;
    if (state && typeof state.targets === "object") return state;
  } catch {
    // No state yet: nothing can be reused, everything is built.
  }
  return { targets: {} };
}

async function writeBuildState(file: string, state: BuildState): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFileAtomic(file, stableJson(state));
}
