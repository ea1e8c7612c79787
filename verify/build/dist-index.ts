// The dist folder's index while a build runs: the targets and archives SHA256SUMS and
// manifest.json list, rewritten atomically (writeDistIndex) after every target so an interrupted
// build leaves only complete, matching files listed. Kept apart from the compile steps that feed it.
import { existsSync } from "node:fs";
import path from "node:path";
import { type Manifest, type ManifestArchive, type ManifestTarget, writeDistIndex } from "../digest/index.ts";
import type { BuildPlan } from "../plan/index.ts";
import { TOOL_NAME, TOOL_VERSION } from "../version.ts";

export class DistIndex {
  /** What is listed, by target id. Entries of targets outside this run stay (a `--target` build touches only its own). */
  readonly entries = new Map<string, ManifestTarget>();
  /**
   * The archives listed before this build whose files are there, read once instead of on every
   * index write; unlist() drops those of the targets the build replaces.
   */
  private archives: ManifestArchive[];
  private writes: Promise<void> = Promise.resolve();
  private waiting: Promise<void> | undefined;

  constructor(private readonly plan: BuildPlan, previous: Manifest | undefined) {
    for (const entry of previous?.targets ?? []) {
      if (existsSync(path.join(plan.outDir, entry.file))) this.entries.set(entry.id, entry);
    }
    this.archives = (previous?.archives ?? []).filter((a) => existsSync(path.join(plan.outDir, a.file)));
  }

  /**
   * Unlists targets about to be replaced. An archive stays listed only while the executable it
   * holds does; a rebuilt target's archives stay unlisted, even when it is rebuilt to the same
   * bytes, until `bun verify package` runs again.
   */
  unlist(ids: string[]): void {
    for (const id of ids) this.entries.delete(id);
    this.archives = this.archives.filter((a) => this.entries.get(a.target)?.sha256 === a.executableSha256);
  }

  /**
   * Index writes are serialized; each one lists only files that are complete and match. A write
   * asked for while another one waits to start is that one: it reads the entries when it starts,
   * so targets that finish together cost one write.
   */
  write(): Promise<void> {
    if (this.waiting) return this.waiting;
    const next = this.writes.then(() => {
      this.waiting = undefined;
      return writeDistIndex(this.plan.outDir, this.manifest());
    });
    this.waiting = next;
    this.writes = next;
    return next;
  }

  /** Waits for the writes under way, then writes the final index once more. */
  async flush(): Promise<void> {
    await this.writes;
    await this.write();
    await this.writes;
  }

  private manifest(): Manifest {
    return {
      schemaVersion: 1,
      tool: { name: TOOL_NAME, version: TOOL_VERSION },
      bun: this.plan.bunVersion,
      name: this.plan.name,
      inputDigest: "",
      targets: [...this.entries.values()],
      archives: this.archives,
    };
  }
}
