// config/: targets.json in, a validated, typed Config out (the first stage). Every rejection
// names the file, the JSON path, what was expected and what to do. config.ts loads and checks
// the whole file; targets.ts, smoke.ts and build-options.ts check their part; json-location.ts and
// schema-errors.ts say where and what went wrong; types.ts holds the Config types.
// In: the path or text of targets.json. Out: Config (targets, build options, smoke cases).

export { checkEntrypointExists, ENTRY_EXTENSIONS, loadConfig, parseConfig, selectTargets } from "./config.ts";
export type { ArchiveOptions, BuildOptions, Config, MinifyOptions, ParseOptions, PrepareStep, SmokeCase, SmokeNormalization, SourcemapKind, Target, WindowsOptions } from "./types.ts";
