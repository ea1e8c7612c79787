// binary/: pure readers of the executables Bun writes: ELF, PE and Mach-O (with the macOS code
// signature: verify and sign ad hoc), a map of every byte region, and Bun's embedded module graph.
// In: bytes. Out: BinaryLayout, BunModuleGraph, BunVersion, SignatureCheck. Used by build (signature
// repair), explain, validate and security.

export { GRAPH_CHANGES } from "./bun-graph-layout.ts";
export { type BunVersion, readBunVersion } from "./bun-version.ts";
export { BUN_GRAPH_TRAILER, type BunModuleGraph, displayName, readBunModuleGraph, zeroGraphPadding } from "./bunfs.ts";
export type { BunModule } from "./bunfs-module.ts";
export { type BinaryFormat, type BinaryLayout, type ByteRange, describeFirstBytes, detectFormat, readLayout, type Region, regionAt, type RegionKind, sniffFormat } from "./format.ts";
export { signAdhoc } from "./macho-sign.ts";
export { type SignatureCheck, verifyCodeSignature } from "./macho-verify.ts";
export { compareRuntime, libcOf, type RuntimeVariant, runtimeVariants } from "./runtime-variant.ts";
