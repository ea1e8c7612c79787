// digest/: sha256 of files, SHA256SUMS (coreutils format), manifest.json, file stamps and atomic
// writes. The build writes through it; parity, explain, validate and security read what it wrote.
// In: files of a dist folder. Out: FileDigest, SumEntry, Manifest (with each target's BuildFingerprint).

export { type BuildFingerprint, combinedInputDigest, EXECUTABLE_FILE_MODE, type FileDigest, formatSha256Sums, hashFiles, HashPool, type Manifest, MANIFEST_FILE, type ManifestArchive, manifestJson, type ManifestTarget, parseManifest, parseSha256Sums, readManifest, readWholeFile, ReusableFileBuffer, sha256Hex, stableJson, type SumEntry, SUMS_FILE, writeDistIndex, writeFileAtomic } from "./digest.ts";
export { type FileStamp, readStampBeside, stampMatches, stampOf, writeStampBeside } from "./stamp.ts";
