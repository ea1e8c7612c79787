// `bun-parity init`: add bun-parity to an existing Bun CLI project (see verify/init.ts).
import { existsSync, readFileSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { starterWorkflow } from "../ci.ts";
import { parseConfig } from "../config.ts";
import { stableJson, writeFileAtomic } from "../digest.ts";
import { type FileAction, planInit } from "../init.ts";
import { PINNED_VERSIONS, TOOL_VERSION } from "../version.ts";
import { checkPath } from "../paths.ts";
import type { Io } from "./context.ts";

export interface InitFlags {
  targets?: string;
  entry?: string;
  name?: string;
  force?: boolean;
  "dry-run"?: boolean;
  json?: boolean;
}

const LOOKED_AT = ["package.json", "targets.json", "justfile", "Justfile", ".gitignore", "dagger.json", ".github/workflows/bun-parity.yml"];

export async function runInit(io: Io, flags: InitFlags): Promise<number> {
  const root = io.cwd;
  const files = new Map<string, string>();
  for (const file of LOOKED_AT) {
    const abs = path.join(root, file);
    if (existsSync(abs)) files.set(file, readFileSync(checkPath(root, file, "input-file", { what: "init reads", fix: `Move ${file} out of the way: init expects it to be a file.`, allowEmpty: true }), "utf8"));
  }
  const options: Parameters<typeof planInit>[1] = {
    versions: { ...PINNED_VERSIONS, bunParity: TOOL_VERSION },
  };
  if (flags.targets) options.targets = flags.targets.split(",").map((t) => t.trim()).filter(Boolean);
  if (flags.entry) options.entry = flags.entry;
  if (flags.name) options.name = flags.name;
  if (flags.force) options.force = true;
  // The workflow is generated from the targets.json init writes (or keeps), like `bun verify ci --write`.
  options.workflow = (targetsJson) =>
    starterWorkflow(parseConfig(targetsJson, path.join(root, "targets.json"), { bunVersion: PINNED_VERSIONS.bun }), {
      daggerVersion: PINNED_VERSIONS.daggerEngine,
    });
  const { actions, entry, name } = planInit({ files, exists: (rel) => existsSync(path.join(root, rel)) }, options);

  const dryRun = Boolean(flags["dry-run"]);
  if (!dryRun) {
    for (const action of actions.filter((a) => a.kind === "create" || a.kind === "update")) {
      const abs = path.join(root, action.file);
      await mkdir(path.dirname(abs), { recursive: true });
      await writeFileAtomic(abs, action.content!);
    }
  }
  if (flags.json) {
    io.stdout.write(stableJson({ dryRun, entry, name, actions: actions.map(({ content: _content, ...rest }) => rest) }));
    return 0;
  }
  io.stdout.write(formatInit(actions, { dryRun, entry, name }));
  return 0;
}

const VERB: Record<FileAction["kind"], [string, string]> = {
  create: ["created", "would create"],
  update: ["updated", "would update"],
  unchanged: ["unchanged", "unchanged"],
  kept: ["kept", "kept"],
};

export function formatInit(actions: FileAction[], info: { dryRun: boolean; entry: string; name: string }): string {
  let out = `${info.dryRun ? "Dry run: nothing written.\n" : ""}bun-parity init: ${info.name} from ${info.entry}\n\n`;
  const width = Math.max(...actions.map((a) => a.file.length));
  for (const a of actions) out += `  ${VERB[a.kind][info.dryRun ? 1 : 0].padEnd(12)} ${a.file.padEnd(width)}  ${a.why}\n`;
  const changed = actions.some((a) => a.kind === "create" || a.kind === "update");
  if (!changed) return out + "\nNothing to do: the project is already set up.\n";
  out += `
Next:
  npm install                          # bun, just and bun-parity at the pinned versions
  npx bun verify toolchain --update    # pin the target runtimes; commit bun-runtimes.lock.json
  just build-all && npx bun verify parity
  (edit the smoke cases in targets.json to what your CLI prints)
`;
  return out;
}
