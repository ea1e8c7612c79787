// Step 3 of a build: compile the targets that could not be reused, in parallel. Per target: fetch
// its pinned runtime, run `bun build --compile` into a private staging folder, repair and hash the
// output, then rename it into place and list it (dist-index.ts). A failed compile fails only its
// target; a usage error (a bad lock, npm missing) stops the whole build.
import { existsSync } from "node:fs";
import { chmod, mkdir, readFile, rename, rm } from "node:fs/promises";
import { availableParallelism } from "node:os";
import path from "node:path";
import pLimit, { type LimitFunction } from "p-limit";
import { EXECUTABLE_FILE_MODE, type FileDigest, type HashPool, type ManifestTarget, ReusableFileBuffer, stampOf, writeFileAtomic } from "../digest/index.ts";
import { UsageError } from "../errors.ts";
import { compilerEnvironment, type TargetPlan } from "../plan/index.ts";
import { type OpenSpan, withSpan } from "../telemetry/index.ts";
import { ensureRuntime, type lockEntryFor, seedRuntimeCache } from "../toolchain/index.ts";
import { type BuildContext, type BuildEvent, entryAttributes } from "./build-context.ts";
import { checkAndRepairBytes, outputNeedsCheck } from "./bun-output.ts";
import { metafileInputs } from "./inputs.ts";
import { signBytesAdhoc } from "./sign.ts";

type LockEntry = ReturnType<typeof lockEntryFor>;

/** What bounds the parallel work: compile slots, and one slot for steps that hold a whole executable. */
interface Slots {
  compile: LimitFunction;
  memory: { slot: LimitFunction; buffer: ReusableFileBuffer };
  starting: StartingCompiles;
}

/**
 * At most `concurrency` compiles run at once; a target leaves its compile slot when Bun exits, so
 * the next compile starts while this one is checked, signed and hashed. Steps that hold a whole
 * executable in memory (macOS signatures, old-Bun repairs) run one at a time.
 */
export async function compileTargets(ctx: BuildContext, toBuild: TargetPlan[]): Promise<void> {
  const slots: Slots = {
    compile: pLimit(Math.max(1, ctx.options.concurrency ?? defaultConcurrency(ctx.env))),
    memory: { slot: pLimit(1), buffer: new ReusableFileBuffer() },
    // Long synchronous steps in this thread (signature checks, the reuse key) wait until every
    // compile that has a slot is running, so a free slot never waits for them.
    starting: new StartingCompiles(),
  };
  // Every target settles before a fatal error is rethrown: the others are still compiling and
  // hashing, and the hash pool must not close under them (a worker started after close() would
  // keep the process alive forever).
  await settleAll(toBuild.map((t) => ctx.spans.get(t.target.id)!.run(() => buildTarget(ctx, slots, t, ctx.spans.get(t.target.id)!))));
}

/** One target from its runtime to its listed, hashed executable; records its outcome either way. */
async function buildTarget(ctx: BuildContext, slots: Slots, t: TargetPlan, span: OpenSpan): Promise<void> {
  const id = t.target.id;
  let targetStarted = performance.now();
  try {
    const lockEntry = ctx.locked.get(id)!;
    await slots.compile(async () => {
      targetStarted = performance.now();
      await fetchRuntime(ctx, t, lockEntry);
      await compileStaged(ctx, t, slots.starting);
    });
    const modulesListed = t.metafile ? readFile(t.metafile, "utf8").then(metafileInputs) : ctx.keys.modulesWithoutMetafile(t);
    modulesListed.catch(() => {}); // awaited below; a failure there is this target's error
    const { digest, adhocSigned } = await finishOutput(t, ctx.plan.bunVersion, ctx.pool, slots.memory, slots.starting, ctx.emit);
    const modules = await modulesListed;
    await slots.starting.settled();
    if (t.target.maxBytes !== undefined && digest.bytes > t.target.maxBytes) {
      throw new CompileError(
        `${t.outputFile} is ${digest.bytes} bytes, over its budget of ${t.target.maxBytes} bytes (targets.json maxBytes) by ${digest.bytes - t.target.maxBytes}`,
      );
    }
    const entry = manifestEntry(ctx, t, lockEntry, digest, modules, targetStarted);
    if (adhocSigned) entry.adhocSigned = true;
    await publish(ctx, t, entry, modules);
    ctx.outcomes.set(id, { id, status: "built", entry });
    ctx.emit({ type: "done", target: id, entry });
    span.setAttributes({ "bun_parity.status": "built", ...entryAttributes(entry) });
  } catch (error) {
    const message = error instanceof CompileError ? error.message : describeError(error);
    ctx.outcomes.set(id, { id, status: "failed", error: message });
    ctx.emit({ type: "failed", target: id, error: message });
    span.setAttributes({ "bun_parity.status": "failed" });
    span.fail(message);
    if (!(error instanceof CompileError) && isFatal(error)) throw error;
  } finally {
    await rm(t.stagingDir, { recursive: true, force: true });
    span.end();
  }
}

