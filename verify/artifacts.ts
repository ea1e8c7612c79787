// Find the executables of a dist folder: from its manifest.json when there is one, else by
// the names the build gives them (<name>-<id>[.exe]).
import { existsSync } from "node:fs";
import path from "node:path";
import type { Config, Target } from "./config.ts";
import { MANIFEST_FILE, type ManifestTarget, readManifest } from "./digest.ts";

export interface Artifact {
  target: Target;
  file: string;
  exists: boolean;
  /** The manifest entry, when the folder has a manifest that lists the target. */
  entry?: ManifestTarget;
}

export async function artifactsIn(distDir: string, config: Config, targets: Target[]): Promise<Artifact[]> {
  const manifest = await readManifest(path.join(distDir, MANIFEST_FILE));
  return targets.map((target) => {
    const entry = manifest?.targets.find((t) => t.id === target.id);
    const name = entry?.file ?? `${config.name}-${target.id}${target.os === "windows" ? ".exe" : ""}`;
    const file = path.join(distDir, name);
    const artifact: Artifact = { target, file, exists: existsSync(file) };
    if (entry) artifact.entry = entry;
    return artifact;
  });
}
