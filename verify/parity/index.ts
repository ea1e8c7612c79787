// parity/: compare the native artifacts with a reference, bit for bit: a folder, SHA256SUMS or
// manifest.json (local or https), or a clean-room rebuild (git snapshot of the checkout, the
// project's own package manager, a varied environment).
// In: two sides (file -> sha256, with the files when they are here). Out: ParityRow per artifact,
// ParityReport for a whole run.

export { binFolders, type CleanRoom, prepareCleanRoom } from "./clean-room.ts";
export { type ArchivedFile, compareSides, parityPassed, type ParityRow, type Side, type SideFile, sideFromFolder, sideFromListing, targetFileOfArchive, type Verdict } from "./compare.ts";
export { describeCheckout } from "./git-snapshot.ts";
export { chooseInstallTool, type PackageManager } from "./package-manager.ts";
export type { CleanRoomCheckout, ParityReport, ReferenceInfo, ValidationSummary } from "./report.ts";
