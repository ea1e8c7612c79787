// Smoke-run every artifact this host can execute (issue 4, point 3): natively, under
// qemu-user with the target's sysroot, or not at all, with the runner that could, never a fake pass.
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { Arch, Libc, Os } from "./bun-targets.ts";
import type { SmokeCase, Target } from "./config.ts";

export interface Host {
  os: Os | string;
  arch: Arch | string;
  libc?: Libc;
  /** Executables found on PATH, by name (qemu-aarch64-static, ...). */
  has: (command: string) => string | undefined;
  /** Whether a file exists (sysroots, loaders). */
  exists: (file: string) => boolean;
}

export type Executor =
  | { kind: "native"; command: string[]; note: string }
  | { kind: "emulated"; command: string[]; note: string }
  | { kind: "not-run"; reason: string };

const QEMU_ARCH: Record<string, string> = { arm64: "aarch64", x64: "x86_64" };
const GNU_SYSROOT: Record<string, string> = { arm64: "/usr/aarch64-linux-gnu", x64: "/usr/x86_64-linux-gnu" };
const MUSL_LOADER: Record<string, string> = { arm64: "/lib/ld-musl-aarch64.so.1", x64: "/lib/ld-musl-x86_64.so.1" };

/** How this host can run a target's executable. Pure: the host is passed in. */
export function executorFor(target: Target, file: string, host: Host): Executor {
  const needs = `needs ${target.runner}`;
  if (target.os === "linux" && host.os === "linux") {
    if (target.libc === "musl" && host.libc !== "musl") {
      const loader = MUSL_LOADER[target.arch]!;
      if (target.arch === host.arch && host.exists(loader)) {
        return { kind: "native", command: [file], note: `native, musl loader ${loader}` };
      }
      return { kind: "not-run", reason: `not run here: the musl loader ${loader} is not installed (Debian: musl), ${needs} or an Alpine container` };
    }
    if (target.arch === host.arch) return { kind: "native", command: [file], note: "native" };
    const qemuName = `qemu-${QEMU_ARCH[target.arch]}-static`;
    const qemu = host.has(qemuName) ?? host.has(`qemu-${QEMU_ARCH[target.arch]}`);
    const sysroot = GNU_SYSROOT[target.arch]!;
    if (!qemu) return { kind: "not-run", reason: `not run here: ${qemuName} is not installed (Debian: qemu-user-static), ${needs}` };
    if (target.libc !== "musl" && !host.exists(sysroot)) {
      return { kind: "not-run", reason: `not run here: the ${target.arch} sysroot ${sysroot} is missing (Debian: libc6-${target.arch === "arm64" ? "arm64" : "amd64"}-cross), ${needs}` };
    }
    return { kind: "emulated", command: [qemu, "-L", sysroot, file], note: `emulated: ${path.basename(qemu)} -L ${sysroot}` };
  }
  if (target.os === host.os && target.arch === host.arch) return { kind: "native", command: [file], note: "native" };
  // Apple silicon runs x86_64 code through Rosetta 2; Windows on Arm emulates x64.
  if (target.os === "darwin" && host.os === "darwin" && target.arch === "x64" && host.arch === "arm64") {
    return { kind: "emulated", command: [file], note: "emulated: Rosetta 2" };
  }
  if (target.os === "windows" && host.os === "windows" && target.arch === "x64" && host.arch === "arm64") {
    return { kind: "emulated", command: [file], note: "emulated: Windows on Arm x64 emulation" };
  }
  return { kind: "not-run", reason: `not run here: ${needs} (this host is ${host.os}-${host.arch})` };
}

export function currentHost(): Host {
  const platform = process.platform === "win32" ? "windows" : process.platform;
  const arch = process.arch;
  const pathDirs = (process.env.PATH ?? "").split(path.delimiter).filter(Boolean);
  const host: Host = {
    os: platform,
    arch,
    has: (command) => pathDirs.map((d) => path.join(d, command)).find((p) => existsSync(p)),
    exists: existsSync,
  };
  if (platform === "linux") {
    const glibcLoader = arch === "arm64" ? "/lib/ld-linux-aarch64.so.1" : "/lib64/ld-linux-x86-64.so.2";
    host.libc = existsSync(glibcLoader) ? "glibc" : "musl";
  }
  return host;
}

export interface CaseResult {
  target: string;
  case: string;
  status: "pass" | "fail" | "not-run";
  /** Why it failed or did not run; for a pass, how it ran. */
  reason: string;
  how?: string;
  exitCode?: number | null;
  signal?: string | null;
  durationMs?: number;
  /** Peak resident memory of the process (of qemu when emulated), when the runtime can measure it. */
  peakRssBytes?: number;
  stdout?: string;
  stderr?: string;
}

interface RunOutput {
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  durationMs: number;
  peakRssBytes?: number;
}

const STACK_FRAME = /^\s+at .+(:\d+:\d+\)?|\(native\))$/m;

