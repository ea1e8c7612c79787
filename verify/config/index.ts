// config/: targets.json in, a validated, typed Config out (the first stage). Every rejection
// names the file, the JSON path, what was expected and what to do.
// In: the path or text of targets.json. Out: Config (targets, build options, smoke cases).

export { type ArchiveOptions, type BuildOptions, checkEntrypointExists, type Config, ENTRY_EXTENSIONS, loadConfig, type MinifyOptions, parseConfig, type ParseOptions, type PrepareStep, selectTargets, type SmokeCase, type SmokeNormalization, type SourcemapKind, type Target, type WindowsOptions } from "./config.ts";
