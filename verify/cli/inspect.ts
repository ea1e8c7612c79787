// `bun verify inspect`: what each artifact really is, checked against what it claims to be.
import path from "node:path";
import { type Config, selectTargets } from "../config/index.ts";
import { stableJson } from "../digest/index.ts";
import { CheckFailed } from "../errors.ts";
import { type InspectFacts, claimFromName, type InspectItem, distItems, inspectItems } from "../validate/index.ts";
import { annotate } from "../telemetry/index.ts";
import { checkPath } from "../paths.ts";
import { formatBytes, formatTable } from "../report/index.ts";
import { findConfigFile, loadProject } from "../toolchain/index.ts";
import type { Io } from "../io.ts";

export interface InspectFlags {
  config?: string;
  target?: string[];
  dist?: string;
  json?: boolean;
}

export async function runInspect(io: Io, flags: InspectFlags, files: string[]): Promise<number> {
  const config = await optionalConfig(io, flags, files.length > 0);
  let items: InspectItem[];
  if (files.length > 0) {
    items = files.map((f) => {
      const file = checkPath(io.cwd, f, "input-file", {
        what: "inspect",
        fix: "Pass built executables (files), or no files to inspect the output folder (--dist <folder> for another one).",
      });
      const claim = claimFromName(file, config?.targets ?? [], config?.name);
      return claim ? { file, claim } : { file };
    });
  } else {
    const distDir = flags.dist ? path.resolve(io.cwd, flags.dist) : config!.outDir;
    items = await distItems(distDir, config!, selectTargets(config!, flags.target));
  }
  const results = await inspectItems(items, io.cwd);

  if (flags.json) io.stdout.write(stableJson(results));
  else io.stdout.write(formatInspect(results));
  for (const r of results.filter((x) => !x.ok)) annotate(io, "error", `inspect ${path.basename(r.file)}`, r.problems.join("; "), r.file);
  const bad = results.filter((r) => !r.ok);
  if (bad.length > 0) throw new CheckFailed(`${bad.length} of ${results.length} artifacts failed inspection`);
  return 0;
}

async function optionalConfig(io: Io, flags: InspectFlags, filesGiven: boolean): Promise<Config | undefined> {
  // Files can be inspected anywhere; a project's targets.json only adds what their names claim.
  if (filesGiven && !flags.config) {
    try {
      findConfigFile(io);
    } catch {
      return undefined;
    }
  }
  return (await loadProject(io, flags.config)).config;
}

function linkage(r: InspectFacts): string {
  if (r.elf) return r.elf.static ? "static" : `${r.elf.libc}${r.elf.minimumGlibc ? ` >= ${r.elf.minimumGlibc}` : ""}`;
  if (r.pe) return `${r.pe.subsystem}, ${r.pe.authenticode ? "Authenticode" : "unsigned"}`;
  if (r.macho) return `signature ${r.macho.signature}${r.macho.adhoc ? " (ad hoc)" : ""}`;
  return "";
}

export function formatInspect(results: InspectFacts[]): string {
  let out = formatTable(
    ["file", "format", "os/arch", "claims", "linkage / signature", "bun", "size", "result"],
    results.map((r) => [
      path.basename(r.file),
      r.format,
      `${r.os}/${r.arch}`,
      r.claim ? `${r.claim.os ?? "?"}/${r.claim.arch ?? "?"}${r.claim.libc === "musl" ? "/musl" : ""}` : "-",
      linkage(r),
      r.bun?.version ? `${r.bun.version}${r.bun.entryPoint ? ` ${r.bun.entryPoint}` : ""}` : "-",
      formatBytes(r.bytes),
      r.ok ? "ok" : "FAIL",
    ]),
  );
  for (const r of results) {
    for (const p of r.problems) out += `\n${path.basename(r.file)}: FAIL: ${p}`;
    for (const n of r.notes) out += `\n${path.basename(r.file)}: note: ${n}`;
  }
  return out + "\n";
}
