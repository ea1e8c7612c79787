// What a parity run produces: the reference it compared with (and how the clean room was made),
// one row per artifact, and the validation of the native artifacts. The report, the provenance
// check (a SLSA verification summary per artifact) and `bun verify report` all read this shape.
import type { CleanRoom } from "./clean-room.ts";
import type { ParityRow } from "./compare.ts";

export interface ReferenceInfo {
  kind: "dagger" | "clean-room" | "folder" | "listing";
  location: string;
  /** Why this reference, when it was chosen by default. */
  chosenBecause?: string;
  command?: string;
  cleanRoom?: Pick<CleanRoom, "variations" | "notApplied" | "sharedCaches" | "projectDir"> & {
    checkout: CleanRoomCheckout;
    install: { tool: string; version?: string; lockfile: string; dir: string; command: string; how: string };
  };
}

/** What the clean room's git checkout is, relative to the user's. */
export interface CleanRoomCheckout {
  /** One line: "<sha> (branch main)" plus "with uncommitted changes: ..." when dirty. */
  description: string;
  head?: string;
  branch?: string;
  dirty: boolean;
  /** Tree of the files the clean room holds (git write-tree of the working state). */
  tree: string;
  changes: { status: string; path: string }[];
  /** Ignored files and folders of the user's checkout that the clean room does not have. */
  leftOut: string[];
  excluded: string[];
  shallow: boolean;
  submodules: { path: string; description: string }[];
}

export interface ValidationSummary {
  /** Native artifacts inspected; failures name the file and its problems. */
  inspect: { checked: number; failures: { file: string; problems: string[] }[] };
  /** Smoke cases on the native artifacts this host can run. */
  smoke: {
    passed: number; failed: { target: string; case: string; reason: string }[]; notRun: number;
    /** What the passes do not prove (cases that check only an exit code, ...). */
    warnings?: string[];
  };
}

export interface ParityReport {
  project: string;
  native: { command: string; distDir: string };
  reference: ReferenceInfo;
  rows: ParityRow[];
  validation: ValidationSummary;
  /** Every selected target identical, and the native artifacts pass inspect and smoke. */
  passed: boolean;
}
