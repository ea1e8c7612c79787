// Which Bun runtime an executable carries. Two executables can report the same Bun version
// and still embed different runtimes: the x64 "baseline" build (no AVX2) and the default
// one, musl and glibc, or a patched runtime. The runtime part of an executable is compared
// with the runtime packages Bun itself downloads (`@oven/bun-<os>-<arch>[-musl][-baseline]`).
// Pure; fetching the candidate packages is the caller's job (toolchain.ts).
//
// What "the runtime part" is depends on where Bun put the graph (bun-graph-layout.ts):
// - appended (ELF before 1.3.12, Mach-O before 1.2.4, PE before 1.2.19): the bytes before the
//   graph are the runtime file, unchanged;
// - in a section: Bun rewrites headers, the Bun section, the signature or the certificate
//   table, but never the code. The executable sections (ELF SHF_EXECINSTR, PE code sections,
//   Mach-O __TEXT,__text and friends) are compared by name and content.

import { createHash } from "node:crypto";
import type { Arch, Libc, Os } from "../bun/index.ts";
import { readLayout, type BinaryLayout } from "./format.ts";

export interface CodeFingerprint {
  /** sha256 of each code region, by name. */
  sections: Map<string, string>;
  /** Bytes of code compared. */
  bytes: number;
}

export function codeFingerprint(buf: Uint8Array, layout: BinaryLayout = readLayout(buf)): CodeFingerprint {
  const sections = new Map<string, string>();
  let bytes = 0;
  for (const region of layout.regions) {
    if (region.kind !== "code") continue;
    const hash = createHash("sha256").update(buf.subarray(region.offset, region.offset + region.size)).digest("hex");
    // A name can own several regions (split by a higher-priority extent); keep them in order.
    const previous = sections.get(region.name);
    sections.set(region.name, previous ? createHash("sha256").update(previous + hash).digest("hex") : hash);
    bytes += region.size;
  }
  return { sections, bytes };
}

export interface RuntimeComparison {
  same: boolean;
  /** How it was decided, for messages. */
  method: "identical bytes before the appended graph" | "identical code sections" | "code sections differ" | "bytes before the appended graph differ";
  /** Code sections that differ or exist on one side only (empty when same). */
  differing: string[];
}

/** Whether an executable carries exactly this runtime (a plain `bun` from a runtime package). */
export function compareRuntime(executable: Uint8Array, runtime: Uint8Array): RuntimeComparison {
  const layout = readLayout(executable);
  if (layout.bunContainer?.kind === "appended" && layout.bunPayload) {
    const head = executable.subarray(0, layout.bunPayload.offset);
    if (head.length === runtime.length && Buffer.from(head.buffer, head.byteOffset, head.byteLength).equals(Buffer.from(runtime.buffer, runtime.byteOffset, runtime.byteLength))) {
      return { same: true, method: "identical bytes before the appended graph", differing: [] };
    }
  }
  const a = codeFingerprint(executable, layout);
  const b = codeFingerprint(runtime);
  const differing = [...new Set([...a.sections.keys(), ...b.sections.keys()])].filter((name) => a.sections.get(name) !== b.sections.get(name)).sort();
  if (differing.length === 0 && a.sections.size > 0) return { same: true, method: "identical code sections", differing };
  return { same: false, method: layout.bunContainer?.kind === "appended" && differing.length === 0 ? "bytes before the appended graph differ" : "code sections differ", differing };
}

export interface RuntimeVariant {
  /** npm package, e.g. @oven/bun-linux-x64-baseline. */
  package: string;
  /** baseline, modern, musl, musl-baseline, or plain (the only build for the platform). */
  label: "baseline" | "modern" | "musl" | "musl-baseline" | "plain";
  triple: { os: Os; arch: Arch; libc: Libc; cpuLevel?: "baseline" | "modern" };
}

/**
 * Every runtime package Bun publishes for an OS and CPU (the names Bun's CompileTarget
 * downloads, src/compile_target.zig). x64 has a default build ("modern": AVX2 before Bun 1.4,
 * one Nehalem build with run-time dispatch from 1.4, where -baseline is the same bytes) and a
 * "baseline" build (SSE4.2); arm64 has one ("plain"). Linux adds musl builds.
 */
export function runtimeVariants(os: Os, arch: Arch, libc?: Libc): RuntimeVariant[] {
  const npmArch = arch === "arm64" ? "aarch64" : "x64";
  const base = `@oven/bun-${os}-${npmArch}`;
  const variants: RuntimeVariant[] = [];
  const libcs: Libc[] = os === "linux" ? (libc ? [libc] : ["glibc", "musl"]) : ["glibc"];
  for (const l of libcs) {
    const musl = l === "musl" ? "-musl" : "";
    if (arch === "x64") {
      variants.push({ package: `${base}${musl}`, label: l === "musl" ? "musl" : "modern", triple: { os, arch, libc: l, cpuLevel: "modern" } });
      variants.push({ package: `${base}${musl}-baseline`, label: l === "musl" ? "musl-baseline" : "baseline", triple: { os, arch, libc: l, cpuLevel: "baseline" } });
    } else {
      variants.push({ package: `${base}${musl}`, label: l === "musl" ? "musl" : "plain", triple: { os, arch, libc: l } });
    }
  }
  return variants;
}

/** The libc an ELF executable links (from its interpreter), when the layout says. */
export function libcOf(layout: BinaryLayout): Libc | undefined {
  if (!layout.elf) return layout.os === "linux" ? undefined : "glibc";
  return layout.elf.libc === "musl" ? "musl" : layout.elf.libc === "glibc" ? "glibc" : undefined;
}
