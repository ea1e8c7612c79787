// What to do about each cause explain finds, one hint per kind of leak (docs/parity.md lists them).

export const HINTS = {
  outfile:
    "The --outfile basename is embedded as the entry module's name (/$bunfs/root/<name>; B:/~BUN/root/<name> for Windows targets). Build with one fixed --outfile basename on every machine (e.g. --outfile=dist/<target>/app) and rename the file afterwards.",
  absolutePath:
    "Bun inlines __dirname/__filename as the build machine's absolute source directory (oven-sh/bun PR #29066). Build from the same absolute path on both sides (e.g. a fixed directory in the container), or use import.meta.dir, which resolves to /$bunfs/root.",
  nodeEnv:
    "process.env.NODE_ENV is inlined from the environment of the machine that runs `bun build` (default \"development\"). Set it explicitly for every build: NODE_ENV=production bun build --compile ..., or --define process.env.NODE_ENV='\"production\"'.",
  env: "--env=inline or --env=PREFIX_* inlines process.env values at build time. Give both builds the same value, or stop inlining it (--env=disable, the default).",
  constant:
    "Give both builds the same constants: pin NODE_ENV (targets.json build.env), the same --define values (targets.json build.define), and the same values for inlined variables (build.inlineEnv). With both manifest.json files, bun verify explain --manifest names the one that differed.",
  buildValue: "A --define'd build-time value (git SHA, timestamp) differs. Derive it from the commit (e.g. SOURCE_DATE_EPOCH, the commit SHA) rather than the clock, or leave it out of the binary.",
  cjs:
    'A file is bundled as CommonJS in one build and as ESM in the other. Bun follows package.json "type" (a missing package.json, or "type": "commonjs", wraps .js files that use require/module in __commonJS). Commit package.json with an explicit "type" and make sure both builds see it.',
  dependency:
    "The bundle contains different code from node_modules. Install from the committed lockfile on both sides (bun install --frozen-lockfile / npm ci) and compare the lockfiles.",
  runtime:
    "Both builds must embed the same Bun runtime: pin bun in package.json and pass the same checksummed runtime with --compile-executable-path.",
  signature:
    "The code and the module graph are identical; only the Mach-O code signature differs. One file was re-signed (codesign, rcodesign) or signed differently. Compare the artifacts before signing, or sign both the same way (an ad-hoc signature without a timestamp is deterministic).",
  graphMissing:
    "A compiled executable carries its app in Bun's .bun section. `strip` removes it (the binary then runs as plain bun). Compare the files `bun build --compile` wrote, and never strip them.",
  source: "The bundled sources differ: the two builds saw different input files. Compare the checkouts (git status, generated files) of both builds.",
  bytecode: "Bun before 1.4.1 writes different --bytecode output on every build, so no two builds are identical. Pin Bun 1.4.1 or later, or build without bytecode (targets.json build.bytecode false).",
};
