// init/: `bun-parity init` adds bun-parity to an existing Bun CLI project: import/ reads the build
// the project already has (scripts, justfile, Makefile, workflows, build scripts) without running
// it; files.ts decides what to write from that.
// In: the project's files (through a reader). Out: BuildImport, the FileActions to write.

export { type FileAction, type InitDecisions, planInit } from "./files.ts";
export { type BuildImport, type BunVersionChoice, bunVersionClaims, chooseBunVersion, importBuild, type ImportNote, type ImportReader } from "./import/index.ts";
