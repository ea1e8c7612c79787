// package/: release archives: reproducible .tar.gz and .zip writers, and readers that validate
// every entry before anything inside is used (parity and explain open archives through them).
// In: built executables (+ archives.files). Out: archives listed in SHA256SUMS and manifest.json.

export { archiveFileName, type ArchiveFormat, archiveFormatOf, type ArchiveInput, archiveStem, DIRECTORY_MODE, EXECUTABLE_MODE, FILE_MODE, writeArchive } from "./archive.ts";
export { listArchive, readArchivedExecutable } from "./archive-read.ts";
