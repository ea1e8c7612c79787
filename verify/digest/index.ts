// digest/: sha256 of files (hash.ts), SHA256SUMS in coreutils format (sums.ts), manifest.json
// (manifest.ts), file stamps (stamp.ts), and atomic writes and whole-file reads (files.ts). The
// build writes through it; parity, explain, validate and security read what it wrote.
// In: files of a dist folder. Out: FileDigest, SumEntry, Manifest (with each target's BuildFingerprint).

export { type FileDigest, hashFiles, HashPool, sha256Hex } from "./hash.ts";
export { formatSha256Sums, parseSha256Sums, type SumEntry, SUMS_FILE } from "./sums.ts";
export { type BuildFingerprint, combinedInputDigest, type Manifest, MANIFEST_FILE, type ManifestArchive, manifestJson, type ManifestTarget, parseManifest, readManifest, writeDistIndex } from "./manifest.ts";
export { EXECUTABLE_FILE_MODE, readWholeFile, ReusableFileBuffer, stableJson, writeFileAtomic } from "./files.ts";
export { type FileStamp, readStampBeside, stampMatches, stampOf, writeStampBeside } from "./stamp.ts";
