// The command table: each command's summary, usage, --help text, options and the file that runs
// it (loaded on demand, so --help and --version stay fast). Kept apart from main.ts so the table
// reads as the command line's documentation, and adding a command touches only this file.
import type { ParseArgsConfig } from "node:util";
import type { Io } from "../io.ts";
import type { PathKind } from "../paths.ts";

/** parseArgs' option table of one command. */
export type Options = NonNullable<ParseArgsConfig["options"]>;
// parseArgs checks each value against the command's options; run() reads them with that shape.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Values = Record<string, any>;

export interface Command {
  summary: string;
  usage: string;
  details: string;
  options: Options;
  /** Flags that name paths: checked before the command runs (see paths.ts). */
  paths?: Record<string, PathKind>;
  positionals?: boolean;
  run(io: Io, values: Values, positionals: string[]): Promise<number>;
}

const config = { config: { type: "string" } } as const satisfies Options;
const json = { json: { type: "boolean" } } as const satisfies Options;
const targetFlag = { target: { type: "string", multiple: true } } as const satisfies Options;
const configPath = { config: "input-file" } as const satisfies Record<string, PathKind>;

export const COMMANDS: Record<string, Command> = {
  build: {
    summary: "Compile every target in targets.json; write SHA256SUMS and manifest.json",
    usage: "build [--target id ...] [--out dir] [--force] [--jobs n] [--json] [--config file]",
    details: `Runs build.prepare (the project's pre-build commands) once, then the plan (see \`plan\`) in
parallel, one compile per core (--jobs n: n compiles at a time; a finished target is checked,
re-signed and hashed while the next ones compile). Each executable is written to a private staging folder and renamed
into place (mode 0755, whatever the umask); SHA256SUMS stops listing the targets about to be rebuilt
before any compile, and SHA256SUMS and manifest.json are rewritten atomically after every target, so
they never list a file that does not match. Each manifest entry records a build fingerprint (what
\`explain\` compares). Targets whose inputs are unchanged are reused after their hash is checked: the
modules Bun bundled, the package.json/tsconfig files on their resolution path and what they extend,
lockfiles, bunfig.toml, .env files, the variables --env can inline, the folder listings an import
could resolve differently in, targets.json, the Bun version and runtime digest (the full list:
docs/build.md); --force rebuilds them. Foreign runtimes come from the pinned toolchain (see
\`toolchain\`). A failed target prints its compiler output and makes the command exit 1; the other
targets still finish.`,
    options: { ...config, ...json, ...targetFlag, out: { type: "string" }, force: { type: "boolean" }, jobs: { type: "string" } },
    paths: { ...configPath, out: "output-folder" },
    run: async (io, v) => (await import("./build.ts")).runBuildCommand(io, v),
  },
  plan: {
    summary: "Print the exact bun argv and environment per target (nothing is run)",
    usage: "plan [--target id ...] [--out dir] [--json] [--config file]",
    details: `The plan is computed from targets.json and the pinned Bun: a fixed internal output name (Bun
embeds it as /$bunfs/root/<name>) renamed to <name>-<id>[.exe], NODE_ENV pinned, BUN_* variables
removed, .env/bunfig autoload off unless targets.json turns it on, and the runtime passed with
--compile-executable-path. Only flags the pinned Bun has are sent (Bun ignores unknown flags): with
Bun 1.2.0 to 1.3.5 the runtime goes through a private BUN_INSTALL_CACHE_DIR instead, and what that
Bun cannot do (e.g. turn off .env autoloading before 1.3.3) is printed as a warning. Bun older than
1.2.0 or newer than 1.x is refused (docs/build.md, "Supported Bun versions").`,
    options: { ...config, ...json, ...targetFlag, out: { type: "string" } },
    paths: { ...configPath, out: "output-folder" },
    run: async (io, v) => (await import("./plan.ts")).runPlan(io, v),
  },
  toolchain: {
    summary: "Show, fetch (--fetch) or re-pin (--update) the Bun target runtimes",
    usage: "toolchain [--update | --fetch] [--json] [--config file]",
    details: `Target runtimes are the @oven/bun-<os>-<arch> npm packages of the pinned Bun version, fetched with
\`npm pack\` (your registry, mirror and proxy settings apply), checked against bun-runtimes.lock.json
(sha256 of each executable, npm integrity of each tarball) and cached in $BUN_PARITY_CACHE_DIR
(default ~/.cache/bun-parity). --update fetches them and rewrites the lock (commit it);
--fetch fills the cache so later builds work offline, and checks every digest. The pinned Bun may be
any version from 1.2.0 to the newest 1.x ($BUN_PARITY_BUN, else node_modules/bun, else bun on PATH).`,
    options: { ...config, ...json, update: { type: "boolean" }, fetch: { type: "boolean" } },
    paths: configPath,
    run: async (io, v) => (await import("./toolchain.ts")).runToolchain(io, v),
  },
  package: {
    summary: "Wrap each built executable into a reproducible <name>-<version>-<target>.tar.gz (.zip for Windows)",
    usage: "package [--target id ...] [--json] [--config file]",
    details: `Writes <name>-<version>-<target>.tar.gz per target (and .zip for Windows targets when
archives.windowsZip is set) into archives.outDir (default: the output folder): a top folder
<name>-<version>-<target>/ holding the executable (<name> or <name>.exe) and archives.files.
Bit-for-bit reproducible: sorted entries, every entry dated SOURCE_DATE_EPOCH (else the last git
commit time), owner 0/0, modes 0755/0644, gzip header without name or time, pure-JavaScript deflate
(the same bytes under Bun and Node, on x64 and arm64). The version is targets.json "version", else
package.json's. Needs a build first; an executable that no longer matches manifest.json is refused.
The archives are listed in SHA256SUMS and manifest.json "archives" (rebuilding a target unlists its
archives until the next package); parity and explain read them. See docs/archives.md.`,
    options: { ...config, ...json, ...targetFlag },
    paths: configPath,
    run: async (io, v) => (await import("./package.ts")).runPackage(io, v),
  },
  parity: {
    summary: "Prove the native build equals the reference bit for bit; explain every difference",
    usage: "parity [--reference dagger|clean-room|DIR|SHA256SUMS|manifest.json|URL] [--target id ...] [--json] [--markdown FILE] [--keep]",
    details: `The native side runs your own \`just build-all\` (or \`just build <id>\` per --target) and hashes the
output folder. The reference is one of:
  dagger        dagger call build-all export (needs the Dagger CLI and a container runtime)
  clean-room    your checkout recreated as a new git repository elsewhere: same HEAD, same staged,
                unstaged and untracked-not-ignored files; ignored files (.env*), node_modules and
                the output folder left out; your repository is not written to. Dependencies are
                installed by the project's own tool from its lockfile (npm ci, bun install
                --frozen-lockfile, pnpm install --frozen-lockfile, yarn --frozen-lockfile or
                --immutable; the version package.json "packageManager" pins, through npx when it
                is not on PATH), at the workspace root for a workspace package. Then the same
                \`just build-all\` runs with a different HOME, TMPDIR, TZ, LANG/LC_ALL, umask, PATH
                order and parallelism, CI-only variables unset (reprotest's variations). The
                report names the commit ("<sha> (branch main) with uncommitted changes: ...").
                Not a git checkout, no lockfile, or targets.json ignored by git: exit 2 before
                building, with the fix.
  DIR           a folder of artifacts (every file is hashed; its own SHA256SUMS is not trusted)
  FILE or URL   a SHA256SUMS or manifest.json, local or https (e.g. a release asset)
Default: dagger when a working dagger CLI is found, else clean-room; the report says which.
Each target is identical, differs, or missing on one side; reference files no target accounts
for are "extra in reference"; the same bytes with other permission bits are "mode differs". Every
differing pair with bytes on both sides is explained (see \`explain\`), with the build
fingerprints of both output folders' manifest.json as evidence. Exit 0 only when every selected target is identical. --markdown writes the
report as Markdown (on GitHub Actions it goes to the job summary by default); --keep keeps the
clean-room or dagger folder.`,
    options: { ...config, ...json, ...targetFlag, reference: { type: "string" }, markdown: { type: "string" }, keep: { type: "boolean" } },
    paths: { ...configPath, markdown: "output-file" },
    run: async (io, v) => (await import("./parity.ts")).runParity(io, v),
  },
  explain: {
    summary: "Say why two executables differ (format sections, Bun's embedded module graph, causes)",
    usage: "explain A B [--manifest A.json] [--manifest B.json] [--json]",
    details: `Works on any two executables (ELF, PE, Mach-O; any OS, also from other tools). Maps every
differing byte range to the section it falls in (header, code, Bun's embedded module graph, code
signature, overlay), reads Bun's embedded module graph from both files and diffs the embedded
sources, and names the cause with a hint: output basename embedded, absolute build path leaked
(__dirname/__filename), NODE_ENV or another process.env value inlined, CommonJS wrapper vs ESM,
different dependency versions, a different Bun runtime, only the code signature, different
compile flags (minify, bytecode, exec argv, sourcemap).
Evidence: manifest.json records per target a build fingerprint (Bun, compiler arguments, the
sha256 of every input file and of every variable the compiler could inline, never their values).
With the fingerprints of both files (--manifest, or the manifest.json next to each file, whose
entry has the file's sha256), explain names the input or setting that differed ("index.ts
differs"; "same inputs; NODE_ENV production vs development"). Without them, every cause is read
from the bytes and marked "likely", with the evidence that suggests it. Exit codes follow diff:
0 identical, 1 different, 2 unreadable input.`,
    options: { ...json, manifest: { type: "string", multiple: true } },
    paths: { manifest: "input-file" },
    positionals: true,
    run: async (io, v, files) => (await import("./explain.ts")).runExplain(io, v, files),
  },
  ci: {
    summary: "Write (--write) or check (--check) the GitHub workflow against targets.json; verdicts from result files (--summary, --release-check, --verdict)",
    usage: "ci [--write | --check | --summary --target id --results DIR | --release-check --results DIR | --verdict] [--workflow file] [--markdown FILE] [--json] [--config file]",
    details: `Generated from targets.json, between "# bun-parity:<block>:begin" and ":end" lines: the validate job's
matrix (target, runner, file per target) and build-all's upload steps (one artifact per target).
Without a mode, prints the matrix block.
  --write          rewrites only the lines between the markers from targets.json; with no workflow yet,
                   writes the starter workflow (Dagger jobs test, lint, security-scan, build-all; one
                   validate job per target; the test suite on macOS and Windows when the justfile has a
                   test recipe; a verdict job; a release job on v* tags). Atomic. A dagger.json that
                   cannot be read is an error (its engineVersion is the Dagger CLI version).
  --check          fails (exit 1) when a block and targets.json disagree, naming each target and field;
                   checks that run steps call only dagger, just, bun verify, npm ci, gh release or
                   well-known shell commands, that every needed job exists and every downloaded artifact
                   is uploaded by a job it needs, and that actions are pinned by commit SHA; runs
                   actionlint on every workflow, with the runner labels of .github/actionlint.yaml.
  --summary        in a validate job: the verdict of each check read from the result file its step wrote
                   (--results DIR: DIR/<target>/{inspect,smoke,parity}.json, from --json=FILE), plus
                   RUNNER_OS/RUNNER_ARCH; a missing file is "not run", never a pass. Job summary (or
                   --markdown FILE) and an annotation per failed check; exit 1 unless every check passed.
  --release-check  before a release: every target's smoke and parity passed, from the same files.
  --verdict        the verdict job: every job in $BUN_PARITY_NEEDS (toJSON(needs)) succeeded.
See docs/ci.md.`,
    options: { ...config, ...json, ...targetFlag, write: { type: "boolean" }, check: { type: "boolean" }, summary: { type: "boolean" }, verdict: { type: "boolean" }, "release-check": { type: "boolean" }, results: { type: "string" }, workflow: { type: "string" }, markdown: { type: "string" } },
    // --workflow may not exist yet (--write creates it), but it is never a folder.
    paths: { ...configPath, workflow: "output-file", markdown: "output-file" },
    run: async (io, v) => (await import("./ci.ts")).runCi(io, v),
  },
  init: {
    summary: "Add bun-parity to an existing Bun CLI project, importing the build it already has",
    usage: "init [--targets id,id,...] [--entry file] [--name name] [--bun version] [--dry-run] [--force] [--no-pin] [--json]",
    details: `Run in the project root. Reads every place the project already compiles, without running it:
package.json scripts (and the scripts, files, just recipes and make targets they run), justfile /
Justfile / .justfile, Makefile, shell scripts, TypeScript/JavaScript build scripts that spawn
\`bun build --compile\` or call Bun.build({ compile }), and .github/workflows/*.yml run steps.
From the compile that builds the most targets it imports the entry, targets (-baseline, -modern,
-musl), minify, sourcemap, bytecode, format, external, defines (a package.json version becomes
{"packageJson": "version"}, read at build time), --env, autoload, exec argv, Windows options,
other flags (build.args), and the steps before it whose output is the entry (build.prepare).
Prints every imported item with file:line, and what it could not import and why.
A package.json bin is used only when it is a JavaScript/TypeScript module; a launcher is followed
to the module it imports, or refused naming --entry. The Bun version comes from the project
(lockfile, devDependency, .bun-version, packageManager, .tool-versions, mise.toml, setup-bun in a
workflow, engines.bun); ours is proposed only when it states none; --bun chooses another. A Bun
outside 1.2.0 to the newest 1.x is refused with exit 2.
Writes targets.json, pins the target runtimes (bun-runtimes.lock.json, like toolchain --update;
--no-pin skips it), adds bun (exact), rust-just, bun-parity and the "verify" script to
package.json, extends the justfile just uses (or creates one) with build, build-all, parity, smoke
and inspect, ignores the output folder, writes .github/workflows/bun-parity.yml (your workflows
are left alone) and a dagger.json blueprint. Smoke cases: the source is run with --version, --help
and no arguments; each that exits 0 with output becomes a compare: "source" case. A generated
entry is made by running build.prepare first; when it still does not exist, a "Building:" line
says the build will stop there, and how to fix it.
A file you changed is never overwritten without --force; --dry-run prints everything, including
the targets.json, and writes nothing; running it twice changes nothing.`,
    options: { ...json, targets: { type: "string" }, entry: { type: "string" }, name: { type: "string" }, force: { type: "boolean" }, "dry-run": { type: "boolean" }, "no-pin": { type: "boolean" }, "no-probe": { type: "boolean" }, bun: { type: "string" } },
    paths: { entry: "input-file" },
    run: async (io, v) => (await import("./init.ts")).runInit(io, v),
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
invalid one fails with the fix: bun verify sign --adhoc); an ELF or Mach-O file nobody may execute
fails (chmod 0755); the embedded Bun version, entry point and module count. Exit 1 when any
artifact fails; 2 when a path is not a file (or the output folder not a folder).`,
    options: { ...config, ...json, ...targetFlag, dist: { type: "string" } },
    paths: { ...configPath, dist: "input-folder" },
    positionals: true,
    run: async (io, v, files) => (await import("./inspect.ts")).runInspect(io, v, files),
  },
  security: {
    summary: "Scan sources and artifacts for secrets and leaks, check the supply chain, audit, write SBOMs and provenance",
    usage: "security [FILE ...] [--dist dir] [--strict] [--json] [--markdown FILE] [--config file]",
    details: `What the artifact checks read: the output folder's manifest.json (default), or --dist DIR, or the
executables named as FILE arguments. A folder without manifest.json is scanned too: the executables
its SHA256SUMS lists (each digest checked), else every ELF, PE or Mach-O file in it, hashed; without
manifest.json the SBOM and provenance are not run (the bundled packages and build inputs are unknown).
A folder or file named that cannot be scanned (missing, empty, not an executable) is exit 2.
Six checks, each passed, failed or not run (with the reason):
  secrets in sources     secretlint's recommended preset over the tracked and unignored files
  artifact leaks         the same rules over every module Bun embedded in each executable of
                         manifest.json (and the original sources of an embedded sourcemap), plus the
                         build machine's paths (__dirname, home folders, CI workspaces), inlined
                         process.env values and bundled .env files; findings name artifact, module, line
  supply chain           artifacts built with the runtime digests bun-runtimes.lock.json pins, cached
                         runtimes unchanged; every lockfile package has an integrity hash and none
                         comes from git or a tarball URL outside the registry
  known vulnerabilities  npm audit; not run when the advisory service cannot be reached
  SBOM                   CycloneDX 1.6 per executable in <dist>/sbom/: the npm packages bundled into
                         it, with licenses and purls, and the Bun runtime with its digest
  provenance             an unsigned in-toto statement with a SLSA v1 provenance predicate per
                         executable in <dist>/attestations/ (bun verify parity adds a verification
                         summary); the workflow signs them, \`gh attestation verify\` checks them
Exit 1 when a check fails; --strict also fails on a check that did not run (use it in CI, so the
audit cannot be skipped silently). --markdown writes the report as Markdown (on GitHub Actions it
goes to the job summary by default). See docs/security.md.`,
    options: { ...config, ...json, dist: { type: "string" }, strict: { type: "boolean" }, markdown: { type: "string" } },
    positionals: true,
    paths: { ...configPath, dist: "input-folder", markdown: "output-file" },
    run: async (io, v, files) => (await import("./security.ts")).runSecurity(io, v, files),
  },
  sign: {
    summary: "Re-sign macOS executables ad hoc, on any OS (deterministic)",
    usage: "sign --adhoc FILE... [--identifier id] [--json]",
    details: `Writes a new ad-hoc code signature (SHA-256 CodeDirectory over the final bytes, an empty
requirement set, flags adhoc) in place of the old one, fixing the __LINKEDIT and LC_CODE_SIGNATURE
sizes: what \`codesign --force --sign -\` does on a Mac. The same input gives the same bytes.
The build does this by itself for darwin executables whose signature Bun left invalid (Bun 1.4.5
leaves darwin-x64 output with the runtime's stale signature); build.macosAdhocSign turns it off.
The identifier defaults to the old signature's identifier. The signed file is written atomically,
mode 0755.`,
    options: { ...json, adhoc: { type: "boolean" }, identifier: { type: "string" } },
    positionals: true,
    run: async (io, v, files) => (await import("./sign.ts")).runSign(io, v, files),
  },
  smoke: {
    summary: "Run the smoke cases on every artifact this host can execute",
    usage: "smoke [--target id ...] [--dist dir] [--require-all] [--json] [--config file]",
    details: `Each case from targets.json runs in a fresh temporary folder (a copy of its "cwd" folder, if
any) with its timeout, its "stdin" text (else a closed stdin) and only PATH from your environment;
exit code, stdout/stderr patterns and the "files" it must leave are checked, and a stack trace on
stderr fails a case that does not expect stderr output. On Linux the project folder is hidden from
the executable (a private mount namespace), as it is absent on users' machines: reads through
__dirname fail here too. A "compare": "source" case also runs \`bun <flags> <absolute entry>\` (the
compiler Bun; other targets on their pinned runtime through the same emulator) in its own temporary
folder, and exit code, stdout and stderr must be the same after replacing each run's own paths,
names and folder and Bun's error source lines ("normalize", "ignore"); a mismatch shows the exit
codes and the first differing line of each stream. A case that checks only an exit code passes
with a warning: an executable that prints nothing would pass it. Duration and peak memory are
recorded. The host's own target runs natively; other Linux architectures run under qemu-user with
the target's sysroot (qemu-aarch64-static -L /usr/aarch64-linux-gnu; Debian packages
qemu-user-static and libc6-arm64-cross); musl targets run when the musl loader is installed; Apple
silicon runs darwin-x64 under Rosetta. Everything else, source side included, is reported "not run
here: needs <runner label>", never as a pass; --require-all turns "not run" into a failure (for
per-OS CI jobs). An executable without the x bit (archives and artifact uploads may drop it) is
refused with exit 2 and the chmod. Fields: docs/targets.md; details: docs/validate.md.`,
    options: { ...config, ...json, ...targetFlag, dist: { type: "string" }, "require-all": { type: "boolean" } },
    paths: { ...configPath, dist: "input-folder" },
    run: async (io, v) => (await import("./smoke.ts")).runSmokeCommand(io, v),
  },
  report: {
    summary: "Merge --json=FILE results into a Markdown summary and one self-contained HTML page",
    usage: "report RESULT.json|DIR ... [--html FILE] [--markdown FILE] [--compare OLD.json] [--json]",
    details: `Every command writes its result with --json=FILE (the command, tool version, time and result
sections). report merges any number of them (files, or folders of *.json) into one grid of targets
x checks: built, hashed, parity, inspect, smoke, security; every cell that is not a pass says why
("not run here: needs macos-15", the smoke case that failed, the explanation of a mismatch). It
prints the grid, writes Markdown (--markdown FILE; on GitHub Actions the job summary by default)
and, with --html FILE, one HTML page that needs no network: the grid, artifact sizes against their
targets.json budgets (maxBytes) and build times as charts, and the explain output of every
mismatch. --compare OLD.json (an earlier result or report JSON) adds size and time changes per
target. Exit 0 only when every merged result exited 0, no check failed, no size budget is
exceeded and no reference file is extra; 1 otherwise (a result that crashed or refused its input
counts, even without sections).`,
    options: { ...json, html: { type: "string" }, markdown: { type: "string" }, compare: { type: "string" } },
    paths: { html: "output-file", markdown: "output-file", compare: "input-file" },
    positionals: true,
    run: async (io, v, files) => (await import("./report.ts")).runReport(io, v, files),
  },
};