/** Checks one finished run against its case: exit code, patterns, no stray stack trace. Pure. */
export function judgeCase(smoke: SmokeCase, run: Omit<RunOutput, "durationMs">): { ok: boolean; reason: string } {
  if (run.timedOut) return { ok: false, reason: `timed out after ${smoke.timeoutMs} ms and was killed` };
  const problems: string[] = [];
  if (run.exitCode !== smoke.exitCode) {
    problems.push(`exit code ${run.exitCode ?? `signal ${run.signal}`}, expected ${smoke.exitCode}`);
  }
  for (const stream of ["stdout", "stderr"] as const) {
    const pattern = smoke[stream];
    if (pattern !== undefined && !new RegExp(pattern, "m").test(run[stream])) {
      problems.push(`${stream} does not match /${pattern}/:\n${diffAgainstPattern(pattern, run[stream])}`);
    }
  }
  // A program that crashes but still exits with the expected code must not pass.
  if (smoke.stderr === undefined && STACK_FRAME.test(run.stderr)) {
    problems.push(`printed a stack trace on stderr:\n${indent(lastLines(run.stderr, 8))}`);
  }
  return problems.length === 0 ? { ok: true, reason: "" } : { ok: false, reason: problems.join("\n") };
}

function diffAgainstPattern(pattern: string, actual: string): string {
  const lines = actual.length === 0 ? ["(empty)"] : lastLines(actual, 10).split("\n");
  return [`  - expected: /${pattern}/`, ...lines.map((l, i) => `  + ${i === 0 ? "actual:   " : "          "}${l}`)].join("\n");
}

const lastLines = (text: string, n: number) => text.trimEnd().split("\n").slice(-n).join("\n");
const indent = (text: string) => text.split("\n").map((l) => `  ${l}`).join("\n");

/** Runs one case in a fresh temporary working folder with a timeout. */
export async function runCase(target: Target, smoke: SmokeCase, executor: Executor): Promise<CaseResult> {
  const base = { target: target.id, case: smoke.name };
  if (executor.kind === "not-run") return { ...base, status: "not-run", reason: executor.reason };
  const cwd = await mkdtemp(path.join(os.tmpdir(), `bun-parity-smoke-${target.id}-`));
  try {
    const env: Record<string, string> = { PATH: process.env.PATH ?? "", HOME: cwd, TMPDIR: cwd, LANG: "C.UTF-8", ...smoke.env };
    if (process.platform === "win32") Object.assign(env, { SystemRoot: process.env.SystemRoot ?? "C:\\Windows", USERPROFILE: cwd, TEMP: cwd, TMP: cwd });
    const run = await spawnWithLimits([...executor.command, ...smoke.args], cwd, env, smoke.timeoutMs);
    const verdict = judgeCase(smoke, run);
    const result: CaseResult = {
      ...base,
      status: verdict.ok ? "pass" : "fail",
      reason: verdict.ok ? executor.note : verdict.reason,
      how: executor.note,
      exitCode: run.exitCode,
      signal: run.signal,
      durationMs: run.durationMs,
      stdout: run.stdout,
      stderr: run.stderr,
    };
    if (run.peakRssBytes !== undefined) result.peakRssBytes = run.peakRssBytes;
    return result;
  } catch (error) {
    return { ...base, status: "fail", reason: `could not start: ${(error as Error).message}`, how: executor.note };
  } finally {
    await rm(cwd, { recursive: true, force: true });
  }
}

interface BunSubprocess {
  exited: Promise<number>;
  exitCode: number | null;
  signalCode: string | null;
  stdout: ReadableStream<Uint8Array>;
  stderr: ReadableStream<Uint8Array>;
  kill(signal?: string): void;
  resourceUsage(): { maxRSS: number } | undefined;
}
interface BunRuntime {
  spawn(cmd: string[], options: object): BunSubprocess;
}

/**
 * Under Bun (how `bun verify` runs), Bun.spawn reports the child's peak memory (rusage maxRSS);
 * elsewhere (Node) the same run happens through execa without the memory figure.
 */
async function spawnWithLimits(command: string[], cwd: string, env: Record<string, string>, timeoutMs: number): Promise<RunOutput> {
  const started = performance.now();
  const bun = (globalThis as { Bun?: BunRuntime }).Bun;
  if (bun) {
    const child = bun.spawn(command, { cwd, env, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, timeoutMs);
    const [stdout, stderr] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
    clearTimeout(timer);
    const usage = child.resourceUsage();
    const output: RunOutput = {
      exitCode: child.exitCode, signal: child.signalCode, stdout, stderr, timedOut, durationMs: Math.round(performance.now() - started),
    };
    // Bun reports maxRSS in bytes on every OS (measured: 223 MB for a 200 MB allocation).
    if (usage) output.peakRssBytes = usage.maxRSS;
    return output;
  }
  const { execa } = await import("execa");
  const run = await execa(command[0]!, command.slice(1), { cwd, env, extendEnv: false, reject: false, timeout: timeoutMs, killSignal: "SIGKILL", stdin: "ignore" });
  return {
    exitCode: run.exitCode ?? null, signal: run.signal ?? null, stdout: String(run.stdout), stderr: String(run.stderr),
    timedOut: Boolean(run.timedOut), durationMs: Math.round(performance.now() - started),
  };
}
