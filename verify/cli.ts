#!/usr/bin/env bun
// The bun-parity command line: commands and flags only; the work is in the modules they call.
// Exit codes: 0 all good, 1 a check failed, 2 bad usage or bad input.
import { parseArgs, type ParseArgsConfig } from "node:util";
import { CheckFailed, UsageError } from "./errors.ts";
import type { Io } from "./commands/context.ts";
import { TOOL_NAME, TOOL_VERSION } from "./version.ts";

type Options = NonNullable<ParseArgsConfig["options"]>;
// parseArgs checks each value against the command's options; run() reads them with that shape.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Values = Record<string, any>;

interface Command {
  summary: string;
  usage: string;
  details: string;
  options: Options;
  positionals?: boolean;
  run(io: Io, values: Values, positionals: string[]): Promise<number>;
}

const config = { config: { type: "string" } } as const satisfies Options;
const json = { json: { type: "boolean" } } as const satisfies Options;
const targetFlag = { target: { type: "string", multiple: true } } as const satisfies Options;

const COMMANDS: Record<string, Command> = {
  build: {
    summary: "Compile every target in targets.json; write SHA256SUMS and manifest.json",
    usage: "build [--target id ...] [--out dir] [--force] [--jobs n] [--json] [--config file]",
    details: `Runs the plan (see \`plan\`) in parallel, one compile per core. Each executable is written to a
private staging folder and renamed into place; SHA256SUMS and manifest.json are rewritten atomically
after every target, so they never list a file that does not match. Targets whose inputs (sources read
by the bundler, lockfile, targets.json, Bun version, runtime digest) are unchanged are reused after
their hash is checked; --force rebuilds them. Foreign runtimes come from the pinned toolchain (see
\`toolchain\`). A failed target prints its compiler output and makes the command exit 1; the other
targets still finish.`,
    options: { ...config, ...json, ...targetFlag, out: { type: "string" }, force: { type: "boolean" }, jobs: { type: "string" } },
    run: async (io, v) => (await import("./commands/build.ts")).runBuildCommand(io, v),
  },
  plan: {
    summary: "Print the exact bun argv and environment per target (nothing is run)",
    usage: "plan [--target id ...] [--out dir] [--json] [--config file]",
    details: `The plan is computed from targets.json and the pinned Bun: a fixed internal output name (Bun
embeds it as /$bunfs/root/<name>) renamed to <name>-<id>[.exe], NODE_ENV pinned, BUN_* variables
removed, .env/bunfig autoload off unless targets.json turns it on, and the runtime passed with
--compile-executable-path.`,
    options: { ...config, ...json, ...targetFlag, out: { type: "string" } },
    run: async (io, v) => (await import("./commands/plan.ts")).runPlan(io, v),
  },
  toolchain: {
    summary: "Show, fetch (--fetch) or re-pin (--update) the Bun target runtimes",
    usage: "toolchain [--update | --fetch] [--json] [--config file]",
    details: `Target runtimes are the @oven/bun-<os>-<arch> npm packages of the pinned Bun version, fetched with
\`npm pack\` (your registry, mirror and proxy settings apply), checked against bun-runtimes.lock.json
(sha256 of each executable, npm integrity of each tarball) and cached in $BUN_PARITY_CACHE_DIR
(default ~/.cache/bun-parity). --update fetches them and rewrites the lock (commit it);
--fetch fills the cache so later builds work offline, and checks every digest.`,
    options: { ...config, ...json, update: { type: "boolean" }, fetch: { type: "boolean" } },
    run: async (io, v) => (await import("./commands/toolchain.ts")).runToolchain(io, v),
  },
  parity: {
    summary: "Prove the native build equals the reference bit for bit; explain every difference",
    usage: "parity [--reference dagger|clean-room|DIR|SHA256SUMS|manifest.json|URL] [--target id ...] [--json] [--markdown FILE] [--keep]",
    details: `The native side runs your own \`just build-all\` (or \`just build <id>\` per --target) and hashes the
output folder. The reference is one of:
  dagger        dagger call build-all export (needs the Dagger CLI and a container runtime)
  clean-room    the tracked sources (git ls-files, plus untracked files that are not ignored) copied
                to a new folder, dependencies installed from the lockfile there, and the same
                \`just build-all\` run with a different HOME, TMPDIR, TZ, LANG/LC_ALL, umask, PATH
                order and parallelism, CI-only variables unset (reprotest's variations)
  DIR           a folder of artifacts (every file is hashed; its own SHA256SUMS is not trusted)
  FILE or URL   a SHA256SUMS or manifest.json, local or https (e.g. a release asset)
Default: dagger when a working dagger CLI is found, else clean-room; the report says which.
Each target is identical, differs, or missing on one side; reference files no target accounts
for are "extra in reference". Every differing pair with bytes on both sides is explained
(see \`explain\`). Exit 0 only when every selected target is identical. --markdown writes the
report as Markdown (on GitHub Actions it goes to the job summary by default); --keep keeps the
clean-room or dagger folder.`,
    options: { ...config, ...json, ...targetFlag, reference: { type: "string" }, markdown: { type: "string" }, keep: { type: "boolean" } },
    run: async (io, v) => (await import("./commands/parity.ts")).runParity(io, v),
  },
  explain: {
    summary: "Say why two executables differ (format sections, Bun's embedded module graph, causes)",
    usage: "explain A B [--json]",
    details: `Works on any two executables (ELF, PE, Mach-O; any OS, also from other tools). Maps every
differing byte range to the section it falls in (header, code, Bun's embedded module graph, code
signature, overlay), reads Bun's embedded module graph from both files and diffs the embedded
sources, and names the cause with a hint: output basename embedded, absolute build path leaked
(__dirname/__filename), NODE_ENV or another process.env value inlined, CommonJS wrapper vs ESM,
different dependency versions, a different Bun runtime, only the code signature, different
compile flags (minify, bytecode, exec argv, sourcemap). Exit codes follow diff: 0 identical,
1 different, 2 unreadable input.`,
    options: { ...json },
    positionals: true,
    run: async (io, v, files) => (await import("./commands/explain.ts")).runExplain(io, v, files),
  },
  ci: {
    summary: "Write (--write) or check (--check) the GitHub workflow's matrix against targets.json; report a validate job (--summary)",
    usage: "ci [--write | --check | --summary --target id] [--workflow file] [--markdown FILE] [--json] [--config file]",
    details: `The validate job of .github/workflows/ci.yml has one matrix entry per target of targets.json (target,
runner, file), between the lines "# bun-parity:matrix:begin" and "# bun-parity:matrix:end".
Without a mode, prints that block.
  --write    rewrites only the lines between the markers from targets.json; with no workflow yet, writes
             the starter workflow (Dagger jobs test, lint, security-scan, build-all; one validate job per
             target). The file is replaced atomically.
  --check    fails (exit 1) when the block and targets.json disagree, naming each target and field; checks
             that run steps call only dagger, just, bun verify, npm ci or well-known shell commands, that
             every needed job exists and actions are pinned by commit SHA; and runs actionlint on every
             workflow, with the runner labels of .github/actionlint.yaml. Part of \`just lint\`.
  --summary  in a validate job: reads the step outcomes (BUN_PARITY_CHECK_SHA256SUMS, _INSPECT, _SMOKE,
             _PARITY) and RUNNER_OS/RUNNER_ARCH, writes the verdicts to the job summary (or --markdown FILE)
             and an annotation per failed check naming the target; exit 1 unless every check passed.
See docs/ci.md.`,
    options: { ...config, ...json, ...targetFlag, write: { type: "boolean" }, check: { type: "boolean" }, summary: { type: "boolean" }, workflow: { type: "string" }, markdown: { type: "string" } },
    run: async (io, v) => (await import("./commands/ci.ts")).runCi(io, v),
  },
  init: {
    summary: "Add bun-parity to an existing Bun CLI project (targets.json, justfile, package.json, workflow, dagger.json)",
    usage: "init [--targets id,id,...] [--entry file] [--name name] [--dry-run] [--force] [--json]",
    details: `Run in the project root. Detects the entry point (package.json bin, then src/cli.ts, src/index.ts,
index.ts, ...) and the name; writes targets.json (six targets by default, --targets to choose);
adds the pinned devDependencies bun, rust-just and bun-parity and the "verify" script to
package.json; adds the build, build-all, parity, smoke and inspect recipes to the justfile
(creating it, or appending only the missing recipes: your own recipes are kept); ignores dist/;
writes .github/workflows/bun-parity.yml and a dagger.json that uses bun-parity's module as its
blueprint. A file you changed is never overwritten without --force; --dry-run only shows the
plan; running it twice changes nothing. Prints what it did and what to run next.`,
    options: { ...json, targets: { type: "string" }, entry: { type: "string" }, name: { type: "string" }, force: { type: "boolean" }, "dry-run": { type: "boolean" } },
    run: async (io, v) => (await import("./commands/init.ts")).runInit(io, v),
  },
  inspect: {
    summary: "Check each artifact is what its name says: format, arch, libc, macOS signature, Bun version",
    usage: "inspect [FILE ...] [--dist dir] [--target id ...] [--json] [--config file]",
    details: `Without files, inspects every target's executable in the output folder (checking it against
manifest.json); with files, inspects those (their names are matched against targets.json, or read
for os/arch tokens). For each: format (ELF, PE, Mach-O), OS and CPU, and whether they match the
claimed target (a linux-arm64 file named linux-x64 fails); ELF interpreter (glibc or musl loader),
the highest GLIBC_x.y it needs (the oldest glibc it runs on), static or dynamic; PE machine,
subsystem (console/GUI) and Authenticode; Mach-O code signature recomputed page by page (an
invalid one fails with the fix: bun verify sign --adhoc); the embedded Bun version, entry point
and module count. Exit 1 when any artifact fails.`,
    options: { ...config, ...json, ...targetFlag, dist: { type: "string" } },
    positionals: true,
    run: async (io, v, files) => (await import("./commands/inspect.ts")).runInspect(io, v, files),
  },
  sign: {
    summary: "Re-sign macOS executables ad hoc, on any OS (deterministic)",
    usage: "sign --adhoc FILE... [--identifier id] [--json]",
    details: `Writes a new ad-hoc code signature (SHA-256 CodeDirectory over the final bytes, an empty
requirement set, flags adhoc) in place of the old one, fixing the __LINKEDIT and LC_CODE_SIGNATURE
sizes: what \`codesign --force --sign -\` does on a Mac. The same input gives the same bytes.
The build does this by itself for darwin executables whose signature Bun left invalid (Bun 1.4.5
leaves darwin-x64 output with the runtime's stale signature); build.macosAdhocSign turns it off.
The identifier defaults to the old signature's identifier.`,
    options: { ...json, adhoc: { type: "boolean" }, identifier: { type: "string" } },
    positionals: true,
    run: async (io, v, files) => (await import("./commands/sign.ts")).runSign(io, v, files),
  },
  smoke: {
    summary: "Run the smoke cases on every artifact this host can execute",
    usage: "smoke [--target id ...] [--dist dir] [--require-all] [--json] [--config file]",
    details: `Each case from targets.json runs in a fresh temporary folder with its timeout; exit code and
stdout/stderr patterns are checked, and a stack trace on stderr fails a case that does not
expect stderr output. Duration and peak memory are recorded. The host's own target runs
natively; other Linux architectures run under qemu-user with the target's sysroot
(qemu-aarch64-static -L /usr/aarch64-linux-gnu; Debian packages qemu-user-static and
libc6-arm64-cross); musl targets run when the musl loader is installed; Apple silicon runs
darwin-x64 under Rosetta. Everything else is reported "not run here: needs <runner label>",
never as a pass; --require-all turns "not run" into a failure (for per-OS CI jobs).`,
    options: { ...config, ...json, ...targetFlag, dist: { type: "string" }, "require-all": { type: "boolean" } },
    run: async (io, v) => (await import("./commands/smoke.ts")).runSmokeCommand(io, v),
  },
};

