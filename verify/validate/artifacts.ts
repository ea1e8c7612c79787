// Find the executables of a dist folder: from its manifest.json when there is one, else by
// the names the build gives them (<name>-<id>[.exe]).
import { existsSync } from "node:fs";
import path from "node:path";
import type { Config, Target } from "../config/index.ts";
import { MANIFEST_FILE, type ManifestTarget, readManifest } from "../digest/index.ts";
import { UsageError } from "../errors.ts";
import { checkPath, describe, phrase } from "../paths.ts";

export interface Artifact {
  target: Target;
  file: string;
  exists: boolean;
  /** The manifest entry, when the folder has a manifest that lists the target. */
  entry?: ManifestTarget;
}

export async function artifactsIn(distDir: string, config: Config, targets: Target[]): Promise<Artifact[]> {
  checkPath(config.projectDir, distDir, "input-folder", { what: "the output folder", fix: "Build first (bun verify build), or pass --dist <the folder holding the executables>." });
  const manifest = await readManifest(path.join(distDir, MANIFEST_FILE));
  return targets.map((target) => {
    const entry = manifest?.targets.find((t) => t.id === target.id);
    const name = entry?.file ?? `${config.name}-${target.id}${target.os === "windows" ? ".exe" : ""}`;
    const file = path.join(distDir, name);
    const found = describe(file);
    if (found !== "missing" && found !== "file") {
      throw new UsageError(`${file}: is ${phrase(found)}; expected the ${target.id} executable`, `Remove it and rebuild: bun verify build --target ${target.id}`);
    }
    const artifact: Artifact = { target, file, exists: existsSync(file) };
    if (entry) artifact.entry = entry;
    return artifact;
  });
}