/** The target's pinned runtime in the cache, fetched and sha256-checked against the lock if missing. */
async function fetchRuntime(ctx: BuildContext, t: TargetPlan, lockEntry: LockEntry): Promise<void> {
  const fetching = !existsSync(t.runtimePath);
  ctx.emit({ type: "runtime", target: t.target.id, fetching });
  await withSpan(
    "toolchain fetch",
    { "bun_parity.runtime.package": t.runtime.name, "bun_parity.runtime.version": t.runtime.version, "bun_parity.runtime.sha256": lockEntry.sha256, "bun_parity.cache_hit": !fetching },
    () => ensureRuntime(t.runtime, lockEntry, ctx.options.cacheDir, ctx.plan.projectDir),
  );
}

/** `bun build --compile` into the target's empty staging folder; throws CompileError unless it wrote the executable. */
async function compileStaged(ctx: BuildContext, t: TargetPlan, starting: StartingCompiles): Promise<void> {
  const id = t.target.id;
  const started = starting.begin(); // from here to Bun running takes milliseconds
  try {
    await rm(t.stagingDir, { recursive: true, force: true });
    await mkdir(t.stagingDir, { recursive: true });
    await seedRuntimeCache(t); // Bun < 1.3.6 only (no --compile-executable-path)
    ctx.emit({ type: "compiling", target: id });
    const { execa } = await import("execa");
    const run = await withSpan("compile", { "bun_parity.target": id, "bun_parity.bun_target": t.target.bunTarget, "bun_parity.bun_version": ctx.plan.bunVersion }, async (compile) => {
      const subprocess = execa(ctx.options.compiler.path, t.argv, {
        cwd: t.cwd,
        env: compilerEnvironment(t, ctx.env),
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
}

/** What manifest.json lists for a built target, with its reuse key and fingerprint. */
function manifestEntry(ctx: BuildContext, t: TargetPlan, lockEntry: LockEntry, digest: FileDigest, modules: string[], targetStarted: number): ManifestTarget {
  return {
    id: t.target.id,
    os: t.target.os,
    arch: t.target.arch,
    libc: t.target.libc,
    bunTarget: t.target.bunTarget,
    file: t.outputFile,
    bytes: digest.bytes,
    sha256: digest.sha256,
    inputDigest: ctx.keys.digest(t, lockEntry.sha256, modules),
    runtime: { package: t.runtime.name, version: t.runtime.version, sha256: lockEntry.sha256 },
    packages: ctx.keys.packagesOf(modules),
    fingerprint: ctx.keys.fingerprint(t, lockEntry.sha256, modules),
    durationMs: Math.round(performance.now() - targetStarted),
  };
}

/** Moves the staged executable into place, lists it, and remembers its modules for the next build's reuse check. */
async function publish(ctx: BuildContext, t: TargetPlan, entry: ManifestTarget, modules: string[]): Promise<void> {
  const finalFile = path.join(ctx.plan.outDir, t.outputFile);
  await chmod(t.stagedFile, EXECUTABLE_FILE_MODE); // Bun's mode follows the umask (0700 under umask 077)
  await rename(t.stagedFile, finalFile);
  ctx.index.entries.set(entry.id, entry);
  ctx.state.targets[entry.id] = { modules, file: stampOf(finalFile, entry.sha256) };
  await ctx.index.write();
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

/** Promise.all that waits for every promise, then throws the first rejection. */
async function settleAll<T>(promises: Promise<T>[]): Promise<T[]> {
  const settled = await Promise.allSettled(promises);
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === "rejected");
  if (failed) throw failed.reason;
  return settled.map((s) => (s as PromiseFulfilledResult<T>).value);
}

/** Usage errors (bad lock, npm missing) stop the whole build; a compile failure stops only its target. */
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