export function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return `Usage: ${TOOL_NAME} <command> [options]   (in a project: bun verify <command>)

Build a Bun CLI for every target, hash it, prove parity, validate every binary.

Commands:
${lines.join("\n")}

Run \`${TOOL_NAME} <command> --help\` for a command's options.
Exit codes: 0 all good, 1 a check failed, 2 bad usage or input.
`;
}

function commandHelp(name: string, command: Command): string {
  return `Usage: ${TOOL_NAME} ${command.usage}\n\n${command.summary}.\n\n${command.details}\n`;
}

export async function main(argv: string[], io: Io): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    const topic = name === "help" ? rest[0] : undefined;
    const command = topic ? COMMANDS[topic] : undefined;
    io.stdout.write(command ? commandHelp(topic!, command) : usage());
    return 0;
  }
  if (name === "--version" || name === "-v" || name === "version") {
    io.stdout.write(`${TOOL_NAME} ${TOOL_VERSION}\n`);
    return 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    io.stderr.write(`error: unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  if (rest.includes("--help") || rest.includes("-h")) {
    io.stdout.write(commandHelp(name, command));
    return 0;
  }
  let values: Values;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({ args: rest, options: command.options, allowPositionals: command.positionals ?? false, strict: true }));
  } catch (error) {
    io.stderr.write(`error: ${(error as Error).message}\nUsage: ${TOOL_NAME} ${command.usage}\n`);
    return 2;
  }
  try {
    return await command.run(io, values, positionals);
  } catch (error) {
    return reportError(io, error);
  }
}

function reportError(io: Io, error: unknown): number {
  if (error instanceof UsageError) {
    io.stderr.write(`error: ${error.message}\n${error.fix ? `fix: ${error.fix}\n` : ""}`);
    return 2;
  }
  if (error instanceof CheckFailed) {
    io.stderr.write(`failed: ${error.message}\n`);
    return 1;
  }
  io.stderr.write(`internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\nPlease report this with the command you ran.\n`);
  return 1;
}

const isEntry = (import.meta as { main?: boolean }).main ?? (process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href);
if (isEntry) {
  const code = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, cwd: process.cwd(), env: process.env });
  process.exitCode = code;
}
