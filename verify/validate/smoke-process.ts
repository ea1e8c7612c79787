// The processes of a smoke run: a fresh working folder, a minimal environment, stdin, a timeout,
// and on Linux a private mount namespace in which the project folder is hidden from the
// executable, so it runs as it would on a user's machine (see docs/internals.md, "Smoke runs").
import { existsSync } from "node:fs";
import { cp, mkdtemp, realpath, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

export interface RunOutput {
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  durationMs: number;
  peakRssBytes?: number;
}

export interface ProcessSpec {
  command: string[];
  cwd: string;
  env: Record<string, string>;
  /** Text for standard input; without it stdin is /dev/null (the program reads end-of-file). */
  stdin?: string;
  timeoutMs: number;
}

/**
 * A new empty folder under the system temp folder, or a copy of `copyFrom` there. The path is
 * resolved through symlinks (macOS /var -> /private/var) so it is the one the program sees.
 */
export async function makeWorkingFolder(prefix: string, copyFrom?: string): Promise<string> {
  const dir = await realpath(await mkdtemp(path.join(os.tmpdir(), prefix)));
  if (copyFrom) await cp(copyFrom, dir, { recursive: true, verbatimSymlinks: true });
  return dir;
}

export async function removeFolder(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

/** What every smoke process gets: nothing inherited but PATH; HOME and TMPDIR are the working folder. */
export function runEnvironment(cwd: string, extra: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = { PATH: process.env.PATH ?? "", HOME: cwd, TMPDIR: cwd, LANG: "C.UTF-8" };
  if (process.platform === "win32") Object.assign(env, { SystemRoot: process.env.SystemRoot ?? "C:\\Windows", USERPROFILE: cwd, TEMP: cwd, TMP: cwd });
  return { ...env, ...extra };
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
 * Runs one process to its end or its timeout (then SIGKILL). Under Bun (how `bun verify` runs),
 * Bun.spawn reports the child's peak memory (rusage maxRSS); elsewhere (Node) the same run
 * happens through execa without the memory figure.
 */
export async function runProcess(spec: ProcessSpec): Promise<RunOutput> {
  const { command, cwd, env, timeoutMs } = spec;
  const started = performance.now();
  const bun = (globalThis as { Bun?: BunRuntime }).Bun;
  if (bun) {
    const stdin = spec.stdin === undefined ? "ignore" : new TextEncoder().encode(spec.stdin);
    const child = bun.spawn(command, { cwd, env, stdin, stdout: "pipe", stderr: "pipe" });
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
  const input = spec.stdin === undefined ? { stdin: "ignore" as const } : { input: spec.stdin };
  const run = await execa(command[0]!, command.slice(1), { cwd, env, extendEnv: false, reject: false, timeout: timeoutMs, killSignal: "SIGKILL", ...input });
  return {
    exitCode: run.exitCode ?? null, signal: run.signal ?? null, stdout: String(run.stdout), stderr: String(run.stderr),
    timedOut: Boolean(run.timedOut), durationMs: Math.round(performance.now() - started),
  };
}

/**
 * Whether executables run with the project folder hidden. On a user's machine the build
 * tree does not exist; on the build machine it does, so a program that reads files through
 * `__dirname` (Bun inlines it as the build machine's source folder, oven-sh/bun#29066) or
 * loads an unbundled module from the project's node_modules works here and nowhere else.
 */
export type Isolation =
  | {
      kind: "hidden";
      /** `unshare` and its flags: a private mount namespace (and a user namespace when not root). */
      unshare: string[];
      /** Wrapper for the source run so both sides see the same user id (empty when root). */
      sourcePrefix: string[];
    }
  | { kind: "visible"; why: string };

const MOUNT_FAILED = "bun-parity: could not hide the project folder";
// $1 the executable, $2 where it is mounted outside the project, $3 the project folder; then the command.
const HIDE_SCRIPT = `mount --bind "$1" "$2" && mount -t tmpfs -o ro,size=16k,mode=755 bun-parity-hidden "$3" || { echo "${MOUNT_FAILED} $3" >&2; exit 125; }; shift 3; exec "$@"`;

let probed: Promise<Isolation> | undefined;

/**
 * Finds out once whether this host can hide a folder from a child process: Linux with
 * util-linux `unshare`, and either root (a mount namespace) or unprivileged user namespaces
 * (Ubuntu 24.04's AppArmor and Docker's default seccomp profile can forbid them).
 */
export function probeIsolation(): Promise<Isolation> {
  probed ??= (async (): Promise<Isolation> => {
    if (process.platform !== "linux") return { kind: "visible", why: `only Linux can hide it (mount namespaces); this host is ${process.platform}` };
    const unshare = ["/usr/bin/unshare", "/bin/unshare"].find((p) => existsSync(p));
    if (!unshare) return { kind: "visible", why: "util-linux unshare is not installed" };
    const root = process.getuid?.() === 0;
    const attempts = root ? [["--mount"], ["--user", "--map-root-user", "--mount"]] : [["--user", "--map-root-user", "--mount"]];
    const target = await makeWorkingFolder("bun-parity-isolation-");
    let last = "";
    try {
      for (const flags of attempts) {
        const run = await runProcess({
          command: [unshare, ...flags, "--", "/bin/sh", "-c", `mount -t tmpfs -o size=16k bun-parity-hidden "$1" && exec ls -A "$1"`, "sh", target],
          cwd: os.tmpdir(), env: runEnvironment(os.tmpdir(), {}), timeoutMs: 10_000,
        });
        if (run.exitCode === 0) {
          return { kind: "hidden", unshare: [unshare, ...flags], sourcePrefix: flags.includes("--user") ? [unshare, "--user", "--map-root-user", "--"] : [] };
        }
        last = (run.stderr.trim().split("\n").pop() ?? "").trim() || `exit code ${run.exitCode}`;
      }
    } finally {
      await removeFolder(target);
    }
    return { kind: "visible", why: `unshare could not create a mount namespace (${last})` };
  })();
  return probed;
}

export interface HiddenRun {
  command: string[];
  /** Where the executable appears to the program (its process.execPath). */
  execPath: string;
  /** Temporary folder holding the mount point; remove it after the run. */
  mountDir?: string;
  /** When the project could not be hidden for this run, why. */
  visible?: string;
}

/**
 * The command that runs `file` (through `prefix`: nothing, or qemu and its flags) with the
 * project folder covered by an empty read-only tmpfs. The executable is bind-mounted to a
 * temporary path first, because it normally lives inside the project (dist/).
 */
export async function hideProjectFrom(
  isolation: Isolation, projectDir: string, prefix: string[], file: string, args: string[], runDir: string,
): Promise<HiddenRun> {
  const plain = { command: [...prefix, file, ...args], execPath: file };
  if (isolation.kind === "visible") return { ...plain, visible: isolation.why };
  const inside = (p: string) => p === projectDir || p.startsWith(projectDir + path.sep);
  if (inside(runDir) || inside(os.tmpdir())) return { ...plain, visible: `the temporary folder ${os.tmpdir()} is inside the project` };
  if (prefix.some((p) => path.isAbsolute(p) && inside(p))) return { ...plain, visible: `${prefix[0]} is inside the project` };
  const mountDir = await makeWorkingFolder("bun-parity-exe-");
  const execPath = path.join(mountDir, path.basename(file));
  await writeFile(execPath, "");
  return {
    command: [...isolation.unshare, "--", "/bin/sh", "-c", HIDE_SCRIPT, "bun-parity-smoke", file, execPath, projectDir, ...prefix, execPath, ...args],
    execPath,
    mountDir,
  };
}

/** The run failed before the program started because the mounts failed. */
export function isolationFailed(run: RunOutput): boolean {
  return run.exitCode === 125 && run.stderr.includes(MOUNT_FAILED);
}
